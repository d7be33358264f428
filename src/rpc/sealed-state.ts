import { keccak256 } from "../crypto/keccak.ts";
import { bigintToBytes, bytesToHex, hexToBytes } from "../execution/hex.ts";
import { encodeBytes, encodeList } from "../execution/rlp.ts";
import type { AccountData, Hex, StateChangeSet } from "../execution/types.ts";
import type { ProofData } from "./backend.ts";
import { ProofTrie } from "./proof-trie.ts";

const ZERO_HASH = `0x${"00".repeat(32)}` as Hex;

/**
 * The state as of the newest sealed EVM block, kept for eth_getProof: the node's flat state runs
 * ahead (it already holds the open block's mini-blocks), but a proof must match the sealed
 * block's state root. It follows each sealed block's change set; the tries are built when a
 * proof is asked for and kept until the next seal.
 */
export class SealedStateView {
  private readonly accounts = new Map<Hex, AccountData>();
  private readonly storage = new Map<Hex, Map<Hex, bigint>>();
  private accountTrie: ProofTrie | undefined;
  private readonly storageTries = new Map<Hex, ProofTrie>();

  apply(changes: StateChangeSet): void {
    for (const address of changes.clearedStorage) this.storage.delete(address);
    for (const [address, slots] of changes.storage) {
      let mine = this.storage.get(address);
      if (mine === undefined) {
        mine = new Map();
        this.storage.set(address, mine);
      }
      for (const [slot, value] of slots) {
        if (value === 0n) mine.delete(slot);
        else mine.set(slot, value);
      }
      if (mine.size === 0) this.storage.delete(address);
    }
    for (const [address, account] of changes.accounts) {
      if (account === null) {
        this.accounts.delete(address);
        this.storage.delete(address);
      } else this.accounts.set(address, account);
    }
    this.accountTrie = undefined;
    this.storageTries.clear();
  }

  private storageTrie(address: Hex): ProofTrie {
    let trie = this.storageTries.get(address);
    if (trie === undefined) {
      const entries: [Uint8Array, Uint8Array][] = [];
      for (const [slot, value] of this.storage.get(address) ?? []) {
        entries.push([keccak256(hexToBytes(slot)), encodeBytes(bigintToBytes(value))]);
      }
      trie = new ProofTrie(entries);
      this.storageTries.set(address, trie);
    }
    return trie;
  }

  stateRoot(): Hex {
    return bytesToHex(this.trie().rootHash());
  }

  private trie(): ProofTrie {
    if (this.accountTrie === undefined) {
      const entries: [Uint8Array, Uint8Array][] = [];
      for (const [address, account] of this.accounts) {
        entries.push([
          keccak256(hexToBytes(address)),
          encodeList([
            encodeBytes(bigintToBytes(account.nonce)),
            encodeBytes(bigintToBytes(account.balance)),
            encodeBytes(this.storageTrie(address).rootHash()),
            encodeBytes(hexToBytes(account.codeHash)),
          ]),
        ]);
      }
      this.accountTrie = new ProofTrie(entries);
    }
    return this.accountTrie;
  }

  /** EIP-1186 proof of an account and some of its slots (slots as 32-byte hex). */
  proof(address: Hex, slots: readonly Hex[]): ProofData {
    const account = this.accounts.get(address);
    const storage = this.storageTrie(address);
    return {
      address,
      balance: account?.balance ?? 0n,
      nonce: account?.nonce ?? 0n,
      // geth's answer for an account that does not exist.
      codeHash: account?.codeHash ?? ZERO_HASH,
      storageHash: bytesToHex(storage.rootHash()),
      accountProof: this.trie()
        .prove(keccak256(hexToBytes(address)))
        .map(bytesToHex),
      storageProof: slots.map((key) => ({
        key,
        value: this.storage.get(address)?.get(key) ?? 0n,
        proof: storage.prove(keccak256(hexToBytes(key))).map(bytesToHex),
      })),
    };
  }
}
