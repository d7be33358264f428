import type { PoolTx } from "./types.ts";

/**
 * One sender's transactions, keyed by nonce. `stateNonce` is the sender's committed nonce; the
 * transactions at stateNonce, stateNonce+1, ... without a gap are *pending* (executable now), the
 * rest are *queued* (waiting for a gap to fill). Pending/queued is derived, never stored, so
 * promotion and demotion cannot drift out of sync.
 */
export class SenderQueue<P = unknown> {
  readonly sender: string;
  stateNonce: bigint;
  private readonly byNonce = new Map<bigint, PoolTx<P>>();
  /** Ascending; per-sender counts are small (tens), so a sorted array beats a tree. */
  private readonly nonces: bigint[] = [];
  bytes = 0;

  constructor(sender: string, stateNonce: bigint) {
    this.sender = sender;
    this.stateNonce = stateNonce;
  }

  get size(): number {
    return this.nonces.length;
  }

  get(nonce: bigint): PoolTx<P> | undefined {
    return this.byNonce.get(nonce);
  }

  /** Inserts or overwrites the transaction at tx.nonce; returns the one it replaced. */
  put(tx: PoolTx<P>): PoolTx<P> | undefined {
    const old = this.byNonce.get(tx.nonce);
    this.byNonce.set(tx.nonce, tx);
    if (old) {
      this.bytes += tx.size - old.size;
      return old;
    }
    this.bytes += tx.size;
    let i = this.nonces.length;
    while (i > 0 && this.nonces[i - 1] > tx.nonce) i--;
    this.nonces.splice(i, 0, tx.nonce);
    return undefined;
  }

  delete(nonce: bigint): PoolTx<P> | undefined {
    const tx = this.byNonce.get(nonce);
    if (!tx) return undefined;
    this.byNonce.delete(nonce);
    this.nonces.splice(this.nonces.indexOf(nonce), 1);
    this.bytes -= tx.size;
    return tx;
  }

  /** Ascending by nonce. */
  all(): PoolTx<P>[] {
    return this.nonces.map((n) => this.byNonce.get(n)!);
  }

  /** The i-th highest nonce's transaction (0 = the tail), or undefined. */
  fromTail(i: number): PoolTx<P> | undefined {
    const n = this.nonces[this.nonces.length - 1 - i];
    return n === undefined ? undefined : this.byNonce.get(n);
  }

  /** Number of contiguous transactions starting at stateNonce. */
  pendingCount(): number {
    let count = 0;
    for (const n of this.nonces) {
      if (n !== this.stateNonce + BigInt(count)) break;
      count++;
    }
    return count;
  }

  /** Whether a transaction at `nonce` would be pending if present. */
  wouldBePending(nonce: bigint): boolean {
    for (let n = this.stateNonce; n < nonce; n++) if (!this.byNonce.has(n)) return false;
    return nonce >= this.stateNonce;
  }

  /** Drops every transaction below `nonce`; returns them. */
  dropBelow(nonce: bigint): PoolTx<P>[] {
    const dropped: PoolTx<P>[] = [];
    while (this.nonces.length > 0 && this.nonces[0] < nonce) {
      dropped.push(this.delete(this.nonces[0])!);
    }
    return dropped;
  }
}
