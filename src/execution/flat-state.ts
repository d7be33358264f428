import { keccak256 } from "../crypto/keccak.ts";
import { bytesToHex } from "./hex.ts";
import type { AccountData, ExecutionState, Hex, StateChangeSet, StateReader } from "./types.ts";
import { KECCAK_EMPTY } from "./types.ts";

/** Undo records. `undefined` prev = the key was absent from this layer's map. */
type UndoEntry =
  | { kind: 0; address: Hex; prev: AccountData | null | undefined }
  | { kind: 1; address: Hex; slot: Hex; prev: bigint | undefined }
  | { kind: 2; address: Hex; prevSlots: Map<Hex, bigint> | undefined; prevCleared: boolean };

const EMPTY_CODE = new Uint8Array(0);

/**
 * Flat in-memory state with an O(1) journal.
 *
 * Without a parent it is the node's canonical state. With a parent it is an overlay (one per
 * mini-block while the leader builds speculatively): reads fall through to the parent, writes
 * stay local until `mergeInto(parent)`. Tombstones (`null` accounts, explicit 0n slots,
 * `cleared` addresses) stop reads from falling through to the parent.
 *
 * Checkpoints are indexes into the undo log: `checkpoint()` and `commit()` cost O(1),
 * `revert()` costs the number of writes undone.
 */
export class FlatState implements ExecutionState {
  private readonly parent: StateReader | undefined;
  private readonly accounts = new Map<Hex, AccountData | null>();
  private readonly storage = new Map<Hex, Map<Hex, bigint>>();
  private readonly cleared = new Set<Hex>();
  private readonly codeByHash = new Map<Hex, Uint8Array>();
  private undo: UndoEntry[] = [];
  private openCheckpoints = 0;
  private dirtyAccounts = new Set<Hex>();
  private dirtySlots = new Map<Hex, Set<Hex>>();
  private clearedSinceTake = new Set<Hex>();
  private newCode = new Map<Hex, Uint8Array>();

  constructor(opts: { parent?: StateReader } = {}) {
    this.parent = opts.parent;
  }

  getAccount(address: Hex): AccountData | undefined {
    const local = this.accounts.get(address);
    if (local !== undefined) return local === null ? undefined : local;
    return this.parent?.getAccount(address);
  }

  getCode(address: Hex): Uint8Array {
    const account = this.getAccount(address);
    if (account === undefined || account.codeHash === KECCAK_EMPTY) return EMPTY_CODE;
    const code = this.codeByHash.get(account.codeHash);
    if (code !== undefined) return code;
    return this.parent?.getCode(address) ?? EMPTY_CODE;
  }

  /** Code by hash, for layers above this one. */
  getCodeByHash(codeHash: Hex): Uint8Array | undefined {
    return this.codeByHash.get(codeHash);
  }

  getStorage(address: Hex, slot: Hex): bigint {
    const slots = this.storage.get(address);
    if (slots !== undefined) {
      const value = slots.get(slot);
      if (value !== undefined) return value;
    }
    if (this.parent === undefined || this.cleared.has(address)) return 0n;
    if (this.accounts.get(address) === null) return 0n;
    return this.parent.getStorage(address, slot);
  }

  hasStorage(address: Hex): boolean {
    const slots = this.storage.get(address);
    if (slots !== undefined) for (const value of slots.values()) if (value !== 0n) return true;
    if (this.parent === undefined || this.cleared.has(address) || this.accounts.get(address) === null)
      return false;
    return this.parent.hasStorage?.(address) ?? false;
  }

  putAccount(address: Hex, account: AccountData | undefined): void {
    const prev = this.accounts.get(address);
    if (this.openCheckpoints > 0) this.undo.push({ kind: 0, address, prev });
    this.dirtyAccounts.add(address);
    if (account === undefined) {
      // A deleted account loses its storage too.
      this.clearStorage(address);
      if (this.parent === undefined) this.accounts.delete(address);
      else this.accounts.set(address, null);
    } else {
      this.accounts.set(address, {
        nonce: account.nonce,
        balance: account.balance,
        codeHash: account.codeHash,
      });
    }
  }

  putCode(address: Hex, code: Uint8Array, codeHash?: Hex): void {
    const hash = codeHash ?? (code.length === 0 ? KECCAK_EMPTY : hashCode(code));
    if (code.length > 0 && !this.codeByHash.has(hash)) {
      // Code is content-addressed: keeping it after a revert is harmless.
      this.codeByHash.set(hash, code);
      this.newCode.set(hash, code);
    }
    const account = this.getAccount(address) ?? { nonce: 0n, balance: 0n, codeHash: KECCAK_EMPTY };
    this.putAccount(address, { nonce: account.nonce, balance: account.balance, codeHash: hash });
  }

