import type { Hex } from "../execution/types.ts";
import type { ReceiptData } from "../rpc/backend.ts";
import { RpcError } from "../rpc/errors.ts";

export interface PreconfStoreOpts {
  /** Receipts kept per kind (preconfirmed, committed-but-not-sealed); the oldest go first. */
  maxReceipts: number;
  /** Waiters held at once (RPC calls waiting for a receipt); past it a wait fails at once. */
  maxWaiters: number;
  /** A preconfirmation whose mini-block is not committed within this time is revoked. */
  preconfTtlMs: number;
}

export const DEFAULT_PRECONF_STORE_OPTS: PreconfStoreOpts = {
  maxReceipts: 32_768,
  maxWaiters: 10_000,
  preconfTtlMs: 5_000,
};

export type ReceiptKind = "preconfirmed" | "committed";

export interface Wait {
  promise: Promise<ReceiptData>;
  cancel(): void;
}

interface Waiter {
  kind: ReceiptKind;
  resolve: (r: ReceiptData) => void;
}

/**
 * Receipts between a transaction's execution and its EVM block's seal, and the RPC calls waiting
 * for them. A preconfirmation (the leader executed the tx into its open mini-block) is superseded
 * by the committed receipt (every node executed the committed mini-block); a preconfirmation
 * that is not followed by a commit within `preconfTtlMs` is revoked (forgotten: the tx is still
 * in the pool and may be preconfirmed again by a later leader). A committed receipt also answers
 * a preconfirmation wait: it is the stronger guarantee. Everything here is bounded.
 */
export class PreconfStore {
  private readonly opts: PreconfStoreOpts;
  private readonly now: () => number;
  private readonly preconfs = new Map<Hex, { receipt: ReceiptData; at: number }>();
  private readonly committed = new Map<Hex, ReceiptData>();
  private readonly waiters = new Map<Hex, Set<Waiter>>();
  private waiterCount = 0;
  /** Preconfirmations whose committed receipt differed (status, gas or logs). */
  mismatches = 0;
  revoked = 0;

  constructor(opts: Partial<PreconfStoreOpts> = {}, modules: { now?: () => number } = {}) {
    this.opts = { ...DEFAULT_PRECONF_STORE_OPTS, ...opts };
    this.now = modules.now ?? Date.now;
  }

  get waiting(): number {
    return this.waiterCount;
  }

  preconfirmed(hash: Hex): ReceiptData | undefined {
    return this.preconfs.get(hash)?.receipt;
  }

  committedReceipt(hash: Hex): ReceiptData | undefined {
    return this.committed.get(hash);
  }

  /** The leader's receipt (local build or a forwarded answer). Ignored once the tx is committed. */
  addPreconfirmed(receipt: ReceiptData): void {
    const hash = receipt.transactionHash;
    if (this.committed.has(hash)) return;
    this.preconfs.delete(hash);
    this.preconfs.set(hash, { receipt, at: this.now() });
    trim(this.preconfs, this.opts.maxReceipts);
    this.settle(hash, receipt, "preconfirmed");
  }

  /** The receipt from executing the committed mini-block: supersedes any preconfirmation. */
  addCommitted(receipt: ReceiptData): void {
    const hash = receipt.transactionHash;
    const pre = this.preconfs.get(hash);
    if (pre !== undefined) {
      this.preconfs.delete(hash);
      if (!sameOutcome(pre.receipt, receipt)) this.mismatches++;
    }
    this.committed.set(hash, receipt);
    trim(this.committed, this.opts.maxReceipts);
    this.settle(hash, receipt, "committed");
  }

  /** The EVM block holding these txs is sealed: the block index answers from now on. */
  forgetCommitted(hashes: Iterable<Hex>): void {
    for (const h of hashes) this.committed.delete(h);
  }

  /** Revokes preconfirmations older than the TTL; returns their hashes. */
  sweep(): Hex[] {
    const limit = this.now() - this.opts.preconfTtlMs;
    const out: Hex[] = [];
    for (const [hash, entry] of this.preconfs) {
      // Insertion order is age order: stop at the first young one.
      if (entry.at > limit) break;
      this.preconfs.delete(hash);
      out.push(hash);
    }
    this.revoked += out.length;
    return out;
  }

  /**
   * Waits for the receipt of `kind` (a committed receipt also satisfies a preconfirmation wait).
   * `known` answers at once when the receipt exists elsewhere already (a sealed block).
   */
  wait(hash: Hex, kind: ReceiptKind, known?: ReceiptData | null): Wait {
    const ready =
      known ??
      this.committed.get(hash) ??
      (kind === "preconfirmed" ? this.preconfs.get(hash)?.receipt : undefined);
    if (ready) return { promise: Promise.resolve(ready), cancel: () => {} };
    if (this.waiterCount >= this.opts.maxWaiters) {
      return {
        promise: Promise.reject(new RpcError("LIMIT_EXCEEDED", "too many transactions awaiting receipts")),
        cancel: () => {},
      };
    }
    let waiter: Waiter | undefined;
    const promise = new Promise<ReceiptData>((resolve) => {
      waiter = { kind, resolve };
    });
    const w = waiter as Waiter;
    let set = this.waiters.get(hash);
    if (set === undefined) {
      set = new Set();
      this.waiters.set(hash, set);
    }
    set.add(w);
    this.waiterCount++;
    return { promise, cancel: () => this.remove(hash, w) };
  }

  private remove(hash: Hex, waiter: Waiter): void {
    const set = this.waiters.get(hash);
    if (set?.delete(waiter)) {
      this.waiterCount--;
      if (set.size === 0) this.waiters.delete(hash);
    }
  }

  private settle(hash: Hex, receipt: ReceiptData, kind: ReceiptKind): void {
    const set = this.waiters.get(hash);
    if (set === undefined) return;
    for (const w of [...set]) {
      if (kind === "committed" || w.kind === "preconfirmed") {
        this.remove(hash, w);
        w.resolve(receipt);
      }
    }
  }
}

function trim<K, V>(map: Map<K, V>, max: number): void {
  while (map.size > max) {
    const oldest = map.keys().next().value as K;
    map.delete(oldest);
  }
}

function sameOutcome(a: ReceiptData, b: ReceiptData): boolean {
  return a.status === b.status && a.gasUsed === b.gasUsed && a.logs.length === b.logs.length;
}
