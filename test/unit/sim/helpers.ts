import { readdirSync } from "node:fs";
import { join } from "node:path";
import { loadScenario, parseScenario, type Scenario, type ScenarioInput } from "../../../sim/scenario.ts";

export const SCENARIO_DIR = join(import.meta.dirname, "../../../sim/scenarios");
export const VIOLATION_DIR = join(SCENARIO_DIR, "expected-violations");

export function scenarioFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => join(dir, f));
}

export function load(file: string): Scenario {
  return loadScenario(file);
}

/** A small scenario for focused tests; `extra` overrides any key. */
export function scenario(extra: Partial<ScenarioInput> = {}): Scenario {
  return parseScenario({
    name: "test",
    validators: 4,
    durationMs: 6000,
    consensus: { baseTimeoutMs: 600, maxTimeoutMs: 3000 },
    network: { latency: { dist: "uniform", minMs: 20, maxMs: 80 } },
    ...extra,
  });
}

/** Height of a node at virtual time t, from the run's height series. */
export function heightAt(series: [number, number][], t: number): number {
  let h = 0;
  for (const [at, height] of series) {
    if (at > t) break;
    h = height;
  }
  return h;
}