  putStorage(address: Hex, slot: Hex, value: bigint): void {
    let slots = this.storage.get(address);
    if (slots === undefined) {
      slots = new Map();
      this.storage.set(address, slots);
    }
    if (this.openCheckpoints > 0) this.undo.push({ kind: 1, address, slot, prev: slots.get(slot) });
    // The root layer drops zero slots; an overlay keeps 0n as a tombstone over its parent.
    if (value === 0n && this.parent === undefined) slots.delete(slot);
    else slots.set(slot, value);
    let dirty = this.dirtySlots.get(address);
    if (dirty === undefined) {
      dirty = new Set();
      this.dirtySlots.set(address, dirty);
    }
    dirty.add(slot);
  }

  clearStorage(address: Hex): void {
    if (this.openCheckpoints > 0)
      this.undo.push({
        kind: 2,
        address,
        prevSlots: this.storage.get(address),
        prevCleared: this.cleared.has(address),
      });
    this.storage.delete(address);
    if (this.parent !== undefined) this.cleared.add(address);
    this.clearedSinceTake.add(address);
    // Slots written earlier in this change set now read as 0; the cleared flag covers them.
    this.dirtySlots.delete(address);
  }

  checkpoint(): number {
    this.openCheckpoints++;
    return this.undo.length;
  }

  revert(mark: number): void {
    const undo = this.undo;
    for (let i = undo.length - 1; i >= mark; i--) {
      const entry = undo[i];
      if (entry.kind === 0) {
        if (entry.prev === undefined) this.accounts.delete(entry.address);
        else this.accounts.set(entry.address, entry.prev);
      } else if (entry.kind === 1) {
        const slots = this.storage.get(entry.address);
        if (slots !== undefined) {
          if (entry.prev === undefined) slots.delete(entry.slot);
          else slots.set(entry.slot, entry.prev);
        }
      } else {
        if (entry.prevSlots === undefined) this.storage.delete(entry.address);
        else this.storage.set(entry.address, entry.prevSlots);
        if (entry.prevCleared) this.cleared.add(entry.address);
        else this.cleared.delete(entry.address);
        // Slots that were only readable through the restored map must be re-reported.
        if (entry.prevSlots !== undefined) {
          let dirty = this.dirtySlots.get(entry.address);
          if (dirty === undefined) {
            dirty = new Set();
            this.dirtySlots.set(entry.address, dirty);
          }
          for (const slot of entry.prevSlots.keys()) dirty.add(slot);
        }
      }
    }
    undo.length = mark;
    this.closeCheckpoint();
  }

  commit(_mark: number): void {
    this.closeCheckpoint();
  }

  private closeCheckpoint(): void {
    if (this.openCheckpoints > 0) this.openCheckpoints--;
    // With no checkpoint open nothing can be reverted any more: drop the undo log.
    if (this.openCheckpoints === 0) this.undo.length = 0;
  }

  takeChanges(): StateChangeSet {
    const accounts = new Map<Hex, AccountData | null>();
    for (const address of this.dirtyAccounts) accounts.set(address, this.getAccount(address) ?? null);
    const storage = new Map<Hex, Map<Hex, bigint>>();
    for (const [address, slots] of this.dirtySlots) {
      const values = new Map<Hex, bigint>();
      for (const slot of slots) values.set(slot, this.getStorage(address, slot));
      storage.set(address, values);
    }
    const changes: StateChangeSet = {
      accounts,
      storage,
      clearedStorage: this.clearedSinceTake,
      code: this.newCode,
    };
    this.dirtyAccounts = new Set();
    this.dirtySlots = new Map();
    this.clearedSinceTake = new Set();
    this.newCode = new Map();
    return changes;
  }

  /** Writes this overlay's contents into `target` (normally its parent), outside any journal. */
  mergeInto(target: FlatState): void {
    for (const address of this.cleared) target.clearStorage(address);
    for (const [address, account] of this.accounts) {
      if (account === null) target.putAccount(address, undefined);
    }
    for (const [hash, code] of this.codeByHash) target.adoptCode(hash, code);
    for (const [address, account] of this.accounts) {
      if (account !== null) target.putAccount(address, account);
    }
    for (const [address, slots] of this.storage) {
      for (const [slot, value] of slots) target.putStorage(address, slot, value);
    }
  }

  /** Registers code by hash without touching any account (used by merges and genesis loading). */
  adoptCode(hash: Hex, code: Uint8Array): void {
    if (!this.codeByHash.has(hash)) {
      this.codeByHash.set(hash, code);
      this.newCode.set(hash, code);
    }
  }

  /** Every account of this layer (not the parent's): for genesis dumps and tests. */
  *entries(): IterableIterator<[Hex, AccountData]> {
    for (const [address, account] of this.accounts) if (account !== null) yield [address, account];
  }

  /** Every non-zero slot of an account in this layer. */
  *storageEntries(address: Hex): IterableIterator<[Hex, bigint]> {
    const slots = this.storage.get(address);
    if (slots === undefined) return;
    for (const [slot, value] of slots) if (value !== 0n) yield [slot, value];
  }
}

function hashCode(code: Uint8Array): Hex {
  return bytesToHex(keccak256(code));
}
