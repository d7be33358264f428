import type { TxOutcome } from "../tx-envelope.ts";
import type { Hex, StateWriter } from "../types.ts";
import { KECCAK_EMPTY } from "../types.ts";

/**
 * Credits one transaction's priority fee to the fee recipient, at commit time and in block order,
 * exactly as the envelope does when it credits inline (as RISE pevm does: transactions never read
 * or write the fee recipient during speculation, so they do not all conflict on it).
 * The EVM path also counts the recipient as touched: an empty one is removed (EIP-161).
 */
export function creditFeeLazily(state: StateWriter, coinbase: Hex, outcome: TxOutcome): void {
  const fee = outcome.priorityFee;
  const account = state.getAccount(coinbase);
  if (!(fee === 0n && account === undefined)) {
    state.putAccount(coinbase, {
      nonce: account?.nonce ?? 0n,
      balance: (account?.balance ?? 0n) + fee,
      codeHash: account?.codeHash ?? KECCAK_EMPTY,
    });
  }
  if (!outcome.fastPath) {
    const after = state.getAccount(coinbase);
    if (
      after !== undefined &&
      after.nonce === 0n &&
      after.balance === 0n &&
      after.codeHash === KECCAK_EMPTY
    ) {
      state.putAccount(coinbase, undefined);
    }
  }
}
