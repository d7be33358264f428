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
    const overlay = new FlatState({ parent: base });
    const deadline = this.now() + this.caps.intervalMs;
    const out: BuiltMiniBlock = { txs: [], receipts: [], rejected: [], gasUsed: 0n, bytes: 0, overlay };
    while (out.txs.length < this.caps.count && this.now() < deadline) {
      const tx = source.next();
      if (tx === undefined) break;
      if (out.gasUsed + tx.gasLimit > this.caps.gas || out.bytes + tx.size > this.caps.bytes) {
        source.skip?.(tx);
        if (out.txs.length > 0 && this.caps.gas - out.gasUsed < 21_000n) break;
        continue;
      }
      try {
        const outcome = await this.envelope.execute(env, tx, overlay);
        out.gasUsed += outcome.gasUsed;
        out.bytes += tx.size;
        const receipt = makeReceipt(tx, outcome, out.gasUsed, out.txs.length);
        out.txs.push(tx);
        out.receipts.push(receipt);
        onReceipt?.(receipt, tx);
      } catch (err) {
        if (!(err instanceof TxRejectedError)) throw err;
        out.rejected.push({ tx, error: err });
      }
    }
    return out;
  }
}
