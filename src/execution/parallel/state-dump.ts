import { FlatState } from "../flat-state.ts";
import type { ExecutionState, Hex } from "../types.ts";
import { type CacheFill, emptyFill } from "./protocol.ts";

/**
 * A whole-state copy for the workers' caches, when `state` is a root FlatState (the node's
 * in-memory state): then workers never miss, and an uncached key means "absent / zero".
 * Other states (overlays, foreign implementations) return undefined: workers then ask for what
 * they lack, which costs a retry per missing key but stays correct.
 */
export function dumpState(state: ExecutionState): CacheFill | undefined {
  // FlatState keeps its parent in a TypeScript-private field; a root layer has none.
  if (!(state instanceof FlatState) || (state as unknown as { parent?: unknown }).parent !== undefined)
    return undefined;
  const fill = emptyFill();
  fill.completeAccounts = true;
  for (const [address, account] of state.entries()) {
    fill.accounts.push([address, account]);
    fill.completeStorage.push(address);
    let any = false;
    for (const [slot, value] of state.storageEntries(address)) {
      fill.slots.push([address, slot, value]);
      any = true;
    }
    fill.hasStorage.push([address, any]);
    const code = state.getCode(address);
    if (code.length > 0) fill.code.push([account.codeHash as Hex, code]);
  }
  return fill;
}
