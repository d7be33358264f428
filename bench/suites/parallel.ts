import { measureParallelRatios } from "../../src/execution/parallel/measure.ts";
import { type BenchResult, progress } from "../harness.ts";

/**
 * Block-STM executor vs the sequential one, 2 executing threads (the main thread's lane + 1
 * worker_thread), same run (keys also merged into `exec`). `PARALLEL_MAIN_LANE=0` measures the
 * former layout instead: 2 worker_threads, the main thread only scheduling and committing.
 */
export async function run(): Promise<BenchResult> {
  const mainLane = process.env.PARALLEL_MAIN_LANE !== "0";
  const m = await measureParallelRatios({ workers: 2, mainLane, log: progress });
  return { metrics: m.metrics, ratios: m.ratios, details: m.details };
}
