import { existsSync } from "node:fs";
import { BatchTxDecoder } from "../../src/execution/batch-decoder.ts";
import { emptyChangeSet, mergeChangeSets } from "../../src/execution/change-set.ts";
import { evmCommon } from "../../src/execution/evm-common.ts";
import { decodeExecTx } from "../../src/execution/exec-tx.ts";
import { fastDecodeExecTx } from "../../src/execution/fast-decode.ts";
import { SequentialExecutor } from "../../src/execution/sequential-executor.ts";
import { StateRootComputer } from "../../src/execution/state-root.ts";
import type { ExecTx } from "../../src/execution/types.ts";
import { deriveAccounts, seededRandom } from "../../src/execution/workloads/accounts.ts";
import {
  erc20Setup,
  erc20Transfers,
  fundedState,
  NonceBook,
  nativeTransfers,
  signedTransfer,
  swapSetup,
  swaps,
  WORKLOAD_CHAIN_ID,
  workloadEnv,
} from "../../src/execution/workloads/generators.ts";
import { type BenchResult, median, progress } from "../harness.ts";

const SAMPLES = Number(process.env.EXEC_BENCH_SAMPLES ?? 3);

/**
 * Times `fn` and returns CPU seconds of this process (user + system). The machine is shared by
 * many processes: wall-clock time under load measures the neighbours. The bench is sequential
 * (one thread), so its CPU time is the work; wall seconds are kept in `details`.
 */
const wallSeconds: Record<string, number[]> = {};
async function timed(fn: () => Promise<void>, label = "other"): Promise<number> {
  const wallStart = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  await fn();
  const cpu = process.cpuUsage(cpuStart);
  const list = wallSeconds[label] ?? [];
  list.push(Number(process.hrtime.bigint() - wallStart) / 1e9);
  wallSeconds[label] = list;
  return (cpu.user + cpu.system) / 1e6;
}

/** Runs `prepare` (untimed) then `body` (timed) SAMPLES times; returns median tx/s and seconds. */
async function throughput(
  name: string,
  count: number,
  prepare: () => Promise<() => Promise<void>>,
): Promise<{ perSecond: number; seconds: number[] }> {
  const seconds: number[] = [];
  // One warm-up round so the JIT has seen the path.
  await (await prepare())();
  for (let s = 0; s < SAMPLES; s++) {
    const body = await prepare();
    seconds.push(await timed(body, name));
  }
  const perSecond = count / median(seconds);
  progress(`${name}: ${Math.round(perSecond)} tx/s (median of ${SAMPLES}, ${count} txs each)`);
  return { perSecond, seconds };
}

function assertAllIncluded(
  result: { rejected: { code: string }[]; receipts: { status: number }[] },
  name: string,
): void {
  if (result.rejected.length > 0)
    throw new Error(`${name}: ${result.rejected.length} rejected (${result.rejected[0].code})`);
  if (result.receipts.some((r) => r.status !== 1)) throw new Error(`${name}: a tx reverted`);
}

