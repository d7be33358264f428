import type { AccountFields, StateManagerInterface, StorageDump } from "@ethereumjs/common";
import { Account, type Address } from "@ethereumjs/util";
import { writeWord } from "./fast-opcodes.ts";
import { bytesToHex, hexToBytes, slotKey } from "./hex.ts";
import type { Hex, StateWriter } from "./types.ts";
import { KECCAK_EMPTY } from "./types.ts";

const EMPTY_TRIE_ROOT_BYTES = hexToBytes(
  "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421",
);
const KECCAK_EMPTY_BYTES = hexToBytes(KECCAK_EMPTY);
const NON_EMPTY_ROOT_MARK = new Uint8Array(32).fill(1);
const EMPTY = new Uint8Array(0);

/**
 * A storage value as the EVM gets it: empty for 0, else the 32-byte big-endian word. Every
 * reader in @ethereumjs/evm either converts it to a number (SLOAD, BLOCKHASH) or left-pads it to
 * 32 bytes first (SSTORE's gas rules, `setLengthLeftStorage`): 32 bytes make that pad a no-op
 * instead of an array spread.
 */
function valueBytes(value: bigint): Uint8Array {
  if (value === 0n) return EMPTY;
  return writeWord(value, new Uint8Array(32));
}

/**
 * Address → lowercase 0x hex. The EVM passes the same Address object for consecutive accesses of a
 * frame (its `env.address`), so the last one is remembered by identity; a WeakMap costs more on a
 * miss (~1.7 µs) than the conversion itself (~0.35 µs).
 */
let lastAddress: Address | undefined;
let lastHex: Hex = "0x";
function hexOf(address: Address): Hex {
  if (address !== lastAddress) {
    lastHex = bytesToHex(address.bytes);
    lastAddress = address;
  }
  return lastHex;
}

/**
 * The state-manager interface @ethereumjs/evm calls, implemented over our journaled flat state.
 * Checkpoints map to the flat state's O(1) marks. The trie is not here: `getStateRoot` is not
 * available on the per-transaction path (roots are computed per EVM block from change sets).
 *
 * `originalStorageCache` answers "value of this slot when the current tx started" (EIP-2200 /
 * EIP-3529 SSTORE gas): the first write to a slot in a tx records the value it overwrote.
 */
export class EvmStateManager implements StateManagerInterface {
  state: StateWriter;
  private readonly marks: number[] = [];
  private readonly original = new Map<string, Uint8Array>();
  private readonly codeHashBytes = new Map<Hex, Uint8Array>();
  readonly originalStorageCache: {
    get(address: Address, key: Uint8Array): Promise<Uint8Array>;
    clear(): void;
  };

  constructor(opts: { state: StateWriter }) {
    this.state = opts.state;
    this.originalStorageCache = {
      get: async (address: Address, key: Uint8Array): Promise<Uint8Array> => {
        const addr = hexOf(address);
        const slot = slotKey(key);
        const recorded = this.original.get(addr + slot);
        if (recorded !== undefined) return recorded;
        return valueBytes(this.state.getStorage(addr, slot));
      },
      clear: (): void => this.original.clear(),
    };
  }

  /** Called at the start of every transaction. */
  startTx(): void {
    this.original.clear();
  }

  async getAccount(address: Address): Promise<Account | undefined> {
    const addr = hexOf(address);
    const account = this.state.getAccount(addr);
    if (account === undefined) return undefined;
    // Only "empty or not" matters to the EVM (EIP-7610 collision check): the real root lives in the trie.
    const storageRoot = this.state.hasStorage?.(addr) === true ? NON_EMPTY_ROOT_MARK : EMPTY_TRIE_ROOT_BYTES;
    return new Account(account.nonce, account.balance, storageRoot, this.hashBytes(account.codeHash));
  }

  private hashBytes(codeHash: Hex): Uint8Array {
    if (codeHash === KECCAK_EMPTY) return KECCAK_EMPTY_BYTES;
    let bytes = this.codeHashBytes.get(codeHash);
    if (bytes === undefined) {
      bytes = hexToBytes(codeHash);
      this.codeHashBytes.set(codeHash, bytes);
    }
    return bytes;
  }

  async putAccount(address: Address, account?: Account): Promise<void> {
    const addr = hexOf(address);
    if (account === undefined) {
      this.state.putAccount(addr, undefined);
      return;
    }
    this.state.putAccount(addr, {
      nonce: account.nonce,
      balance: account.balance,
      codeHash: bytesToHex(account.codeHash),
    });
  }

  async deleteAccount(address: Address): Promise<void> {
    this.state.putAccount(hexOf(address), undefined);
  }

  async modifyAccountFields(address: Address, fields: AccountFields): Promise<void> {
    const addr = hexOf(address);
    const current = this.state.getAccount(addr) ?? { nonce: 0n, balance: 0n, codeHash: KECCAK_EMPTY };
    this.state.putAccount(addr, {
      nonce: fields.nonce ?? current.nonce,
      balance: fields.balance ?? current.balance,
      codeHash: fields.codeHash !== undefined ? bytesToHex(fields.codeHash) : current.codeHash,
    });
  }

  async putCode(address: Address, value: Uint8Array): Promise<void> {
    this.state.putCode(hexOf(address), value);
  }

  async getCode(address: Address): Promise<Uint8Array> {
    return this.state.getCode(hexOf(address));
  }

  async getCodeSize(address: Address): Promise<number> {
    return this.state.getCode(hexOf(address)).length;
  }

  async getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    return valueBytes(this.state.getStorage(hexOf(address), slotKey(key)));
  }

  async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    const addr = hexOf(address);
    const slot = slotKey(key);
    const id = addr + slot;
    if (!this.original.has(id)) this.original.set(id, valueBytes(this.state.getStorage(addr, slot)));
    let v = 0n;
    for (let i = 0; i < value.length; i++) v = (v << 8n) | BigInt(value[i]);
    this.state.putStorage(addr, slot, v);
  }

  async clearStorage(address: Address): Promise<void> {
    this.state.clearStorage(hexOf(address));
  }

  async checkpoint(): Promise<void> {
    this.marks.push(this.state.checkpoint());
  }

  async commit(): Promise<void> {
    const mark = this.marks.pop();
    if (mark === undefined) throw new Error("commit without checkpoint");
    this.state.commit(mark);
  }

  async revert(): Promise<void> {
    const mark = this.marks.pop();
    if (mark === undefined) throw new Error("revert without checkpoint");
    this.state.revert(mark);
  }

  async getStateRoot(): Promise<Uint8Array> {
    throw new Error("state roots are computed per block from change sets, not inside the EVM");
  }

  async setStateRoot(_root: Uint8Array): Promise<void> {
    throw new Error("setStateRoot is not supported by the flat state");
  }

  async hasStateRoot(_root: Uint8Array): Promise<boolean> {
    return false;
  }

  async dumpStorage(_address: Address): Promise<StorageDump> {
    return {};
  }

  clearCaches(): void {}

  shallowCopy(): StateManagerInterface {
    return new EvmStateManager({ state: this.state });
  }
}
