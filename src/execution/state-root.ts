import { keccak256 } from "../crypto/keccak.ts";
import { bigintToBytes, hexToBytes } from "./hex.ts";
import { encodeBytes, encodeList } from "./rlp.ts";
import { MerklePatriciaTrie } from "./trie/mpt.ts";
import type { AccountData, Hex, StateChangeSet, StateReader } from "./types.ts";

/**
 * Ethereum-compatible state root, maintained incrementally: the account trie and one storage trie
 * per account live in memory, and each EVM block's change set is applied to them once, after
 * the block executed (never on the per-transaction path). Only touched paths are re-hashed.
 */
export class StateRootComputer {
  private readonly accounts = new MerklePatriciaTrie();
  private readonly storageTries = new Map<Hex, MerklePatriciaTrie>();
  private readonly hashedKeys = new Map<Hex, Uint8Array>();

  private hashedKey(key: Hex): Uint8Array {
    let hashed = this.hashedKeys.get(key);
    if (hashed === undefined) {
      hashed = keccak256(hexToBytes(key));
      if (this.hashedKeys.size > 1_000_000) this.hashedKeys.clear();
      this.hashedKeys.set(key, hashed);
    }
    return hashed;
  }

  /** Applies a change set; `state` supplies the current account of addresses whose storage alone changed. */
  apply(changes: StateChangeSet, state: StateReader): Hex {
    for (const address of changes.clearedStorage) this.storageTries.delete(address);
    const touched = new Set<Hex>(changes.accounts.keys());
    for (const [address, slots] of changes.storage) {
      touched.add(address);
      let trie = this.storageTries.get(address);
      if (trie === undefined) {
        trie = new MerklePatriciaTrie();
        this.storageTries.set(address, trie);
      }
      for (const [slot, value] of slots) {
        const key = keccak256(hexToBytes(slot));
        trie.put(key, value === 0n ? new Uint8Array(0) : encodeBytes(bigintToBytes(value)));
      }
    }
    for (const address of changes.clearedStorage) touched.add(address);
    for (const address of touched) {
      const account = changes.accounts.has(address)
        ? changes.accounts.get(address)
        : state.getAccount(address);
      const key = this.hashedKey(address);
      if (account === null || account === undefined) {
        this.storageTries.delete(address);
        this.accounts.delete(key);
        continue;
      }
      this.accounts.put(key, this.encodeAccount(address, account));
    }
    return this.accounts.rootHex();
  }

  storageRoot(address: Hex): Uint8Array {
    const trie = this.storageTries.get(address);
    if (trie === undefined || trie.isEmpty()) return EMPTY_ROOT;
    return trie.rootHash();
  }

  private encodeAccount(address: Hex, account: AccountData): Uint8Array {
    return encodeList([
      encodeBytes(bigintToBytes(account.nonce)),
      encodeBytes(bigintToBytes(account.balance)),
      encodeBytes(this.storageRoot(address)),
      encodeBytes(hexToBytes(account.codeHash)),
    ]);
  }

  root(): Hex {
    return this.accounts.rootHex();
  }
}

const EMPTY_ROOT = new MerklePatriciaTrie().rootHash();

/** Root of a whole flat state, from scratch (genesis, tests). */
export function computeStateRoot(
  state: StateReader & {
    entries(): Iterable<[Hex, AccountData]>;
    storageEntries(address: Hex): Iterable<[Hex, bigint]>;
  },
): Hex {
  const changes: StateChangeSet = {
    accounts: new Map(),
    storage: new Map(),
    clearedStorage: new Set(),
    code: new Map(),
  };
  for (const [address, account] of state.entries()) {
    changes.accounts.set(address, account);
    const slots = new Map(state.storageEntries(address));
    if (slots.size > 0) changes.storage.set(address, slots);
  }
  return new StateRootComputer().apply(changes, state);
}
