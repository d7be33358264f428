import { collectDefaultMetrics, Registry } from "prom-client";
import { defineMetrics, type MegaseqMetrics } from "./definitions.ts";

export interface MetricsBundle {
  registry: Registry;
  metrics: MegaseqMetrics;
}

/**
 * One registry per node (not prom-client's global one), so that tests and several in-process nodes
 * do not collide. Process metrics (CPU, memory, event-loop lag) come with the `megaseq_` prefix.
 */
export function createMetrics(opts: { processMetrics?: boolean } = {}): MetricsBundle {
  const registry = new Registry();
  const metrics = defineMetrics(registry);
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "megaseq_" });
  return { registry, metrics };
}
