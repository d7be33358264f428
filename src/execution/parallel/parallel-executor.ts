import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { mergeChangeSets } from "../change-set.ts";
import { reject, TxRejectedError } from "../errors.ts";
import { makeReceipt } from "../receipts.ts";
import { SequentialExecutor } from "../sequential-executor.ts";
import type { TxEnvelope } from "../tx-envelope.ts";
import type {
  BlockEnv,
  BlockExecutionResult,
  BlockExecutor,
  ExecTx,
  ExecutionState,
  Hex,
  Log,
  MiniBlockRef,
  Receipt,
  StateChangeSet,
  StateWriter,
} from "../types.ts";
import { KECCAK_EMPTY } from "../types.ts";
import { decodeResult, encodeWrites } from "./codec.ts";
import { creditFeeLazily } from "./lazy-fees.ts";
import {
  type CacheFill,
  emptyFill,
  type ForwardedWrites,
  type FromWorker,
  type SpecResult,
  type ToWorker,
  type WriteSet,
} from "./protocol.ts";
import { replayOps, replayWrites } from "./recording-state.ts";
import { dumpState } from "./state-dump.ts";
import { readsStillHold } from "./validate.ts";
import { WriteLog } from "./write-log.ts";

export interface ParallelExecutorOpts {
  /**
   * worker_threads to run speculative executions on (default: one per core, less the main
   * thread's when `mainLane` is on, at least 1).
   */
  workers?: number;
  /**
   * The main thread executes a share of the block itself (default true): it runs the
   * transactions at the commit point directly on the state, as the sequential executor does,
   * while the workers speculate on the batches right after them; then it validates and commits
   * those. With 2 cores, main + 1 worker keeps both busy without a third isolate competing.
   */
  mainLane?: boolean;
  /** Transactions per worker message (default: about a quarter of a worker's share, 4..64). */
  batchSize?: number;
  /** Blocks with fewer transactions run on the sequential executor (default 16). */
  minParallelTxs?: number;
  /**
   * Abort ratio (re-executions / speculative results checked) above which the block finishes
   * sequentially on the main thread, once 16 results were checked (default 0.5). 1 disables it.
   */
  fallbackAbortRatio?: number;
  /**
   * After a block that fell back, this many following blocks run on the sequential executor
   * before parallel execution is tried again (default 3; 0 = always try parallel). Each probe
   * that falls back again doubles the wait, up to 8 times this.
   */
  sequentialBlocksAfterFallback?: number;
}

export interface ParallelStats {
  txs: number;
  /** Committed from a worker's speculative execution, after validation. */
  fromWorkers: number;
  /** Executed directly on the state by the main thread as its share (re-executions not counted). */
  ranOnMain: number;
  /** Executed again on the main thread (failed validation, missing values, or fallback). */
  reExecuted: number;
  /** Sent back to a worker because it lacked values. */
  retried: number;
  fellBack: boolean;
  ranSequential: boolean;
  /** Transactions run by the plain sequential path after a fallback. */
  sequentialTail: number;
}

const WORKER_URL = new URL("./worker.ts", import.meta.url);
const MAX_INFLIGHT_PER_WORKER = 2;

interface WorkerSlot {
  worker: Worker;
  inflight: number;
  fill: CacheFill;
  mv: ForwardedWrites[];
  /** The worker's thread CPU, µs, as of its last results message. */
  cpuMicros: number;
}

function mergeFill(into: CacheFill, from: CacheFill): void {
  into.accounts.push(...from.accounts);
  into.slots.push(...from.slots);
  into.hasStorage.push(...from.hasStorage);
  into.code.push(...from.code);
  into.cleared.push(...from.cleared);
}

