import { intrinsicGas } from "../execution/intrinsic-gas.ts";
import type { ExecTx, Hex, StateReader } from "../execution/types.ts";
import type { AccountReader, PoolTx } from "./types.ts";

/** The pool's view of an execution transaction (sender already recovered at decode time). */
export function poolTxFromExecTx(tx: ExecTx): PoolTx<ExecTx> {
  return {
    hash: tx.hash,
    sender: tx.sender,
    nonce: tx.nonce,
    gasLimit: tx.gasLimit,
    maxFeePerGas: tx.maxFeePerGas,
    maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
    value: tx.value,
    intrinsicGas: intrinsicGas(tx),
    size: tx.size,
    chainId: tx.chainId,
    payload: tx,
  };
}

/** Committed nonces and balances from the execution state (absent account = nonce 0, balance 0). */
export function accountReaderFromState(state: StateReader): AccountReader {
  return {
    getAccount(address: string): { nonce: bigint; balance: bigint } {
      const account = state.getAccount(address as Hex);
      return { nonce: account?.nonce ?? 0n, balance: account?.balance ?? 0n };
    },
  };
}
