import { measureParallelRatios } from "../../src/execution/parallel/measure.ts";
import { type BenchResult, progress } from "../harness.ts";

/** Block-STM executor vs the sequential one, 2 workers, same run (keys also merged into `exec`). */
export async function run(): Promise<BenchResult> {
  const m = await measureParallelRatios({ workers: 2, log: progress });
  return { metrics: m.metrics, ratios: m.ratios, details: m.details };
}