/**
 * Block-STM-style parallel executor on worker_threads, with results identical to the sequential
 * executor's (state, receipts, logs, gas).
 *
 * - Workers execute batches of transactions speculatively over a multi-version memory (the writes
 *   of every transaction they know of, by index) and a base cache of committed values; each
 *   result carries its read set (values), its write set and the exact writer calls it made.
 * - The main thread is the collaborative scheduler: it hands out batches in index order, forwards
 *   each result's writes to the other workers, and commits in order. Committing transaction i
 *   validates its reads against the real state (which then holds exactly transactions < i): if
 *   they hold, the recorded calls are replayed; if not (a conflict), i runs again on the main
 *   thread, where it cannot fail validation, so every block finishes in at most n re-executions.
 *   A new incarnation's writes replace the old ones in the workers' memories.
 * - Fee-recipient credits are applied lazily at commit, so transactions do not conflict on it.
 * - When re-executions exceed `fallbackAbortRatio` of commits (heavy contention) the block is
 *   finished sequentially on the main thread, so the worst case stays near sequential speed.
 */
export class ParallelExecutor implements BlockExecutor {
  private readonly opts: Required<Omit<ParallelExecutorOpts, "batchSize">> & {
    batchSize: number | undefined;
  };
  private readonly sequential: SequentialExecutor;
  private slots: WorkerSlot[] | undefined;
  private starting: Promise<WorkerSlot[]> | undefined;
  private blockId = 0;
  private lastState: ExecutionState | undefined;
  private lastChanges: StateChangeSet | undefined;
  /** Whether the workers' caches hold the whole of `lastState` (then uncached = absent). */
  private replicaComplete = false;
  private contended = false;
  private sequentialSinceFallback = 0;
  /** Sequential blocks before the next probe: doubles with each probe that falls back again. */
  private coolingBlocks = 0;
  /**
   * Shared with the workers: [0] = a block id whose remaining speculative work is cancelled;
   * [1] = results messages posted by all workers, so that the main thread, busy executing its
   * share, turns to its event loop only when results are waiting.
   */
  readonly signals = new Int32Array(new SharedArrayBuffer(8));
  /** Results messages received from all workers. */
  received = 0;
  /** The main lane's share as the last block left it: where the next block starts. */
  mainShare: number | undefined;
  private onMessage: ((slot: WorkerSlot, msg: FromWorker) => void) | undefined;
  private onError: ((err: Error) => void) | undefined;
  lastStats: ParallelStats | undefined;

  constructor(opts: ParallelExecutorOpts = {}, modules: { sequential?: SequentialExecutor } = {}) {
    const mainLane = opts.mainLane ?? true;
    this.opts = {
      workers: opts.workers ?? Math.max(1, availableParallelism() - (mainLane ? 1 : 0)),
      mainLane,
      batchSize: opts.batchSize,
      minParallelTxs: opts.minParallelTxs ?? 16,
      fallbackAbortRatio: opts.fallbackAbortRatio ?? 0.5,
      sequentialBlocksAfterFallback: opts.sequentialBlocksAfterFallback ?? 3,
    };
    this.sequential = modules.sequential ?? new SequentialExecutor();
  }

  private start(): Promise<WorkerSlot[]> {
    if (this.starting !== undefined) return this.starting;
    this.starting = Promise.all(
      Array.from(
        { length: this.opts.workers },
        () =>
          new Promise<WorkerSlot>((resolve, rejectStart) => {
            const worker = new Worker(WORKER_URL);
            const slot: WorkerSlot = { worker, inflight: 0, fill: emptyFill(), mv: [], cpuMicros: 0 };
            worker.once("error", rejectStart);
            worker.on("message", (msg: FromWorker) => {
              if (msg.type === "ready") resolve(slot);
              else {
                if (msg.type === "results") {
                  this.received++;
                  slot.cpuMicros = msg.cpuMicros;
                }
                this.onMessage?.(slot, msg);
              }
            });
            worker.on("error", (err) => this.onError?.(err));
          }),
      ),
    ).then((slots) => {
      this.slots = slots;
      return slots;
    });
    return this.starting;
  }

  /** Each worker thread's CPU seconds so far, as of its last results (bench accounting). */
  workerCpuSeconds(): number[] {
    return (this.slots ?? []).map((s) => s.cpuMicros / 1e6);
  }

  async close(): Promise<void> {
    const slots = this.slots ?? (this.starting ? await this.starting.catch(() => []) : []);
    await Promise.all(slots.map((s) => s.worker.terminate()));
    this.slots = undefined;
    this.starting = undefined;
  }

