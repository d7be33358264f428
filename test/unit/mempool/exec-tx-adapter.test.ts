import { describe, expect, it } from "vitest";
import { FlatState } from "../../../src/execution/flat-state.ts";
import type { ExecTx, Hex } from "../../../src/execution/types.ts";
import { KECCAK_EMPTY } from "../../../src/execution/types.ts";
import { accountReaderFromState, Mempool, poolTxFromExecTx } from "../../../src/mempool/index.ts";

const SENDER = "0x00000000000000000000000000000000000000a1" as Hex;

function execTx(nonce: bigint, data: Uint8Array, gasLimit: bigint): ExecTx {
  return {
    type: 2,
    chainId: 7n,
    nonce,
    gasLimit,
    to: "0x00000000000000000000000000000000000000b2" as Hex,
    value: 5n,
    data,
    accessList: [],
    maxFeePerGas: 10n,
    maxPriorityFeePerGas: 2n,
    sender: SENDER,
    hash: `0x${nonce.toString(16).padStart(64, "0")}` as Hex,
    size: 100 + data.length,
  };
}

describe("mempool over execution transactions and state", () => {
  it("admits ExecTx with its intrinsic gas, checks nonce and balance against the flat state", () => {
    const state = new FlatState();
    state.putAccount(SENDER, { nonce: 3n, balance: 10n ** 9n, codeHash: KECCAK_EMPTY });
    const mp = new Mempool<ExecTx>(
      { chainId: 7n, blockGasLimit: 30_000_000n, baseFee: 1n },
      { accounts: accountReaderFromState(state) },
    );
    const data = new Uint8Array([0, 1, 2]); // 4 + 16 + 16 gas of calldata
    expect(poolTxFromExecTx(execTx(3n, data, 21_036n)).intrinsicGas).toBe(21_036n);
    expect(() => mp.add(poolTxFromExecTx(execTx(3n, data, 21_035n)))).toThrow("intrinsic gas too low");
    expect(() => mp.add(poolTxFromExecTx(execTx(2n, data, 30_000n)))).toThrow("nonce too low");
    const ok = execTx(3n, data, 30_000n);
    mp.add(poolTxFromExecTx(ok));
    expect(mp.select({ gasLimit: 1_000_000n })[0].payload).toBe(ok);
  });
});
