import { describe, expect, it } from "vitest";
import { Mempool, MempoolError } from "../../../src/mempool/index.ts";
import { addr, FakeAccounts, mkTx } from "./helpers.ts";

function pool(over: Partial<ConstructorParameters<typeof Mempool>[0]> = {}, accounts = new FakeAccounts()) {
  const mp = new Mempool<string>(
    { chainId: 1n, blockGasLimit: 30_000_000n, baseFee: 1n, ...over },
    { accounts },
  );
  return { mp, accounts };
}

function rejects(fn: () => unknown, message: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MempoolError);
    expect((e as Error).message).toBe(message);
    return;
  }
  throw new Error(`expected rejection "${message}"`);
}

describe("mempool admission", () => {
  const A = addr(1);

  it("gives the next nonce past a sender's contiguous pool transactions", () => {
    const { mp, accounts } = pool();
    accounts.set(A, 5n, 10n ** 18n);
    expect(mp.nextNonce(A, 5n)).toBe(5n);
    mp.add(mkTx(A, 5n, 2n));
    mp.add(mkTx(A, 6n, 2n));
    mp.add(mkTx(A, 8n, 2n));
    expect(mp.nextNonce(A, 5n)).toBe(7n);
    expect(mp.nextNonce(addr(2), 3n)).toBe(3n);
  });

  it("rejects with geth's messages and changes nothing", () => {
    const { mp, accounts } = pool();
    accounts.set(A, 5n, 21_000n * 10n);
    mp.add(mkTx(A, 5n, 2n));
    const before = JSON.stringify(mp.dump(), (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    const existing = mp.dump()[0].txs[0];
    rejects(() => mp.add(existing), "already known");
    rejects(() => mp.add(mkTx(A, 4n, 2n)), "nonce too low");
    rejects(() => mp.add(mkTx(A, 6n, 11n)), "insufficient funds for gas * price + value");
    rejects(
      () => mp.add(mkTx(A, 6n, 1n, { value: 1n + 21_000n * 9n })),
      "insufficient funds for gas * price + value",
    );
    rejects(() => mp.add(mkTx(A, 5n, 2n)), "replacement transaction underpriced");
    rejects(() => mp.add(mkTx(A, 6n, 2n, { gasLimit: 20_000n })), "intrinsic gas too low");
    rejects(() => mp.add(mkTx(A, 6n, 2n, { gasLimit: 30_000_001n })), "exceeds block gas limit");
    rejects(() => mp.add(mkTx(A, 6n, 0n)), "max fee per gas less than block base fee");
    rejects(() => mp.add(mkTx(A, 6n, 2n, { size: 200_000 })), "oversized data");
    rejects(() => mp.add(mkTx(A, 6n, 2n, { chainId: 5n })), "invalid chain id");
    rejects(() => mp.add(mkTx(A, 6n, 2n, { chainId: undefined })), "invalid chain id");
    rejects(
      () => mp.add(mkTx(A, 6n, 2n, { maxPriorityFeePerGas: 3n })),
      "max priority fee per gas higher than max fee per gas",
    );
    rejects(() => mp.add(mkTx(A, 5n + 1024n, 2n)), "nonce too high");
    const after = JSON.stringify(mp.dump(), (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    expect(after).toBe(before);
    expect(mp.size).toBe(1);
  });

  it("replaces only at a 10% bump of both fee fields", () => {
    const { mp } = pool();
    const first = mkTx(A, 0n, 100n, { maxPriorityFeePerGas: 10n });
    mp.add(first);
    rejects(
      () => mp.add(mkTx(A, 0n, 110n, { maxPriorityFeePerGas: 10n })),
      "replacement transaction underpriced",
    );
    rejects(
      () => mp.add(mkTx(A, 0n, 109n, { maxPriorityFeePerGas: 11n })),
      "replacement transaction underpriced",
    );
    const second = mkTx(A, 0n, 110n, { maxPriorityFeePerGas: 11n });
    const res = mp.add(second);
    expect(res.replaced?.hash).toBe(first.hash);
    expect(mp.has(first.hash)).toBe(false);
    expect(mp.get(second.hash)).toBe(second);
    expect(mp.size).toBe(1);
  });

  it("keeps gaps queued and promotes when the gap fills", () => {
    const { mp } = pool();
    mp.add(mkTx(A, 0n, 2n));
    mp.add(mkTx(A, 2n, 2n));
    mp.add(mkTx(A, 3n, 2n));
    expect(mp.stats()).toMatchObject({ pending: 1, queued: 2 });
    mp.add(mkTx(A, 1n, 2n));
    expect(mp.stats()).toMatchObject({ pending: 4, queued: 0 });
  });

  it("demotes later nonces when a transaction is removed, and drops included ones on commit", () => {
    const { mp, accounts } = pool();
    const txs = [0n, 1n, 2n, 3n].map((n) => mkTx(A, n, 2n));
    for (const tx of txs) mp.add(tx);
    mp.remove(txs[1].hash);
    expect(mp.stats()).toMatchObject({ pending: 1, queued: 2 });
    accounts.set(A, 2n);
    const dropped = mp.onCommitted([A]);
    expect(dropped.map((t) => t.nonce)).toEqual([0n]);
    expect(mp.stats()).toMatchObject({ pending: 2, queued: 0 });
  });

  it("enforces per-sender limits in count and bytes", () => {
    const { mp } = pool({ maxTxsPerSender: 3, maxBytesPerSender: 1000 });
    for (let n = 0n; n < 3n; n++) mp.add(mkTx(A, n, 2n));
    rejects(() => mp.add(mkTx(A, 3n, 2n)), "account limit exceeded");
    const B = addr(2);
    mp.add(mkTx(B, 0n, 2n, { size: 900 }));
    rejects(() => mp.add(mkTx(B, 1n, 2n, { size: 101 })), "account limit exceeded");
  });

  it("evicts the cheapest sender tail when full, never a lower nonce below a kept higher one", () => {
    const { mp } = pool({ maxTxs: 4 });
    const A0 = mkTx(A, 0n, 5n);
    const A1 = mkTx(A, 1n, 9n); // A's tail is expensive, its head cheap
    const B = addr(2);
    const B0 = mkTx(B, 0n, 3n);
    const C = addr(3);
    const C0 = mkTx(C, 0n, 4n);
    for (const tx of [A0, A1, B0, C0]) mp.add(tx);
    // A0 (5) is cheaper than nothing evictable; the cheapest tail is B0 (3).
    const res = mp.add(mkTx(addr(4), 0n, 6n));
    expect(res.evicted.map((t) => t.hash)).toEqual([B0.hash]);
    // A newcomer no better than the cheapest tail is refused.
    rejects(() => mp.add(mkTx(addr(5), 0n, 4n)), "transaction underpriced");
    // Queued transactions go before pending ones.
    const { mp: mp2 } = pool({ maxTxs: 2 });
    const q = mkTx(A, 5n, 100n);
    mp2.add(q);
    mp2.add(mkTx(B, 0n, 2n));
    const res2 = mp2.add(mkTx(C, 0n, 3n));
    expect(res2.evicted.map((t) => t.hash)).toEqual([q.hash]);
  });

  it("orders for block building by effective tip, nonce order per sender, base-fee aware", () => {
    const { mp } = pool({ baseFee: 10n });
    const B = addr(2);
    const C = addr(3);
    const a0 = mkTx(A, 0n, 12n, { maxPriorityFeePerGas: 1n }); // tip 1
    const a1 = mkTx(A, 1n, 100n, { maxPriorityFeePerGas: 50n }); // tip 50 but behind a0
    const b0 = mkTx(B, 0n, 15n, { maxPriorityFeePerGas: 10n }); // tip 5 at base 10
    const c0 = mkTx(C, 0n, 20n, { maxPriorityFeePerGas: 3n }); // tip 3
    for (const tx of [a0, a1, b0, c0]) mp.add(tx);
    expect(mp.select({ gasLimit: 10n ** 9n }).map((t) => t.hash)).toEqual([
      b0.hash,
      c0.hash,
      a0.hash,
      a1.hash,
    ]);
    mp.setBaseFee(13n); // a0 can no longer pay: A is skipped entirely; b0 tip 2, c0 tip 3
    expect(mp.select({ gasLimit: 10n ** 9n }).map((t) => t.hash)).toEqual([c0.hash, b0.hash]);
    expect(mp.select({ gasLimit: 21_000n }).map((t) => t.hash)).toEqual([c0.hash]);
    expect(mp.select({ gasLimit: 10n ** 9n, maxCount: 1 }).length).toBe(1);
  });
});