  /** Blocks run one at a time (the workers serve one block); overlapping calls queue up. */
  executeBlock(
    env: BlockEnv,
    txs: readonly ExecTx[],
    state: ExecutionState,
    miniBlocks?: readonly (MiniBlockRef | undefined)[],
  ): Promise<BlockExecutionResult> {
    const run = this.queue.then(() => this.executeOneBlock(env, txs, state, miniBlocks));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private queue: Promise<void> = Promise.resolve();

  private async executeOneBlock(
    env: BlockEnv,
    txs: readonly ExecTx[],
    state: ExecutionState,
    miniBlocks: readonly (MiniBlockRef | undefined)[] | undefined,
  ): Promise<BlockExecutionResult> {
    const small =
      txs.length < this.opts.minParallelTxs || this.opts.workers === 0 || mostlyPlainTransfers(txs, state);
    // Heavy contention last time: stay sequential for a few blocks, then probe again.
    const cooling = this.contended && this.sequentialSinceFallback < this.coolingBlocks;
    if (small || cooling) {
      if (cooling) this.sequentialSinceFallback++;
      const keepReplica = state === this.lastState && this.lastChanges !== undefined;
      const result = await this.sequential.executeBlock(env, txs, state, miniBlocks);
      this.lastStats = {
        txs: txs.length,
        fromWorkers: 0,
        ranOnMain: 0,
        reExecuted: 0,
        retried: 0,
        fellBack: false,
        ranSequential: true,
        sequentialTail: txs.length,
      };
      // The workers' caches catch up with this block's changes at the next parallel block.
      if (keepReplica) mergeChangeSets(this.lastChanges!, result.changes);
      else this.lastState = undefined;
      return result;
    }
    const slots = await this.start();
    const envelope = await this.sequential.envelope(env.chainId, env.fork);
    return new BlockRun(this, slots, envelope, env, txs, state, miniBlocks).run();
  }

  /** @internal used by BlockRun */
  bind(
    onMessage: ((slot: WorkerSlot, msg: FromWorker) => void) | undefined,
    onError: ((err: Error) => void) | undefined,
  ): void {
    this.onMessage = onMessage;
    this.onError = onError;
  }

  /** @internal */
  nextBlockId(): number {
    return ++this.blockId;
  }

  /**
   * @internal: the workers' cache fill for a block over `state`: the changes since the last
   * parallel block when `state` is the one we ran last, else a whole-state dump when possible
   * (which resets the caches), else nothing (workers ask for what they lack).
   */
  cacheFillFor(state: ExecutionState): { fill: CacheFill; reset: boolean; complete: boolean } {
    const c = state === this.lastState ? this.lastChanges : undefined;
    this.lastChanges = undefined;
    if (c === undefined) {
      const dump = dumpState(state);
      this.replicaComplete = dump !== undefined;
      return { fill: dump ?? emptyFill(), reset: true, complete: this.replicaComplete };
    }
    const fill = emptyFill();
    fill.cleared.push(...c.clearedStorage);
    for (const [address, account] of c.accounts) fill.accounts.push([address, account]);
    const flagged = new Set<Hex>(c.clearedStorage);
    for (const [address, slots] of c.storage) {
      flagged.add(address);
      for (const [slot, value] of slots) fill.slots.push([address, slot, value]);
    }
    for (const address of flagged) fill.hasStorage.push([address, state.hasStorage?.(address) ?? false]);
    for (const [hash, code] of c.code) fill.code.push([hash, code]);
    return { fill, reset: false, complete: this.replicaComplete };
  }

  /** @internal */
  finished(state: ExecutionState, changes: StateChangeSet, stats: ParallelStats): void {
    this.lastState = state;
    // The caller owns `changes`; keep our own copy, into which sequential blocks may merge.
    this.lastChanges = mergeChangeSets(
      { accounts: new Map(), storage: new Map(), clearedStorage: new Set(), code: new Map() },
      changes,
    );
    this.lastStats = stats;
    // Contention that persists (a probe falls back again) is probed half as often each time.
    const base = this.opts.sequentialBlocksAfterFallback;
    this.coolingBlocks = !stats.fellBack
      ? 0
      : this.contended
        ? Math.min(8 * base, 2 * this.coolingBlocks)
        : base;
    this.contended = stats.fellBack;
    this.sequentialSinceFallback = 0;
  }

  /** @internal */
  get options(): { batchSize: number | undefined; fallbackAbortRatio: number; mainLane: boolean } {
    return this.opts;
  }
}

/**
 * Plain value transfers to accounts without code take the envelope's fast path (~tens of µs):
 * shipping them to a worker and back costs more than running them, so such blocks stay on the
 * sequential path. Only EVM work is worth parallelising here.
 */
function mostlyPlainTransfers(txs: readonly ExecTx[], state: ExecutionState): boolean {
  let plain = 0;
  for (const tx of txs) {
    if (tx.to === undefined || tx.data.length > 0) continue;
    const callee = state.getAccount(tx.to);
    if (callee === undefined || callee.codeHash === KECCAK_EMPTY) plain++;
  }
  return plain * 2 >= txs.length;
}

function withoutRaw(tx: ExecTx): ExecTx {
  if (tx.raw === undefined) return tx;
  const { raw: _raw, ...rest } = tx;
  return rest;
}

/** One block's scheduling state. */
class BlockRun {
  private readonly exec: ParallelExecutor;
  private readonly slots: WorkerSlot[];
  private readonly envelope: TxEnvelope;
  private readonly env: BlockEnv;
  private readonly txs: readonly ExecTx[];
  private readonly state: ExecutionState;
  private readonly miniBlocks: readonly (MiniBlockRef | undefined)[] | undefined;
  private readonly blockId: number;
  private readonly results: (SpecResult | undefined)[];
  private readonly inFlight: boolean[];
  private readonly retried: boolean[];
  private readonly retry: number[] = [];
  private readonly batchSize: number;
  /** Who runs each transaction: 0 = not handed out yet, 1 = the main thread, 2 = a worker. */
  private readonly owner: Uint8Array;
  /**
   * Transactions reserved for the main thread ahead of each worker batch (main lane only). It
   * adapts so that neither side waits: main runs its share at sequential cost while a worker's
   * speculation costs more per transaction, so main's share grows whenever main has to wait.
   */
  private mainShare: number;
  private nextIndex = 0;
  private batchesSent = 0;
  private commitIndex = 0;
  private pumping = false;
  private fellBack = false;
  private done: { resolve: (r: BlockExecutionResult) => void; reject: (e: unknown) => void } | undefined;
  // Block accumulators, as the sequential executor keeps them.
  private readonly receipts: Receipt[] = [];
  private readonly included: Hex[] = [];
  private readonly rejected: BlockExecutionResult["rejected"] = [];
  private readonly logs: Log[] = [];
  private gasUsed = 0n;
  private burned = 0n;
  private priorityFees = 0n;
  private readonly stats: ParallelStats;

