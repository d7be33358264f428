import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { effectiveTip, Mempool, MempoolError, type PoolTx } from "../../../src/mempool/index.ts";
import { addr, FakeAccounts, mkTx } from "./helpers.ts";

const LIMITS = { maxTxs: 12, maxBytes: 2400, maxTxsPerSender: 5, maxBytesPerSender: 900 };

type Op =
  | {
      kind: "add";
      sender: number;
      nonceOffset: number;
      fee: number;
      tip: number;
      size: number;
      value: number;
    }
  | { kind: "remove"; pick: number }
  | { kind: "commit"; sender: number; advance: number; balance: number }
  | { kind: "baseFee"; fee: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("add" as const),
      sender: fc.integer({ min: 1, max: 5 }),
      nonceOffset: fc.integer({ min: -1, max: 6 }),
      fee: fc.integer({ min: 0, max: 30 }),
      tip: fc.integer({ min: 0, max: 30 }),
      size: fc.integer({ min: 50, max: 400 }),
      value: fc.integer({ min: 0, max: 2_000_000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("commit" as const),
      sender: fc.integer({ min: 1, max: 5 }),
      advance: fc.integer({ min: 0, max: 3 }),
      balance: fc.integer({ min: 0, max: 2_000_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("baseFee" as const), fee: fc.integer({ min: 0, max: 15 }) }),
  },
);

function snapshot(mp: Mempool<string>): string {
  return JSON.stringify(mp.dump(), (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

function checkInvariants(mp: Mempool<string>): void {
  const dump = mp.dump();
  let count = 0;
  let bytes = 0;
  let pending = 0;
  for (const s of dump) {
    expect(s.txs.length).toBeGreaterThan(0); // no empty sender records (bounded memory)
    expect(s.txs.length).toBeLessThanOrEqual(LIMITS.maxTxsPerSender);
    expect(s.txs.reduce((a, t) => a + t.size, 0)).toBeLessThanOrEqual(LIMITS.maxBytesPerSender);
    for (let i = 0; i < s.txs.length; i++) {
      const tx = s.txs[i];
      expect(tx.sender).toBe(s.sender);
      expect(tx.nonce >= s.stateNonce).toBe(true);
      if (i > 0) expect(tx.nonce > s.txs[i - 1].nonce).toBe(true);
      expect(mp.get(tx.hash)).toBe(tx);
    }
    let contiguous = 0;
    while (contiguous < s.txs.length && s.txs[contiguous].nonce === s.stateNonce + BigInt(contiguous))
      contiguous++;
    expect(s.pending).toBe(contiguous);
    count += s.txs.length;
    bytes += s.txs.reduce((a, t) => a + t.size, 0);
    pending += contiguous;
  }
  expect(mp.size).toBe(count);
  expect(mp.bytes).toBe(bytes);
  expect(count).toBeLessThanOrEqual(LIMITS.maxTxs);
  expect(bytes).toBeLessThanOrEqual(LIMITS.maxBytes);
  expect(mp.stats()).toMatchObject({ txs: count, bytes, pending, queued: count - pending });

  // Block-building order: nonce order per sender, every pick is the best head available.
  const it = mp.pending();
  const next = new Map<string, bigint>(dump.map((s) => [s.sender, s.stateNonce]));
  const heads = (): PoolTx<string>[] =>
    dump
      .map((s) => s.txs.find((t) => t.nonce === next.get(s.sender)))
      .filter((t): t is PoolTx<string> => t !== undefined && effectiveTip(t, mp.currentBaseFee) >= 0n);
  for (let tx = it.peek(); tx; tx = it.peek()) {
    expect(tx.nonce).toBe(next.get(tx.sender));
    const bestTip = heads().reduce((m, t) => {
      const tip = effectiveTip(t, mp.currentBaseFee);
      return tip > m ? tip : m;
    }, -1n);
    expect(effectiveTip(tx, mp.currentBaseFee)).toBe(bestTip);
    next.set(tx.sender, tx.nonce + 1n);
    it.shift();
  }
  expect(heads()).toEqual([]);
}

describe("mempool property", () => {
  it("random add/replace/remove/commit sequences keep every invariant; a rejected tx changes nothing", () => {
    const seed = Number(process.env.FC_SEED ?? 0x5eed);
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 80 }), (ops) => {
        const accounts = new FakeAccounts();
        for (let i = 1; i <= 5; i++) accounts.set(addr(i), 0n, 1_000_000n + BigInt(i) * 100_000n);
        const mp = new Mempool<string>(
          { chainId: 1n, blockGasLimit: 1_000_000n, baseFee: 1n, ...LIMITS },
          { accounts },
        );
        for (const op of ops) {
          if (op.kind === "add") {
            const sender = addr(op.sender);
            const account = accounts.getAccount(sender);
            const nonce = account.nonce + BigInt(op.nonceOffset);
            if (nonce < 0n) continue;
            const tx = mkTx(sender, nonce, BigInt(op.fee), {
              maxPriorityFeePerGas: BigInt(Math.min(op.tip, op.fee + 1)),
              gasLimit: 21_000n,
              size: op.size,
              value: BigInt(op.value),
            });
            const before = snapshot(mp);
            const beforeTxs = new Map(mp.dump().map((s) => [s.sender, s.txs]));
            try {
              const res = mp.add(tx);
              expect(mp.get(tx.hash)).toBe(tx);
              // Evicted transactions are always above every kept nonce of their sender.
              for (const v of res.evicted) {
                const kept = mp.dump().find((s) => s.sender === v.sender)?.txs ?? [];
                for (const k of kept) expect(k.nonce < v.nonce || k.hash === tx.hash).toBe(true);
              }
              const lost = [...beforeTxs.values()].flat().filter((t) => !mp.has(t.hash));
              const explained = new Set([...res.evicted.map((t) => t.hash), res.replaced?.hash]);
              for (const t of lost) expect(explained.has(t.hash)).toBe(true);
            } catch (e) {
              if (!(e instanceof MempoolError)) throw e;
              expect(snapshot(mp)).toBe(before);
            }
          } else if (op.kind === "remove") {
            const all = mp.dump().flatMap((s) => s.txs);
            if (all.length > 0) {
              const victim = all[op.pick % all.length];
              expect(mp.remove(victim.hash)).toBe(victim);
              expect(mp.has(victim.hash)).toBe(false);
            }
          } else if (op.kind === "commit") {
            const sender = addr(op.sender);
            const account = accounts.getAccount(sender);
            accounts.set(sender, account.nonce + BigInt(op.advance), BigInt(op.balance));
            mp.onCommitted([sender]);
          } else {
            mp.setBaseFee(BigInt(op.fee));
          }
          checkInvariants(mp);
        }
      }),
      { seed, numRuns: 300, verbose: 1 },
    );
  });
});
