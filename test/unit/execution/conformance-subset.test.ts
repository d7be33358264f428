import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { SequentialExecutor } from "../../../src/execution/sequential-executor.ts";
import { runStateTests } from "../../conformance/state-tests.ts";
import { runTransactionTests } from "../../conformance/transaction-tests.ts";
import { runTrieTests } from "../../conformance/trie-tests.ts";

/**
 * A fast slice of ethereum/tests so `npm test` catches regressions; the full run is
 * `npm run test:conformance`. The vectors live outside the repo (not copied in).
 */
const DIR = resolve(
  process.env.ETHEREUM_TESTS_DIR ?? join(import.meta.dirname, "../../../../shared/fixtures/ethereum-tests"),
);
const present = existsSync(join(DIR, "GeneralStateTests"));

describe("ethereum/tests subset", () => {
  it("finds the vectors", () => {
    expect(present, `no ethereum/tests at ${DIR}: set ETHEREUM_TESTS_DIR`).toBe(true);
  });

  it("TrieTests: every root matches", () => {
    const r = runTrieTests(join(DIR, "TrieTests"));
    expect(r.failed).toEqual([]);
    expect(r.passed).toBeGreaterThan(20);
  });

  it("TransactionTests (EIP-1559, EIP-2930, EIP-3860, nonces, signatures)", () => {
    const r = runTransactionTests(join(DIR, "TransactionTests"), {
      filter: (id) => /^(ttEIP1559|ttEIP2930|ttEIP3860|ttNonce|ttSignature)\//.test(id),
    });
    expect(r.failed).toEqual([]);
    expect(r.passed).toBeGreaterThan(40);
  });

  it("GeneralStateTests (Cancun): examples, chain id, self balance, EIP-1559, transient storage", async () => {
    const root = join(DIR, "GeneralStateTests");
    const files = [
      "stExample/add11.json",
      "stExample/accessListExample.json",
      "stExample/basefeeExample.json",
      "stExample/eip1559.json",
      "stChainId/chainId.json",
      "stSelfBalance/selfBalance.json",
      "stEIP1559/lowFeeCap.json",
      "stEIP1559/tipTooHigh.json",
      "Cancun/stEIP1153-transientStorage/10_revertUndoesStoreAfterReturn.json",
      "stRefundTest/refund50_1.json",
      "stLogTests/log0_emptyMem.json",
    ]
      .map((f) => join(root, f))
      .filter((f) => existsSync(f));
    const r = await runStateTests(root, new SequentialExecutor(), { files });
    expect(r.failed).toEqual([]);
    expect(r.passed).toBeGreaterThan(10);
  });
});