  constructor(
    exec: ParallelExecutor,
    slots: WorkerSlot[],
    envelope: TxEnvelope,
    env: BlockEnv,
    txs: readonly ExecTx[],
    state: ExecutionState,
    miniBlocks: readonly (MiniBlockRef | undefined)[] | undefined,
  ) {
    this.exec = exec;
    this.slots = slots;
    this.envelope = envelope;
    this.env = env;
    this.txs = txs;
    this.state = state;
    this.miniBlocks = miniBlocks;
    this.blockId = exec.nextBlockId();
    this.results = new Array(txs.length).fill(undefined);
    this.inFlight = new Array(txs.length).fill(false);
    this.retried = new Array(txs.length).fill(false);
    const lanes = slots.length + (exec.options.mainLane ? 1 : 0);
    const perWorker = Math.ceil(txs.length / lanes);
    // With the main lane a worker's batch is speculated while main runs the share before it:
    // small batches keep that window (and so conflicts) small.
    const cap = exec.options.mainLane ? 16 : 64;
    this.batchSize = exec.options.batchSize ?? Math.max(4, Math.min(cap, Math.ceil(perWorker / 4)));
    this.mainShare = exec.options.mainLane
      ? Math.max(
          Math.ceil(this.batchSize / 2),
          Math.min(4 * this.batchSize, exec.mainShare ?? this.batchSize),
        )
      : 0;
    this.owner = new Uint8Array(txs.length);
    this.stats = {
      txs: txs.length,
      fromWorkers: 0,
      ranOnMain: 0,
      reExecuted: 0,
      retried: 0,
      fellBack: false,
      ranSequential: false,
      sequentialTail: 0,
    };
  }

