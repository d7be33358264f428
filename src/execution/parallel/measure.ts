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
  workers?: number;
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

/** Runs `blocks` blocks of one workload on one executor over its own state; seconds per block. */
async function timeBlocks(
  executor: BlockExecutor,
  state: ExecutionState,
  g: Genesis,
  params: WorkloadParams,
  nonces: Map<Hex, bigint>,
  firstBlock: number,
  count: number,
): Promise<number[]> {
  const times: number[] = [];
  for (let b = 0; b < count; b++) {
    const number = BigInt(firstBlock + b);
    const txs = makeBlock(g, { ...params, seed: params.seed + firstBlock + b }, nonces);
    const start = performance.now();
    const result = await executor.executeBlock(blockEnv(number), txs, state);
    times.push((performance.now() - start) / 1000);
    if (result.included.length + result.rejected.length !== txs.length) throw new Error("lost transactions");
  }
  return times;
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
  const blocks = opts.blocks ?? 5;
  const warmup = opts.warmupBlocks ?? 2;
  const workers = opts.workers ?? 2;
  const g = await buildGenesis(opts.senders ?? txs);
  const sequential = new SequentialExecutor();
  const parallel = new ParallelExecutor({ workers });
  const out: Record<string, { seq: number; par: number; stats: ParallelStats | undefined }> = {};
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
      let stats: ParallelStats | undefined;
      for (let b = 0; b < blocks; b++) {
        const n = 1 + warmup + b;
        seqTimes.push(...(await timeBlocks(sequential, seqState, g, params, seqNonces, n, 1)));
        parTimes.push(...(await timeBlocks(parallel, parState, g, params, parNonces, n, 1)));
        stats = parallel.lastStats;
      }
      out[name] = { seq: median(seqTimes), par: median(parTimes), stats };
      log(
        `${name}: sequential ${(txs / out[name].seq).toFixed(0)} tx/s, parallel ${(txs / out[name].par).toFixed(0)} tx/s, ` +
          `ratio ${(out[name].seq / out[name].par).toFixed(2)} ${JSON.stringify(stats)}`,
      );
    }
  } finally {
    await parallel.close();
  }
  return {
    metrics: {
      parallel_workers: workers,
      parallel_txs_per_block: txs,
      erc20_low_contention_sequential_tx_per_s: txs / out.low.seq,
      erc20_low_contention_parallel_tx_per_s: txs / out.low.par,
      erc20_high_contention_sequential_tx_per_s: txs / out.high.seq,
      erc20_high_contention_parallel_tx_per_s: txs / out.high.par,
      native_sequential_tx_per_s: txs / out.native.seq,
      native_parallel_tx_per_s: txs / out.native.par,
    },
    ratios: {
      parallel_vs_sequential_low_contention: out.low.seq / out.low.par,
      parallel_vs_sequential_high_contention: out.high.seq / out.high.par,
    },
    details: {
      parallel_native_vs_sequential: out.native.seq / out.native.par,
      stats: { low: out.low.stats, high: out.high.stats, native: out.native.stats },
    },
  };
}
