import { availableParallelism } from "node:os";
import { SequentialExecutor } from "../sequential-executor.ts";
import type { BlockExecutor, ExecutionState, Hex } from "../types.ts";
import { ParallelExecutor, type ParallelStats } from "./parallel-executor.ts";
import {
  blockEnv,
  buildGenesis,
  cloneState,
  type Genesis,
  makeBlock,
  type WorkloadParams,
} from "./workload.ts";

export interface ParallelMeasurement {
  metrics: Record<string, number>;
  ratios: {
    parallel_vs_sequential_low_contention: number;
    parallel_vs_sequential_high_contention: number;
  };
  details: Record<string, unknown>;
}

export interface MeasureOptions {
  /**
   * Threads that execute transactions (default 2). With `mainLane` (default true) the main thread
   * is one of them and `workers - 1` worker_threads are started; without it, `workers` threads.
   */
  workers?: number;
  mainLane?: boolean;
  txsPerBlock?: number;
  blocks?: number;
  warmupBlocks?: number;
  senders?: number;
  log?: (message: string) => void;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** This thread's CPU usage (Node 22 has it; its type definitions do not yet). */
function threadCpu(previous?: NodeJS.CpuUsage): NodeJS.CpuUsage {
  return (process as unknown as { threadCpuUsage(p?: NodeJS.CpuUsage): NodeJS.CpuUsage }).threadCpuUsage(
    previous,
  );
}

/** Runs `blocks` blocks of one workload on one executor over its own state; seconds per block. */
async function timeBlocks(
  executor: BlockExecutor,
  state: ExecutionState,
  g: Genesis,
  params: WorkloadParams,
  nonces: Map<Hex, bigint>,
  firstBlock: number,
  count: number,
  cpu?: Cpu,
): Promise<number[]> {
  const workerCpu = (): number[] => (executor instanceof ParallelExecutor ? executor.workerCpuSeconds() : []);
  const times: number[] = [];
  for (let b = 0; b < count; b++) {
    const number = BigInt(firstBlock + b);
    const txs = makeBlock(g, { ...params, seed: params.seed + firstBlock + b }, nonces);
    const processStart = process.cpuUsage();
    const threadStart = threadCpu();
    const workersStart = workerCpu();
    const start = performance.now();
    const result = await executor.executeBlock(blockEnv(number), txs, state);
    times.push((performance.now() - start) / 1000);
    // CPU seconds of every thread of the process (workers, GC and compiler threads included) and
    // of the main thread alone: how much work a block costs, whatever the neighbours take.
    const all = process.cpuUsage(processStart);
    const main = threadCpu(threadStart);
    cpu?.process.push((all.user + all.system) / 1e6);
    cpu?.mainThread.push((main.user + main.system) / 1e6);
    const workersEnd = workerCpu();
    cpu?.busiestWorker.push(Math.max(0, ...workersEnd.map((end, w) => end - (workersStart[w] ?? 0))));
    if (result.included.length + result.rejected.length !== txs.length) throw new Error("lost transactions");
  }
  return times;
}

interface Cpu {
  process: number[];
  mainThread: number[];
  /** The busiest worker thread's CPU seconds in the block (as of its last results message). */
  busiestWorker: number[];
}

/**
 * What the parallel block would take at best on idle cores: no thread finishes before its own
 * CPU time, and the process's CPU (helpers included) spreads over `cores` at most. The ratio of the
 * sequential main thread's CPU to this bounds the wall-clock ratio an idle machine can show.
 */
function idleBound(c: Cpu, cores: number): number {
  const perBlock = c.process.map((p, i) => Math.max(c.mainThread[i], c.busiestWorker[i] ?? 0, p / cores));
  return median(perBlock);
}

/**
 * Parallel vs sequential, same run, same workloads, each executor over its own copy of the state:
 * low contention = ERC-20 transfers from distinct senders to random recipients; high contention =
 * every transfer to one hot account (every tx reads and writes the same slot).
 * Blocks alternate between the executors so that machine noise hits both alike.
 */
export async function measureParallelRatios(opts: MeasureOptions = {}): Promise<ParallelMeasurement> {
  const log = opts.log ?? ((): void => {});
  const txs = opts.txsPerBlock ?? 400;
  // Medians of 9 alternating blocks: wall clock on a shared machine jumps from block to block.
  const blocks = opts.blocks ?? 9;
  // Each worker is its own V8 isolate with its own JIT: a few blocks pass before its EVM code is
  // optimized (the node runs blocks continuously). Steady state is what is compared.
  const warmup = opts.warmupBlocks ?? 6;
  const workers = opts.workers ?? 2;
  const cores = availableParallelism();
  const mainLane = opts.mainLane ?? true;
  const workerThreads = mainLane ? Math.max(1, workers - 1) : workers;
  const g = await buildGenesis(opts.senders ?? txs);
  const sequential = new SequentialExecutor();
  const parallel = new ParallelExecutor({ workers: workerThreads, mainLane });
  const out: Record<
    string,
    { seq: number; par: number; seqCpu: Cpu; parCpu: Cpu; stats: ParallelStats | undefined }
  > = {};
  try {
    const workloads: [string, WorkloadParams][] = [
      [
        "low",
        { seed: 1, txs, contention: 0, activeSenders: txs, mixed: false, roundRobin: true, only: "erc20" },
      ],
      [
        "high",
        { seed: 2, txs, contention: 1, activeSenders: txs, mixed: false, roundRobin: true, only: "erc20" },
      ],
      [
        "native",
        { seed: 3, txs, contention: 0, activeSenders: txs, mixed: false, roundRobin: true, only: "native" },
      ],
    ];
    for (const [name, params] of workloads) {
      const seqState = cloneState(g.state);
      const parState = cloneState(g.state);
      const seqNonces = new Map<Hex, bigint>();
      const parNonces = new Map<Hex, bigint>();
      log(`${name}: warm-up`);
      await timeBlocks(sequential, seqState, g, params, seqNonces, 1, warmup);
      await timeBlocks(parallel, parState, g, params, parNonces, 1, warmup);
      const seqTimes: number[] = [];
      const parTimes: number[] = [];
      const seqCpu: Cpu = { process: [], mainThread: [], busiestWorker: [] };
      const parCpu: Cpu = { process: [], mainThread: [], busiestWorker: [] };
      let stats: ParallelStats | undefined;
      for (let b = 0; b < blocks; b++) {
        const n = 1 + warmup + b;
        seqTimes.push(...(await timeBlocks(sequential, seqState, g, params, seqNonces, n, 1, seqCpu)));
        parTimes.push(...(await timeBlocks(parallel, parState, g, params, parNonces, n, 1, parCpu)));
        stats = parallel.lastStats;
      }
      out[name] = { seq: median(seqTimes), par: median(parTimes), seqCpu, parCpu, stats };
      log(
        `${name}: sequential ${(txs / out[name].seq).toFixed(0)} tx/s, parallel ${(txs / out[name].par).toFixed(0)} tx/s, ` +
          `ratio ${(out[name].seq / out[name].par).toFixed(2)}; CPU per block (all threads) sequential ${(1000 * median(seqCpu.process)).toFixed(0)} ms, ` +
          `parallel ${(1000 * median(parCpu.process)).toFixed(0)} ms (main thread ${(1000 * median(parCpu.mainThread)).toFixed(0)} ms, ` +
          `busiest worker ${(1000 * median(parCpu.busiestWorker)).toFixed(0)} ms); idle-core bound on the ratio ` +
          `${(median(seqCpu.mainThread) / idleBound(parCpu, cores)).toFixed(2)} ${JSON.stringify(stats)}`,
      );
    }
  } finally {
    await parallel.close();
  }
  return {
    metrics: {
      parallel_workers: workers,
      parallel_worker_threads: workerThreads,
      parallel_main_lane: mainLane ? 1 : 0,
      parallel_txs_per_block: txs,
      erc20_low_contention_sequential_tx_per_s: txs / out.low.seq,
      erc20_low_contention_parallel_tx_per_s: txs / out.low.par,
      erc20_high_contention_sequential_tx_per_s: txs / out.high.seq,
      erc20_high_contention_parallel_tx_per_s: txs / out.high.par,
      native_sequential_tx_per_s: txs / out.native.seq,
      native_parallel_tx_per_s: txs / out.native.par,
      // Parallel block CPU (all threads) over sequential block CPU: the parallel executor's
      // overhead, which bounds its ratio on an idle machine (2 cores: ratio <= 2 / this).
      erc20_low_contention_parallel_cpu_vs_sequential:
        median(out.low.parCpu.process) / median(out.low.seqCpu.process),
      // Upper bound of the low-contention ratio on idle cores, from this run's CPU accounting:
      // the sequential main thread's CPU over max(parallel main thread, busiest worker,
      // parallel process CPU / cores). Unlike the wall-clock ratio it does not measure the load.
      erc20_low_contention_idle_core_bound_ratio:
        median(out.low.seqCpu.mainThread) / idleBound(out.low.parCpu, cores),
    },
    ratios: {
      parallel_vs_sequential_low_contention: out.low.seq / out.low.par,
      parallel_vs_sequential_high_contention: out.high.seq / out.high.par,
    },
    details: {
      parallel_native_vs_sequential: out.native.seq / out.native.par,
      // Median CPU seconds per block: every thread of the process, and the main thread alone.
      cpu_seconds_per_block: Object.fromEntries(
        Object.entries(out).map(([name, o]) => [
          name,
          {
            sequential: median(o.seqCpu.process),
            sequential_main_thread: median(o.seqCpu.mainThread),
            parallel: median(o.parCpu.process),
            parallel_main_thread: median(o.parCpu.mainThread),
            parallel_busiest_worker: median(o.parCpu.busiestWorker),
          },
        ]),
      ),
      stats: { low: out.low.stats, high: out.high.stats, native: out.native.stats },
    },
  };
}
