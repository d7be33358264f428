import { TxRejectedError } from "./errors.ts";
import { FlatState } from "./flat-state.ts";
import { makeReceipt } from "./receipts.ts";
import type { TxEnvelope } from "./tx-envelope.ts";
import type { BlockEnv, ExecTx, Receipt, StateReader } from "./types.ts";

export interface MiniBlockCaps {
  /** Gas of all included txs (default 10M). */
  gas: bigint;
  /** Serialized bytes of all included txs (default 128 KiB). */
  bytes: number;
  /** Number of txs (default 1,000). */
  count: number;
  /** Target interval: stop taking txs after this many milliseconds (default 10). */
  intervalMs: number;
}

export const DEFAULT_MINI_BLOCK_CAPS: MiniBlockCaps = {
  gas: 10_000_000n,
  bytes: 128 * 1024,
  count: 1_000,
  intervalMs: 10,
};

export interface BuiltMiniBlock {
  txs: ExecTx[];
  /** One receipt per included tx, produced as it executed: the preconfirmations. */
  receipts: Receipt[];
  rejected: { tx: ExecTx; error: TxRejectedError }[];
  gasUsed: bigint;
  bytes: number;
  /** Speculative state after this mini-block; merge into the parent once it commits. */
  overlay: FlatState;
}

/** What adding one tx to an open mini-block did. */
export type AddOutcome =
  | { kind: "included"; receipt: Receipt }
  | { kind: "rejected"; error: TxRejectedError }
  /** Does not fit the remaining gas or bytes (or the count cap): try it in a later mini-block. */
  | { kind: "full" };

/**
 * A mini-block being filled: each added tx executes at once over the overlay (nothing touches
 * the base state) and its receipt is returned right away — the preconfirmation. The leader keeps
 * one open between proposals, so a tx can be executed the moment it arrives.
 */
export class OpenMiniBlock {
  readonly env: BlockEnv;
  readonly overlay: FlatState;
  readonly txs: ExecTx[] = [];
  readonly receipts: Receipt[] = [];
  readonly rejected: { tx: ExecTx; error: TxRejectedError }[] = [];
  gasUsed = 0n;
  bytes = 0;
  private readonly caps: MiniBlockCaps;
  private readonly envelope: TxEnvelope;

  constructor(env: BlockEnv, base: StateReader, caps: MiniBlockCaps, envelope: TxEnvelope) {
    this.env = env;
    this.overlay = new FlatState({ parent: base });
    this.caps = caps;
    this.envelope = envelope;
  }

  /** True when no further tx can fit (count cap, or less gas left than a plain transfer). */
  isFull(): boolean {
    return this.txs.length >= this.caps.count || this.gasExhausted();
  }

  private gasExhausted(): boolean {
    return this.txs.length > 0 && this.caps.gas - this.gasUsed < 21_000n;
  }

  async add(tx: ExecTx): Promise<AddOutcome> {
    if (
      this.txs.length >= this.caps.count ||
      this.gasUsed + tx.gasLimit > this.caps.gas ||
      this.bytes + tx.size > this.caps.bytes
    ) {
      return { kind: "full" };
    }
    try {
      const outcome = await this.envelope.execute(this.env, tx, this.overlay);
      this.gasUsed += outcome.gasUsed;
      this.bytes += tx.size;
      const receipt = makeReceipt(tx, outcome, this.gasUsed, this.txs.length);
      this.txs.push(tx);
      this.receipts.push(receipt);
      return { kind: "included", receipt };
    } catch (err) {
      if (!(err instanceof TxRejectedError)) throw err;
      this.rejected.push({ tx, error: err });
      return { kind: "rejected", error: err };
    }
  }

  result(): BuiltMiniBlock {
    return {
      txs: this.txs,
      receipts: this.receipts,
      rejected: this.rejected,
      gasUsed: this.gasUsed,
      bytes: this.bytes,
      overlay: this.overlay,
    };
  }
}

/**
 * The leader's side of streaming execution: takes txs from a source one at a time, executes
 * each at once over an overlay of the current state (so nothing touches the canonical state
 * before commit), hands out its receipt right away, and stops at the gas, byte or count cap or
 * when the interval is over. Txs that do not fit the remaining gas or bytes are left in the
 * source for a later mini-block; invalid txs are reported and dropped.
 */
export class MiniBlockBuilder {
  private readonly caps: MiniBlockCaps;
  private readonly envelope: TxEnvelope;
  private readonly now: () => number;

  constructor(opts: Partial<MiniBlockCaps>, modules: { envelope: TxEnvelope; now?: () => number }) {
    this.caps = { ...DEFAULT_MINI_BLOCK_CAPS, ...opts };
    this.envelope = modules.envelope;
    this.now = modules.now ?? ((): number => performance.now());
  }

  /**
   * `next()` returns the next candidate (undefined when the pool is empty); `skip(tx)` tells the
   * source a candidate did not fit this time. `onReceipt` fires for each included tx.
   */
  async build(
    env: BlockEnv,
    base: StateReader,
    source: { next(): ExecTx | undefined; skip?(tx: ExecTx): void },
    onReceipt?: (receipt: Receipt, tx: ExecTx) => void,
  ): Promise<BuiltMiniBlock> {
    const open = this.open(env, base);
    await this.fill(open, source, onReceipt);
    return open.result();
  }

  /** An empty mini-block over `base`, to be filled by `fill` or tx by tx. */
  open(env: BlockEnv, base: StateReader): OpenMiniBlock {
    return new OpenMiniBlock(env, base, this.caps, this.envelope);
  }

  /** Takes txs from `source` into `open` until a cap, the interval, or the source runs dry. */
  async fill(
    open: OpenMiniBlock,
    source: { next(): ExecTx | undefined; skip?(tx: ExecTx): void },
    onReceipt?: (receipt: Receipt, tx: ExecTx) => void,
  ): Promise<void> {
    const deadline = this.now() + this.caps.intervalMs;
    while (open.txs.length < this.caps.count && this.now() < deadline) {
      const tx = source.next();
      if (tx === undefined) break;
      const outcome = await open.add(tx);
      if (outcome.kind === "full") {
        source.skip?.(tx);
        if (open.isFull()) break;
      } else if (outcome.kind === "included") onReceipt?.(outcome.receipt, tx);
    }
  }
}