  run(): Promise<BlockExecutionResult> {
    return new Promise<BlockExecutionResult>((resolve, rejectRun) => {
      this.done = { resolve, reject: rejectRun };
      this.exec.bind(
        (slot, msg) => this.onResults(slot, msg),
        (err) => this.fail(err),
      );
      this.startBlock();
      this.dispatch();
      this.pump();
    });
  }

  private fail(err: unknown): void {
    this.exec.bind(undefined, undefined);
    this.done?.reject(err);
    this.done = undefined;
  }

  private startBlock(): void {
    const { fill, reset, complete } = this.exec.cacheFillFor(this.state);
    // Without a whole-state replica in the workers, send the keys every transaction touches:
    // sender, recipient (and its code), fee recipient.
    const seen = new Set<Hex>();
    const addAccount = (address: Hex): void => {
      if (seen.has(address)) return;
      seen.add(address);
      const account = this.state.getAccount(address);
      fill.accounts.push([address, account ?? null]);
      fill.hasStorage.push([address, this.state.hasStorage?.(address) ?? false]);
      if (account !== undefined && account.codeHash !== undefined) {
        const code = this.state.getCode(address);
        if (code.length > 0) fill.code.push([account.codeHash, code]);
      }
    };
    if (!complete) {
      addAccount(this.env.coinbase);
      for (const tx of this.txs) {
        addAccount(tx.sender);
        if (tx.to !== undefined) addAccount(tx.to);
      }
    }
    const blockHashes: [bigint, Uint8Array][] = [];
    if (this.env.blockHash !== undefined) {
      for (let n = this.env.number - 1n; n >= 0n && n >= this.env.number - 256n; n--) {
        const hash = this.env.blockHash(n);
        if (hash !== undefined) blockHashes.push([n, hash]);
      }
    }
    const { blockHash: _fn, ...plainEnv } = this.env;
    const msg: ToWorker = {
      type: "block",
      blockId: this.blockId,
      env: { ...plainEnv, blockHashes },
      // Workers never need the signed bytes: leaving them out keeps each tx's clone small (a
      // `raw` that is a view into a larger buffer would otherwise copy that whole buffer).
      txs: this.txs.map(withoutRaw),
      resetCache: reset,
      fill,
      signals: this.exec.signals,
    };
    for (const slot of this.slots) {
      slot.fill = emptyFill();
      slot.mv = [];
      slot.inflight = 0;
      slot.worker.postMessage(msg);
    }
  }

  private takeBatch(): number[] {
    // The first rounds are small, so that heavy contention shows (and the fallback starts) early.
    const size = this.batchesSent < 2 * this.slots.length ? Math.min(8, this.batchSize) : this.batchSize;
    this.batchesSent++;
    const batch: number[] = [];
    while (batch.length < size && this.retry.length > 0) {
      const index = this.retry.shift()!;
      if (index >= this.commitIndex && this.results[index] === undefined && !this.inFlight[index])
        batch.push(index);
    }
    // Main lane: the share just before the batch is main's, run directly while the batch runs.
    for (let k = 0; k < this.mainShare && this.nextIndex < this.txs.length; k++) {
      if (this.owner[this.nextIndex] === 0) this.owner[this.nextIndex] = 1;
      this.nextIndex++;
    }
    while (batch.length < size && this.nextIndex < this.txs.length) {
      const index = this.nextIndex++;
      if (index >= this.commitIndex && this.owner[index] === 0) {
        this.owner[index] = 2;
        batch.push(index);
      }
    }
    return batch;
  }

