import type { StateChangeSet } from "./types.ts";

export function emptyChangeSet(): StateChangeSet {
  return { accounts: new Map(), storage: new Map(), clearedStorage: new Set(), code: new Map() };
}

/** Folds `next` (later) into `into` (earlier): later values win; a later wipe drops earlier slot writes. */
export function mergeChangeSets(into: StateChangeSet, next: StateChangeSet): StateChangeSet {
  for (const address of next.clearedStorage) {
    into.storage.delete(address);
    into.clearedStorage.add(address);
  }
  for (const [address, account] of next.accounts) into.accounts.set(address, account);
  for (const [address, slots] of next.storage) {
    let target = into.storage.get(address);
    if (target === undefined) {
      target = new Map();
      into.storage.set(address, target);
    }
    for (const [slot, value] of slots) target.set(slot, value);
  }
  for (const [hash, code] of next.code) into.code.set(hash, code);
  return into;
}
