import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FlatState } from "../../../src/execution/flat-state.ts";
import { SequentialExecutor } from "../../../src/execution/sequential-executor.ts";
import { computeStateRoot } from "../../../src/execution/state-root.ts";
import type { ExecTx, Hex } from "../../../src/execution/types.ts";
import { KECCAK_EMPTY } from "../../../src/execution/types.ts";
import { unsignedTx, workloadEnv } from "../../../src/execution/workloads/generators.ts";

const SEED = Number(process.env.FC_SEED ?? 20261121);

const addr = (i: number): Hex => `0x${(0x1000 + i).toString(16).padStart(40, "0")}` as Hex;
const COINBASE = addr(99);

interface Case {
  balances: bigint[];
  emptyExisting: boolean;
  txs: { from: number; to: number; value: bigint; nonceSkew: number; tip: bigint }[];
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  balances: fc.array(fc.bigInt({ min: 0n, max: 10n ** 8n }), { minLength: 4, maxLength: 4 }),
  emptyExisting: fc.boolean(),
  txs: fc.array(
    fc.record({
      from: fc.integer({ min: 0, max: 3 }),
      // 4..6 are never funded (fresh), 7 is the coinbase, 8 the empty-but-existing account
      to: fc.integer({ min: 0, max: 8 }),
      value: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 10n ** 7n })),
      nonceSkew: fc.oneof(
        { weight: 8, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: -1, max: 1 }) },
      ),
      tip: fc.bigInt({ min: 0n, max: 5n }),
    }),
    { minLength: 1, maxLength: 25 },
  ),
});

function target(i: number): Hex {
  if (i === 7) return COINBASE;
  if (i === 8) return addr(50);
  return addr(i);
}

function build(c: Case): { state: FlatState; txs: ExecTx[] } {
  const state = new FlatState();
  c.balances.forEach((b, i) => {
    state.putAccount(addr(i), { nonce: 0n, balance: b, codeHash: KECCAK_EMPTY });
  });
  if (c.emptyExisting) state.putAccount(addr(50), { nonce: 0n, balance: 0n, codeHash: KECCAK_EMPTY });
  state.takeChanges();
  const nonces = new Map<number, bigint>();
  const txs = c.txs.map((t) => {
    const n = nonces.get(t.from) ?? 0n;
    if (t.nonceSkew === 0) nonces.set(t.from, n + 1n);
    return unsignedTx({
      sender: addr(t.from),
      nonce: n + BigInt(t.nonceSkew),
      to: target(t.to),
      value: t.value,
      gasLimit: 21_000n,
      maxFeePerGas: 20n,
      maxPriorityFeePerGas: t.tip,
    });
  });
  return { state, txs };
}

describe("native transfer fast path", () => {
  it("gives exactly the EVM path's results over random transfers", async () => {
    const fast = new SequentialExecutor({ fastPath: true });
    const slow = new SequentialExecutor({ fastPath: false });
    const env = workloadEnv({ coinbase: COINBASE, baseFee: 10n });
    try {
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          const a = build(c);
          const b = build(c);
          const ra = await fast.executeBlock(env, a.txs, a.state);
          const rb = await slow.executeBlock(env, b.txs, b.state);
          expect(ra.receipts).toEqual(rb.receipts);
          expect(ra.rejected).toEqual(rb.rejected);
          expect(ra.gasUsed).toBe(rb.gasUsed);
          expect(ra.priorityFees).toBe(rb.priorityFees);
          expect(computeStateRoot(a.state)).toBe(computeStateRoot(b.state));
          expect([...a.state.entries()].sort()).toEqual([...b.state.entries()].sort());
        }),
        { seed: SEED, numRuns: 80 },
      );
    } catch (err) {
      throw new Error(`fast-path property failed with seed ${SEED}: ${String(err)}`);
    }
  });

  it("really skips the interpreter for transfers to code-less accounts", async () => {
    const executor = new SequentialExecutor();
    const envelope = await executor.envelope(workloadEnv().chainId, "cancun");
    const { state, txs } = build({
      balances: [10n ** 8n, 0n, 0n, 0n],
      emptyExisting: false,
      txs: [{ from: 0, to: 1, value: 5n, nonceSkew: 0, tip: 1n }],
    });
    const outcome = await envelope.execute(workloadEnv({ baseFee: 10n }), txs[0], state);
    expect(outcome.fastPath).toBe(true);
    expect(state.getAccount(addr(1))?.balance).toBe(5n);
  });
});