  private dispatch(): void {
    if (this.fellBack) return;
    for (const slot of this.slots) {
      while (slot.inflight < MAX_INFLIGHT_PER_WORKER) {
        const indices = this.takeBatch();
        if (indices.length === 0) return;
        for (const i of indices) this.inFlight[i] = true;
        const msg: ToWorker = { type: "run", blockId: this.blockId, indices, fill: slot.fill, mv: slot.mv };
        slot.fill = emptyFill();
        slot.mv = [];
        slot.inflight++;
        slot.worker.postMessage(msg);
      }
    }
  }

  private onResults(from: WorkerSlot, msg: FromWorker): void {
    if (msg.type !== "results" || msg.blockId !== this.blockId) return;
    from.inflight--;
    // The worker ran dry while main was busy: main is the slower side, so it takes less.
    if (from.inflight === 0 && this.pumping && this.mainShare > 0)
      this.mainShare = Math.max(Math.ceil(this.batchSize / 2), this.mainShare - 2);
    for (const item of msg.results) {
      const result = typeof item === "string" ? decodeResult(item) : item;
      const index = result.index;
      this.inFlight[index] = false;
      if (index < this.commitIndex) continue;
      if (result.missing !== undefined) {
        this.answerMisses(result);
        if (!this.retried[index]) {
          this.retried[index] = true;
          this.stats.retried++;
          this.retry.push(index);
        }
        continue;
      }
      this.results[index] = result;
      if (result.error === undefined) this.forward(index, result.writes, from);
    }
    this.dispatch();
    this.pump();
  }

  /** Reads what a worker lacked from the real state and sends it to every worker's cache. */
  private answerMisses(result: SpecResult): void {
    const m = result.missing!;
    const fill = emptyFill();
    for (const address of m.accounts) fill.accounts.push([address, this.state.getAccount(address) ?? null]);
    for (const [address, slot] of m.slots)
      fill.slots.push([address, slot, this.state.getStorage(address, slot)]);
    for (const address of m.hasStorage)
      fill.hasStorage.push([address, this.state.hasStorage?.(address) ?? false]);
    for (const address of m.code) {
      const account = this.state.getAccount(address);
      if (account !== undefined) fill.code.push([account.codeHash, this.state.getCode(address)]);
    }
    for (const slot of this.slots) mergeFill(slot.fill, fill);
  }

  private forward(index: number, writes: WriteSet, except: WorkerSlot | undefined): void {
    if (this.slots.length === 1 && this.slots[0] === except) return;
    const forwarded: ForwardedWrites = {
      index,
      writes: writes.code.length === 0 ? encodeWrites(writes) : writes,
    };
    for (const slot of this.slots) if (slot !== except) slot.mv.push(forwarded);
  }

