export { defineMetrics, type MegaseqMetrics, methodLabel } from "./definitions.ts";
export {
  type HealthCheck,
  HealthChecks,
  type HealthReport,
  type HealthResult,
  minPeersCheck,
  progressCheck,
} from "./health.ts";
export { createMetrics, type MetricsBundle } from "./registry.ts";
export { MetricsServer, MetricsServerError, parseHostPort } from "./server.ts";
