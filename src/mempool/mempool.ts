import { MempoolError } from "./errors.ts";
import { effectiveTip, isSufficientBump, upfrontCost } from "./fees.ts";
import { PendingIterator } from "./pending-iterator.ts";
import { SenderQueue } from "./sender-queue.ts";
import {
  type AccountReader,
  type MempoolOptions,
  type MempoolStats,
  type PoolTx,
  type ResolvedMempoolOptions,
  resolveMempoolOptions,
} from "./types.ts";

export interface MempoolModules {
  accounts: AccountReader;
}

export interface AddResult<P> {
  /** The transaction at the same sender and nonce that this one replaced. */
  replaced: PoolTx<P> | undefined;
  /** Transactions evicted to make room (always sender tails: never a lower nonce kept below a gap). */
  evicted: PoolTx<P>[];
}

export interface SelectLimits {
  gasLimit: bigint;
  maxCount?: number;
  maxBytes?: number;
  /** Senders to leave out entirely (e.g. with transactions in a proposed, not yet executed mini-block). */
  excludeSenders?: ReadonlySet<string>;
}

/** Eviction order: queued before pending, then lowest effective tip, then the newest. */
interface PriceKey {
  pending: boolean;
  tip: bigint;
  seq: number;
}

function cheaper(a: PriceKey, b: PriceKey): boolean {
  if (a.pending !== b.pending) return !a.pending;
  if (a.tip !== b.tip) return a.tip < b.tip;
  return a.seq > b.seq;
}

/**
 * The transaction pool: admission with geth's rejection rules, per-sender nonce queues, replacement
 * at a fee bump, per-sender and global limits in count and bytes, eviction of the cheapest sender
 * tails, and base-fee-aware ordering for block building.
 *
 * Every admission check runs before any state changes, so a rejected transaction changes nothing.
 * Memory is bounded by maxTxs/maxBytes: the pool keeps no record of transactions it no longer holds.
 */
export class Mempool<P = unknown> {
  private readonly opts: ResolvedMempoolOptions;
  private readonly accounts: AccountReader;
  private readonly senders = new Map<string, SenderQueue<P>>();
  private readonly byHash = new Map<string, { tx: PoolTx<P>; seq: number }>();
  private nextSeq = 0;
  private totalBytes = 0;
  private baseFee: bigint;

  constructor(opts: MempoolOptions, modules: MempoolModules) {
    this.opts = resolveMempoolOptions(opts);
    this.baseFee = opts.baseFee;
    this.accounts = modules.accounts;
  }

