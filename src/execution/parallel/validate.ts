import type { AccountData, StateReader } from "../types.ts";
import type { ReadSet } from "./protocol.ts";

function sameAccount(a: AccountData | undefined, b: AccountData | null): boolean {
  if (a === undefined || b === null) return a === undefined && b === null;
  return a.nonce === b.nonce && a.balance === b.balance && a.codeHash === b.codeHash;
}

/**
 * Block-STM validation, by value: a speculative execution is exactly the sequential one when
 * every value it read equals the value in the state of all earlier transactions committed (the
 * execution is a deterministic function of what it read).
 */
export function readsStillHold(reads: ReadSet, state: StateReader): boolean {
  for (const [address, account] of reads.accounts)
    if (!sameAccount(state.getAccount(address), account)) return false;
  for (const [address, slot, value] of reads.slots)
    if (state.getStorage(address, slot) !== value) return false;
  for (const [address, flag] of reads.hasStorage)
    if ((state.hasStorage?.(address) ?? false) !== flag) return false;
  return true;
}
