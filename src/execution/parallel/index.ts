export { ParallelExecutor, type ParallelExecutorOpts, type ParallelStats } from "./parallel-executor.ts";