  /** Whether a worker posted results this thread has not received yet. */
  private resultsWaiting(): boolean {
    return Atomics.load(this.exec.signals, 1) > this.exec.received;
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.done === undefined) return;
    this.pumping = true;
    try {
      while (this.commitIndex < this.txs.length) {
        const index = this.commitIndex;
        const result = this.results[index];
        if (result === undefined && this.inFlight[index] && !this.fellBack) {
          // On a worker: wait for it, and give main more next time.
          if (this.mainShare > 0) this.mainShare = Math.min(4 * this.batchSize, this.mainShare + 2);
          break;
        }
        const usable =
          result !== undefined &&
          result.error === undefined &&
          result.missing === undefined &&
          readsStillHold(result.reads, this.state);
        if (usable) {
          this.stats.fromWorkers++;
          this.commit(index, result);
        } else {
          // Main's share, a conflict, a worker's miss, or the tail after a fallback: run it
          // directly on the state, which now holds exactly the transactions before it.
          if (this.fellBack) this.stats.sequentialTail++;
          else if (result !== undefined) this.stats.reExecuted++;
          else this.stats.ranOnMain++;
          if (this.owner[index] === 0) {
            this.owner[index] = 1;
            if (this.nextIndex <= index) this.nextIndex = index + 1;
          }
          await this.commitDirect(index);
        }
        this.commitIndex++;
        this.maybeFallBack();
        // Busy with our share: let waiting worker results in (each one dispatches the next batch).
        if (this.resultsWaiting()) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (this.done === undefined) return;
        }
      }
      if (this.commitIndex === this.txs.length) this.finish();
      else this.dispatch();
    } catch (err) {
      this.fail(err);
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Runs transaction `index` on the state as the sequential executor does (fee credited inline)
   * and, unless the block fell back, hands its final values to the workers' memories, replacing
   * whatever an invalid speculative result of it had put there.
   */
  private async commitDirect(index: number): Promise<void> {
    if (this.fellBack) return this.commitSequential(index, this.state);
    const log = new WriteLog(this.state);
    await this.commitSequential(index, log);
    this.forward(index, log.writeSet(), undefined);
  }

  private maybeFallBack(): void {
    if (this.fellBack) return;
    // Judged on the speculative results checked so far (main's own share never conflicts).
    const checked = this.stats.fromWorkers + this.stats.reExecuted;
    if (checked >= 16 && this.stats.reExecuted > checked * this.exec.options.fallbackAbortRatio) {
      this.fellBack = true;
      this.stats.fellBack = true;
      // Workers drop the rest of their batches for this block.
      Atomics.store(this.exec.signals, 0, this.blockId);
    }
  }

  /** Exactly what the sequential executor does for one transaction (fee credited inline). */
  private async commitSequential(index: number, state: StateWriter): Promise<void> {
    const tx = this.txs[index];
    try {
      if (this.gasUsed + tx.gasLimit > this.env.gasLimit)
        throw reject("BLOCK_GAS_EXHAUSTED", { gasUsed: this.gasUsed });
      const outcome = await this.envelope.execute(this.env, tx, state);
      this.gasUsed += outcome.gasUsed;
      this.burned += outcome.burned;
      this.priorityFees += outcome.priorityFee;
      this.receipts.push(
        makeReceipt(tx, outcome, this.gasUsed, this.receipts.length, this.miniBlocks?.[index]),
      );
      this.included.push(tx.hash);
      for (const log of outcome.logs) this.logs.push(log);
    } catch (err) {
      if (!(err instanceof TxRejectedError)) throw err;
      this.rejected.push({ hash: tx.hash, code: err.code, message: err.message });
    }
  }

  private commit(index: number, result: SpecResult): void {
    const tx = this.txs[index];
    if (this.gasUsed + tx.gasLimit > this.env.gasLimit) {
      const err = reject("BLOCK_GAS_EXHAUSTED", { gasUsed: this.gasUsed });
      this.rejected.push({ hash: tx.hash, code: err.code, message: err.message });
      this.forward(index, { accounts: [], slots: [], cleared: [], code: [] }, undefined);
      return;
    }
    if (result.rejected !== undefined) {
      this.rejected.push({ hash: tx.hash, code: result.rejected.code, message: result.rejected.message });
      return;
    }
    const outcome = result.outcome!;
    if (result.ops !== undefined) replayOps(this.state as Parameters<typeof replayOps>[0], result.ops);
    else replayWrites(this.state, result.writes);
    creditFeeLazily(this.state, this.env.coinbase, outcome);
    this.gasUsed += outcome.gasUsed;
    this.burned += outcome.burned;
    this.priorityFees += outcome.priorityFee;
    this.receipts.push(
      makeReceipt(tx, outcome, this.gasUsed, this.receipts.length, this.miniBlocks?.[index]),
    );
    this.included.push(tx.hash);
    for (const log of outcome.logs) this.logs.push(log);
  }

  private finish(): void {
    if (this.mainShare > 0) this.exec.mainShare = this.mainShare;
    const changes = this.state.takeChanges();
    this.exec.finished(this.state, changes, this.stats);
    this.exec.bind(undefined, undefined);
    const done = this.done;
    this.done = undefined;
    done?.resolve({
      receipts: this.receipts,
      included: this.included,
      rejected: this.rejected,
      changes,
      gasUsed: this.gasUsed,
      logs: this.logs,
      burned: this.burned,
      priorityFees: this.priorityFees,
    });
  }
}