export async function run(): Promise<BenchResult> {
  const executor = new SequentialExecutor();
  const env = workloadEnv();
  const metrics: Record<string, number> = {};
  const details: Record<string, unknown> = {};

  // 1. Native transfers, senders already recovered: envelope + fast path + change set.
  const NATIVE = 20_000;
  const accounts = deriveAccounts(2_000, 11);
  const native = await throughput("native transfers", NATIVE, async () => {
    const state = fundedState(accounts);
    const txs = nativeTransfers(accounts, NATIVE, seededRandom(1), new NonceBook());
    return async () => {
      const result = await executor.executeBlock(env, txs, state);
      assertAllIncluded(result, "native");
    };
  });
  metrics.native_transfer_tx_per_s = native.perSecond;

  // The same block through the interpreter (fast path off), for the fast path's worth.
  const slowExecutor = new SequentialExecutor({ fastPath: false });
  const nativeEvm = await throughput("native transfers via the interpreter", 5_000, async () => {
    const state = fundedState(accounts);
    const txs = nativeTransfers(accounts, 5_000, seededRandom(2), new NonceBook());
    return async () => {
      assertAllIncluded(await slowExecutor.executeBlock(env, txs, state), "native-evm");
    };
  });
  metrics.native_transfer_evm_path_tx_per_s = nativeEvm.perSecond;

  // State root of a 20k-transfer block, incrementally over a 2,000-account state.
  {
    const state = fundedState(accounts);
    const roots = new StateRootComputer();
    const genesis = {
      accounts: new Map([...state.entries()]),
      storage: new Map(),
      clearedStorage: new Set<never>(),
      code: new Map(),
    };
    roots.apply(genesis, state);
    const block = await executor.executeBlock(
      env,
      nativeTransfers(accounts, NATIVE, seededRandom(3), new NonceBook()),
      state,
    );
    const changes = block.changes;
    const seconds = await timed(async () => {
      roots.apply(changes, state);
    });
    metrics.state_root_ms_per_20k_transfer_block = seconds * 1000;
    progress(
      `state root after a ${NATIVE}-transfer block: ${(seconds * 1000).toFixed(1)} ms (${changes.accounts.size} accounts changed)`,
    );
  }

  // 2. ERC-20 transfers, sequential.
  const ERC20 = 3_000;
  const erc20 = await throughput("ERC-20 transfers", ERC20, async () => {
    const setup = await erc20Setup(executor, 1_000, 5);
    const txs = erc20Transfers(setup, ERC20, seededRandom(4));
    return async () => {
      assertAllIncluded(await executor.executeBlock(setup.env, txs, setup.state), "erc20");
    };
  });
  metrics.erc20_transfer_tx_per_s = erc20.perSecond;

  // 3. Uniswap-V2-style swaps (two tokens, one pair: every swap touches the pair's reserves).
  const SWAPS = 1_500;
  const swap = await throughput("Uniswap-V2-style swaps", SWAPS, async () => {
    const setup = await swapSetup(executor, 300, 6);
    const txs = swaps(setup, SWAPS, seededRandom(5));
    return async () => {
      assertAllIncluded(await executor.executeBlock(setup.env, txs, setup.state), "swap");
    };
  });
  metrics.swap_tx_per_s = swap.perSecond;

  // 4. Signed native transfers end to end on one node: decode + native sender recovery +
  //    execute + commit (change set and incremental state root).
  const SIGNED = 6_000;
  const common = evmCommon(WORKLOAD_CHAIN_ID, "cancun");
  const signers = accounts.slice(0, 500);
  const raws: Uint8Array[] = [];
  {
    const nonces = new NonceBook();
    const random = seededRandom(6);
    for (let i = 0; i < SIGNED; i++) {
      const from = signers[i % signers.length];
      const to = accounts[Math.floor(random() * accounts.length)].address;
      raws.push(signedTransfer(from, nonces.take(from.address), to, 1n + BigInt(i)));
    }
  }
  const endToEnd = (decode: (raw: Uint8Array) => ExecTx) => async (): Promise<() => Promise<void>> => {
    const state = fundedState(accounts);
    const roots = new StateRootComputer();
    roots.apply(
      {
        accounts: new Map([...state.entries()]),
        storage: new Map(),
        clearedStorage: new Set(),
        code: new Map(),
      },
      state,
    );
    return async () => {
      const txs: ExecTx[] = new Array(raws.length);
      for (let i = 0; i < raws.length; i++) txs[i] = decode(raws[i]);
      const result = await executor.executeBlock(env, txs, state);
      assertAllIncluded(result, "signed");
      roots.apply(result.changes, state);
    };
  };
  // Our direct decoder (src/execution/fast-decode.ts) is what the node uses on this path.
  const signed = await throughput("signed native transfers end to end", SIGNED, endToEnd(fastDecodeExecTx));
  const signedEthjs = await throughput(
    "signed native transfers end to end, @ethereumjs/tx decoding",
    SIGNED,
    endToEnd((raw) => decodeExecTx(raw, common)),
  );
  metrics.signed_native_transfer_ethereumjs_decode_tx_per_s = signedEthjs.perSecond;
  metrics.signed_native_transfer_one_thread_tx_per_s = signed.perSecond;

  // The node's path: recoveries on the 2-worker pool (BatchTxDecoder.decodeInOrder), pipelined:
  // the main thread parses and checks each tx and executes each 128-tx chunk as a mini-block as
  // soon as its senders are back, while the workers recover the next chunks; one state root at
  // the end (the EVM block). CPU time then counts the workers too, so this is wall clock.
  const decoder = new BatchTxDecoder({ workers: 2 });
  const workerWall: number[] = [];
  const workerCpu: number[] = [];
  try {
    for (let s = 0; s <= SAMPLES; s++) {
      const state = fundedState(accounts);
      const roots = new StateRootComputer();
      roots.apply(
        {
          accounts: new Map([...state.entries()]),
          storage: new Map(),
          clearedStorage: new Set(),
          code: new Map(),
        },
        state,
      );
      const wallStart = process.hrtime.bigint();
      const cpu = await timed(async () => {
        const changes = emptyChangeSet();
        let included = 0;
        await decoder.decodeInOrder(raws, async (decoded) => {
          const txs: ExecTx[] = decoded.map((d) => {
            if (!d.ok) throw d.error;
            return d.tx;
          });
          const result = await executor.executeBlock(env, txs, state);
          assertAllIncluded(result, "signed-workers");
          included += result.included.length;
          mergeChangeSets(changes, result.changes);
        });
        if (included !== SIGNED) throw new Error(`signed-workers: ${included} of ${SIGNED} included`);
        roots.apply(changes, state);
      }, "signed native transfers end to end, recovery on 2 workers, pipelined");
      const wall = Number(process.hrtime.bigint() - wallStart) / 1e9;
      if (s > 0) {
        // Sample 0 is the warm-up (worker start, JIT).
        workerWall.push(wall);
        workerCpu.push(cpu);
      }
    }
  } finally {
    await decoder.close();
  }
  metrics.signed_native_transfer_tx_per_s = SIGNED / median(workerWall);
  metrics.signed_native_transfer_2_workers_cpu_tx_per_s = SIGNED / median(workerCpu);
  progress(
    `signed native transfers end to end, recovery on 2 workers, pipelined: ${Math.round(SIGNED / median(workerWall))} tx/s wall, ${Math.round(SIGNED / median(workerCpu))} tx per CPU-s (all threads)`,
  );

  details.wall_seconds = wallSeconds;
  details.timing =
    "metrics are tx per CPU-second of the bench process (wall-clock seconds in wall_seconds), except signed_native_transfer_tx_per_s: wall clock, recoveries on 2 worker threads";
  details.samples = {
    native_seconds: native.seconds,
    native_evm_seconds: nativeEvm.seconds,
    erc20_seconds: erc20.seconds,
    swap_seconds: swap.seconds,
    signed_seconds: signed.seconds,
  };
  const ratios: Record<string, number> = {
    fast_path_vs_interpreter_native_transfer: native.perSecond / nativeEvm.perSecond,
  };

  // The parallel executor's ratios (same run), when its measurement module is present.
  const measure = new URL("../../src/execution/parallel/measure.ts", import.meta.url);
  if (process.env.EXEC_BENCH_SKIP_PARALLEL !== "1" && existsSync(measure)) {
    const mod = (await import(measure.href)) as {
      measureParallelRatios(opts: { workers: number; log: (m: string) => void }): Promise<BenchResult>;
    };
    const m = await mod.measureParallelRatios({ workers: 2, log: progress });
    Object.assign(metrics, m.metrics);
    Object.assign(ratios, m.ratios);
    details.parallel = m.details;
  }
  return { metrics, ratios, details };
}
