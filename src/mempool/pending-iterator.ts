import { effectiveTip } from "./fees.ts";
import type { PoolTx } from "./types.ts";

interface Head<P> {
  tx: PoolTx<P>;
  tip: bigint;
  /** Remaining pending transactions of this sender after `tx`, in nonce order. */
  rest: PoolTx<P>[];
  seq: number;
}

/**
 * Block building order: the best effective tip among the senders' next executable transactions
 * first, each sender's transactions in nonce order (geth's TransactionsByPriceAndNonce). The
 * builder calls `shift()` after including `peek()`, or `pop()` to drop the sender (its transaction
 * failed, or did not fit), which also drops that sender's later nonces.
 */
export class PendingIterator<P = unknown> {
  private readonly heap: Head<P>[] = [];
  private readonly baseFee: bigint;

  /** `chains`: per sender, its pending transactions in nonce order; `seqOf` breaks tip ties (arrival). */
  constructor(chains: PoolTx<P>[][], baseFee: bigint, seqOf: (tx: PoolTx<P>) => number) {
    this.baseFee = baseFee;
    this.seqOf = seqOf;
    for (const chain of chains) this.pushChain(chain);
  }

  private readonly seqOf: (tx: PoolTx<P>) => number;

  peek(): PoolTx<P> | undefined {
    return this.heap[0]?.tx;
  }

  /** Accepts the current best and advances its sender to the next nonce. */
  shift(): void {
    const head = this.popHead();
    if (head) this.pushChain(head.rest);
  }

  /** Drops the current best and every later transaction of its sender. */
  pop(): void {
    this.popHead();
  }

  private pushChain(chain: PoolTx<P>[]): void {
    const tx = chain[0];
    if (!tx) return;
    const tip = effectiveTip(tx, this.baseFee);
    // A fee cap below the base fee cannot be included; nor can any later nonce of that sender.
    if (tip < 0n) return;
    this.heap.push({ tx, tip, rest: chain.slice(1), seq: this.seqOf(tx) });
    this.siftUp(this.heap.length - 1);
  }

  private better(a: Head<P>, b: Head<P>): boolean {
    return a.tip !== b.tip ? a.tip > b.tip : a.seq < b.seq;
  }

  private popHead(): Head<P> | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (top && last && this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftUp(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.better(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < h.length && this.better(h[l], h[best])) best = l;
      if (r < h.length && this.better(h[r], h[best])) best = r;
      if (best === i) return;
      [h[i], h[best]] = [h[best], h[i]];
      i = best;
    }
  }
}