  get size(): number {
    return this.byHash.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get currentBaseFee(): bigint {
    return this.baseFee;
  }

  has(hash: string): boolean {
    return this.byHash.has(hash);
  }

  get(hash: string): PoolTx<P> | undefined {
    return this.byHash.get(hash)?.tx;
  }

  setBaseFee(baseFee: bigint): void {
    this.baseFee = baseFee;
  }

  /** Admits `tx` or throws a MempoolError; on a throw the pool is exactly as before. */
  add(tx: PoolTx<P>): AddResult<P> {
    const o = this.opts;
    if (this.byHash.has(tx.hash)) throw new MempoolError("ALREADY_KNOWN", { hash: tx.hash });
    if (tx.chainId === undefined) {
      if (!o.allowUnprotected) throw new MempoolError("INVALID_CHAIN_ID", { expected: o.chainId, got: null });
    } else if (tx.chainId !== o.chainId) {
      throw new MempoolError("INVALID_CHAIN_ID", { expected: o.chainId, got: tx.chainId });
    }
    if (tx.size > o.maxTxBytes)
      throw new MempoolError("OVERSIZED_DATA", { size: tx.size, max: o.maxTxBytes });
    if (tx.value < 0n) throw new MempoolError("NEGATIVE_VALUE");
    if (tx.gasLimit > o.blockGasLimit) {
      throw new MempoolError("EXCEEDS_BLOCK_GAS_LIMIT", { gasLimit: tx.gasLimit, max: o.blockGasLimit });
    }
    if (tx.gasLimit < tx.intrinsicGas) {
      throw new MempoolError("INTRINSIC_GAS_TOO_LOW", { gasLimit: tx.gasLimit, intrinsic: tx.intrinsicGas });
    }
    if (tx.maxPriorityFeePerGas > tx.maxFeePerGas) throw new MempoolError("TIP_ABOVE_FEE_CAP");
    if (tx.maxFeePerGas < this.baseFee) {
      throw new MempoolError("FEE_CAP_BELOW_BASE_FEE", {
        maxFeePerGas: tx.maxFeePerGas,
        baseFee: this.baseFee,
      });
    }
    if (effectiveTip(tx, this.baseFee) < o.minTip)
      throw new MempoolError("UNDERPRICED", { minTip: o.minTip });

    const account = this.accounts.getAccount(tx.sender);
    const queue = this.senders.get(tx.sender);
    const stateNonce = queue && queue.stateNonce > account.nonce ? queue.stateNonce : account.nonce;
    if (tx.nonce < stateNonce) throw new MempoolError("NONCE_TOO_LOW", { nonce: tx.nonce, next: stateNonce });
    if (tx.nonce >= stateNonce + o.maxNonceAhead) {
      throw new MempoolError("NONCE_TOO_HIGH", { nonce: tx.nonce, next: stateNonce });
    }
    if (account.balance < upfrontCost(tx)) {
      throw new MempoolError("INSUFFICIENT_FUNDS", { balance: account.balance, cost: upfrontCost(tx) });
    }

    const old = queue?.get(tx.nonce);
    if (old && !isSufficientBump(old, tx, o.priceBumpPercent)) {
      throw new MempoolError("REPLACEMENT_UNDERPRICED", { replacing: old.hash });
    }
    const senderCount = (queue?.size ?? 0) + (old ? 0 : 1);
    const senderBytes = (queue?.bytes ?? 0) + tx.size - (old?.size ?? 0);
    if (senderCount > o.maxTxsPerSender || senderBytes > o.maxBytesPerSender) {
      throw new MempoolError("ACCOUNT_LIMIT_EXCEEDED", { sender: tx.sender });
    }

    const seq = this.nextSeq;
    const victims = this.chooseVictims(tx, seq, stateNonce, old);

    // Nothing below this line can fail: commit.
    this.nextSeq++;
    for (const v of victims) this.removeTx(v);
    let q = this.senders.get(tx.sender);
    if (!q) {
      q = new SenderQueue<P>(tx.sender, stateNonce);
      this.senders.set(tx.sender, q);
    }
    q.stateNonce = stateNonce;
    const replaced = q.put(tx);
    if (replaced) this.byHash.delete(replaced.hash);
    this.byHash.set(tx.hash, { tx, seq });
    this.totalBytes += tx.size - (replaced?.size ?? 0);
    return { replaced, evicted: victims };
  }

  /**
   * The sender tails to evict so that `tx` fits the global limits, cheapest first; throws when
   * room cannot be made or when `tx` is not strictly better than what it would push out.
   */
  private chooseVictims(
    tx: PoolTx<P>,
    seq: number,
    stateNonce: bigint,
    old: PoolTx<P> | undefined,
  ): PoolTx<P>[] {
    let overTxs = this.byHash.size + (old ? 0 : 1) - this.opts.maxTxs;
    let overBytes = this.totalBytes + tx.size - (old?.size ?? 0) - this.opts.maxBytes;
    if (overTxs <= 0 && overBytes <= 0) return [];

    // Each sender's transactions as they would be after admitting tx, ascending by nonce.
    const lists = new Map<string, { txs: PoolTx<P>[]; pending: number; taken: number }>();
    const listOf = (q: SenderQueue<P>): { txs: PoolTx<P>[]; pending: number; taken: number } => {
      let entry = lists.get(q.sender);
      if (!entry) {
        entry = { txs: q.all(), pending: q.pendingCount(), taken: 0 };
        lists.set(q.sender, entry);
      }
      return entry;
    };
    const own = this.senders.get(tx.sender);
    const ownTxs = (own?.all() ?? []).filter((t) => t.nonce !== tx.nonce);
    ownTxs.push(tx);
    ownTxs.sort((a, b) => (a.nonce < b.nonce ? -1 : a.nonce > b.nonce ? 1 : 0));
    let ownPending = 0;
    while (ownPending < ownTxs.length && ownTxs[ownPending].nonce === stateNonce + BigInt(ownPending))
      ownPending++;
    lists.set(tx.sender, { txs: ownTxs, pending: ownPending, taken: 0 });
    const newIndex = ownTxs.indexOf(tx);
    const newKey: PriceKey = { pending: newIndex < ownPending, tip: effectiveTip(tx, this.baseFee), seq };

    const victims: PoolTx<P>[] = [];
    while (overTxs > 0 || overBytes > 0) {
      let best: { tx: PoolTx<P>; key: PriceKey; sender: string } | undefined;
      for (const q of this.senders.values()) {
        const entry = listOf(q);
        const index = entry.txs.length - 1 - entry.taken;
        if (index < 0) continue;
        const candidate = entry.txs[index];
        // Never evict the newcomer, nor anything below it (that would leave it above a gap).
        if (q.sender === tx.sender && index <= newIndex) continue;
        const key: PriceKey = {
          pending: index < entry.pending,
          tip: effectiveTip(candidate, this.baseFee),
          seq: this.byHash.get(candidate.hash)!.seq,
        };
        if (!best || cheaper(key, best.key)) best = { tx: candidate, key, sender: q.sender };
      }
      if (!best) throw new MempoolError("TXPOOL_FULL");
      if (
        !cheaper(best.key, newKey) ||
        (best.key.pending === newKey.pending && best.key.tip === newKey.tip)
      ) {
        throw new MempoolError("UNDERPRICED", { cheapestInPool: best.tx.hash });
      }
      victims.push(best.tx);
      lists.get(best.sender)!.taken++;
      overTxs--;
      overBytes -= best.tx.size;
    }
    return victims;
  }

  /** Removes one transaction by hash (e.g. it failed at execution); its sender's later nonces become queued. */
  remove(hash: string): PoolTx<P> | undefined {
    const entry = this.byHash.get(hash);
    if (!entry) return undefined;
    this.removeTx(entry.tx);
    return entry.tx;
  }

  private removeTx(tx: PoolTx<P>): void {
    const q = this.senders.get(tx.sender);
    if (!q || q.get(tx.nonce)?.hash !== tx.hash) return;
    q.delete(tx.nonce);
    this.byHash.delete(tx.hash);
    this.totalBytes -= tx.size;
    if (q.size === 0) this.senders.delete(tx.sender);
  }

  /**
   * After a block commits: re-reads these senders' nonces and balances, drops what was included
   * (nonce below the new one) and what the sender can no longer pay for. Later nonces of a dropped
   * unaffordable transaction stay, queued, and are promoted again when the gap fills.
   */
  onCommitted(senders: Iterable<string>): PoolTx<P>[] {
    const dropped: PoolTx<P>[] = [];
    for (const sender of senders) {
      const q = this.senders.get(sender);
      if (!q) continue;
      const account = this.accounts.getAccount(sender);
      if (account.nonce > q.stateNonce) q.stateNonce = account.nonce;
      for (const tx of q.all()) {
        if (tx.nonce < q.stateNonce || upfrontCost(tx) > account.balance) dropped.push(tx);
      }
    }
    for (const tx of dropped) this.removeTx(tx);
    return dropped;
  }

  /**
   * The nonce a sender's next transaction should carry (eth_getTransactionCount "pending"): the
   * state nonce, moved past the sender's pool transactions that directly follow it.
   */
  nextNonce(sender: string, stateNonce: bigint): bigint {
    const q = this.senders.get(sender);
    let nonce = stateNonce;
    while (q?.get(nonce) !== undefined) nonce++;
    return nonce;
  }

  /**
   * Iterator over executable transactions in block-building order at the current base fee.
   * `excludeSenders`: senders whose transactions are not offered at all.
   */
  pending(excludeSenders?: ReadonlySet<string>): PendingIterator<P> {
    const chains: PoolTx<P>[][] = [];
    for (const q of this.senders.values()) {
      if (excludeSenders?.has(q.sender)) continue;
      const n = q.pendingCount();
      if (n > 0) chains.push(q.all().slice(0, n));
    }
    return new PendingIterator<P>(chains, this.baseFee, (tx) => this.byHash.get(tx.hash)?.seq ?? 0);
  }

  /** Picks transactions for a block by gas, count and byte caps, without executing them. */
  select(limits: SelectLimits): PoolTx<P>[] {
    const picked: PoolTx<P>[] = [];
    let gas = limits.gasLimit;
    let bytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
    const maxCount = limits.maxCount ?? Number.POSITIVE_INFINITY;
    const it = this.pending(limits.excludeSenders);
    for (let tx = it.peek(); tx && picked.length < maxCount; tx = it.peek()) {
      if (tx.gasLimit > gas || tx.size > bytes) {
        it.pop();
        continue;
      }
      picked.push(tx);
      gas -= tx.gasLimit;
      bytes -= tx.size;
      it.shift();
    }
    return picked;
  }

  stats(): MempoolStats {
    let pending = 0;
    for (const q of this.senders.values()) pending += q.pendingCount();
    return {
      txs: this.byHash.size,
      bytes: this.totalBytes,
      senders: this.senders.size,
      pending,
      queued: this.byHash.size - pending,
    };
  }

  /** Every sender's committed nonce and transactions (ascending), for inspection and tests. */
  dump(): { sender: string; stateNonce: bigint; pending: number; txs: PoolTx<P>[] }[] {
    return [...this.senders.values()].map((q) => ({
      sender: q.sender,
      stateNonce: q.stateNonce,
      pending: q.pendingCount(),
      txs: q.all(),
    }));
  }
}
