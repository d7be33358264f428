import { bytesToHex, hexToBytes } from "../execution/hex.ts";
import type { AccountData, Hex, StateChangeSet, StateReader } from "../execution/types.ts";
import { KECCAK_EMPTY } from "../execution/types.ts";
import { addressKey, decodeAccount, encodeAccount, lastSlotKey, slotKey } from "./codec.ts";
import type { BatchOp, Database } from "./database.ts";

const EMPTY = new Uint8Array(0);

/**
 * The persisted state: accounts, code by hash, and slots keyed address ++ slot. Reads are
 * synchronous (`getSync`, ~4 µs) because they sit under the EVM's state reads when the in-memory
 * state misses; `prefetchAccounts` batches cold reads with one `getMany`.
 */
export class StateStore implements StateReader {
  private readonly d: Database;

  constructor(d: Database) {
    this.d = d;
  }

  getAccount(address: Hex): AccountData | undefined {
    const bytes = this.d.sub.accounts.getSync(addressKey(address));
    return bytes === undefined ? undefined : decodeAccount(bytes);
  }

  getCode(address: Hex): Uint8Array {
    const account = this.getAccount(address);
    if (account === undefined || account.codeHash === KECCAK_EMPTY) return EMPTY;
    return this.getCodeByHash(account.codeHash) ?? EMPTY;
  }

  getCodeByHash(codeHash: Hex): Uint8Array | undefined {
    return this.d.sub.code.getSync(hexToBytes(codeHash));
  }

  getStorage(address: Hex, slot: Hex): bigint {
    const bytes = this.d.sub.storage.getSync(slotKey(address, slot));
    return bytes === undefined || bytes.length === 0 ? 0n : BigInt(bytesToHex(bytes));
  }

  /** Cold reads in one round trip to LevelDB. */
  async prefetchAccounts(addresses: Hex[]): Promise<(AccountData | undefined)[]> {
    const values = await this.d.sub.accounts.getMany(addresses.map(addressKey));
    return values.map((v) => (v === undefined ? undefined : decodeAccount(v)));
  }

  /** Every non-zero slot of an account (genesis dumps, tests, eth_getProof's storage trie). */
  async storageOf(address: Hex): Promise<Map<Hex, bigint>> {
    const out = new Map<Hex, bigint>();
    for await (const [key, value] of this.d.sub.storage.iterator({
      gte: addressKey(address),
      lte: lastSlotKey(address),
    })) {
      out.set(bytesToHex(key.subarray(20)), BigInt(bytesToHex(value)));
    }
    return out;
  }

  /**
   * The batch operations that write `changes` back. Wiped storage is deleted slot by slot (an
   * iterator over the account's key range, before the batch), then the new values are written:
   * LevelDB applies a batch in order, so a later put wins over an earlier del of the same key.
   */
  async changeOps(changes: StateChangeSet): Promise<BatchOp[]> {
    const ops: BatchOp[] = [];
    const { accounts, code, storage } = this.d.sub;
    for (const address of changes.clearedStorage) {
      for await (const key of storage.keys({ gte: addressKey(address), lte: lastSlotKey(address) })) {
        ops.push({ type: "del", sublevel: storage, key });
      }
    }
    for (const [hash, bytes] of changes.code) {
      ops.push({ type: "put", sublevel: code, key: hexToBytes(hash), value: bytes });
    }
    for (const [address, account] of changes.accounts) {
      if (account === null) ops.push({ type: "del", sublevel: accounts, key: addressKey(address) });
      else
        ops.push({
          type: "put",
          sublevel: accounts,
          key: addressKey(address),
          value: encodeAccount(account),
        });
    }
    for (const [address, slots] of changes.storage) {
      for (const [slot, value] of slots) {
        const key = slotKey(address, slot);
        if (value === 0n) ops.push({ type: "del", sublevel: storage, key });
        else ops.push({ type: "put", sublevel: storage, key, value: hexToBytes(value.toString(16)) });
      }
    }
    return ops;
  }
}
