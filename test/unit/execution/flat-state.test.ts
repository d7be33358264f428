import { describe, expect, it } from "vitest";
import { FlatState } from "../../../src/execution/flat-state.ts";
import { bigintToSlot } from "../../../src/execution/hex.ts";
import { computeStateRoot, StateRootComputer } from "../../../src/execution/state-root.ts";
import type { Hex } from "../../../src/execution/types.ts";
import { EMPTY_TRIE_ROOT, KECCAK_EMPTY } from "../../../src/execution/types.ts";
import { seededRandom } from "../../../src/execution/workloads/accounts.ts";

const A = "0x00000000000000000000000000000000000000aa" as Hex;
const B = "0x00000000000000000000000000000000000000bb" as Hex;
const acct = (balance: bigint, nonce = 0n) => ({ nonce, balance, codeHash: KECCAK_EMPTY });
const slot = (n: number): Hex => bigintToSlot(BigInt(n));

describe("FlatState journal", () => {
  it("reverts nested checkpoints exactly and keeps committed inner writes until the outer revert", () => {
    const s = new FlatState();
    s.putAccount(A, acct(10n));
    s.putStorage(A, slot(1), 5n);
    const outer = s.checkpoint();
    s.putAccount(A, acct(20n));
    const inner = s.checkpoint();
    s.putStorage(A, slot(1), 6n);
    s.putAccount(B, acct(1n));
    s.commit(inner);
    expect(s.getStorage(A, slot(1))).toBe(6n);
    expect(s.getAccount(B)?.balance).toBe(1n);
    s.revert(outer);
    expect(s.getAccount(A)?.balance).toBe(10n);
    expect(s.getStorage(A, slot(1))).toBe(5n);
    expect(s.getAccount(B)).toBeUndefined();
  });

  it("undoes clearStorage and account deletion", () => {
    const s = new FlatState();
    s.putAccount(A, acct(1n));
    s.putStorage(A, slot(1), 9n);
    const mark = s.checkpoint();
    s.putAccount(A, undefined);
    expect(s.getAccount(A)).toBeUndefined();
    expect(s.getStorage(A, slot(1))).toBe(0n);
    s.revert(mark);
    expect(s.getAccount(A)?.balance).toBe(1n);
    expect(s.getStorage(A, slot(1))).toBe(9n);
  });

  it("overlays read through to the parent and merge back", () => {
    const base = new FlatState();
    base.putAccount(A, acct(1n));
    base.putStorage(A, slot(1), 1n);
    base.putStorage(A, slot(2), 2n);
    base.takeChanges();
    const overlay = new FlatState({ parent: base });
    expect(overlay.getStorage(A, slot(2))).toBe(2n);
    overlay.putStorage(A, slot(2), 0n);
    overlay.putAccount(B, acct(7n));
    expect(overlay.getStorage(A, slot(2))).toBe(0n);
    expect(base.getStorage(A, slot(2))).toBe(2n);
    expect(base.getAccount(B)).toBeUndefined();
    overlay.mergeInto(base);
    expect(base.getStorage(A, slot(2))).toBe(0n);
    expect(base.getStorage(A, slot(1))).toBe(1n);
    expect(base.getAccount(B)?.balance).toBe(7n);
  });

  it("reports final values in the change set, and an incremental root equals a root from scratch", () => {
    const random = seededRandom(7);
    const s = new FlatState();
    const computer = new StateRootComputer();
    expect(computer.root()).toBe(EMPTY_TRIE_ROOT);
    const addresses = Array.from(
      { length: 20 },
      (_, i) => `0x${(i + 1).toString(16).padStart(40, "0")}` as Hex,
    );
    for (let block = 0; block < 5; block++) {
      for (let i = 0; i < 60; i++) {
        const a = addresses[Math.floor(random() * addresses.length)];
        const r = random();
        if (r < 0.4) s.putAccount(a, acct(BigInt(Math.floor(random() * 1000)), BigInt(block)));
        else if (r < 0.85) {
          if (s.getAccount(a) === undefined) s.putAccount(a, acct(1n));
          s.putStorage(a, slot(Math.floor(random() * 8)), BigInt(Math.floor(random() * 3)));
        } else if (r < 0.95) s.putAccount(a, undefined);
        else s.clearStorage(a);
      }
      const incremental = computer.apply(s.takeChanges(), s);
      expect(incremental).toBe(computeStateRoot(s));
    }
  });
});
