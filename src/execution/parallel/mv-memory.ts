import type { AccountData, Hex, StateReader } from "../types.ts";
import { KECCAK_EMPTY } from "../types.ts";
import type { CacheFill, MissingKeys, ReadSet, WriteSet } from "./protocol.ts";

const EMPTY = new Uint8Array(0);

interface Version<T> {
  index: number;
  value: T;
}

/** Highest version strictly below `index` in an ascending list. */
function below<T>(versions: Version<T>[] | undefined, index: number): Version<T> | undefined {
  if (versions === undefined) return undefined;
  for (let i = versions.length - 1; i >= 0; i--) if (versions[i].index < index) return versions[i];
  return undefined;
}

function insert<T>(versions: Version<T>[], index: number, value: T): void {
  let i = versions.length;
  while (i > 0 && versions[i - 1].index > index) i--;
  if (i > 0 && versions[i - 1].index === index) versions[i - 1].value = value;
  else versions.splice(i, 0, { index, value });
}

function remove<T>(versions: Version<T>[] | undefined, index: number): void {
  if (versions === undefined) return;
  const i = versions.findIndex((v) => v.index === index);
  if (i >= 0) versions.splice(i, 1);
}

/**
 * A worker's view of one block: multi-version memory (every known transaction's writes, by
 * transaction index) over a base cache of committed values that lives across blocks. A read for
 * transaction i sees the latest write below i, else the base value. A value the worker does not
 * have is reported missing; main supplies it and the transaction runs again.
 */
export class WorkerMemory {
  // Base cache (persists across blocks; refreshed with each block's changes).
  private readonly baseAccounts = new Map<Hex, AccountData | null>();
  private readonly baseSlots = new Map<string, bigint>();
  private readonly baseSlotKeys = new Map<Hex, Set<string>>();
  private readonly baseHasStorage = new Map<Hex, boolean>();
  readonly code = new Map<Hex, Uint8Array>();
  private readonly completeStorage = new Set<Hex>();
  private completeAccounts = false;
  // Multi-version memory (per block).
  private accounts = new Map<Hex, Version<AccountData | null>[]>();
  private slots = new Map<string, Version<bigint>[]>();
  private slotKeysByAddress = new Map<Hex, Set<string>>();
  private cleared = new Map<Hex, Version<true>[]>();
  private writtenBy = new Map<number, WriteSet>();

  resetCache(): void {
    this.baseAccounts.clear();
    this.baseSlots.clear();
    this.baseSlotKeys.clear();
    this.baseHasStorage.clear();
    this.completeStorage.clear();
    this.completeAccounts = false;
  }

  newBlock(): void {
    this.accounts = new Map();
    this.slots = new Map();
    this.slotKeysByAddress = new Map();
    this.cleared = new Map();
    this.writtenBy = new Map();
  }

  fill(fill: CacheFill): void {
    for (const address of fill.cleared) {
      const keys = this.baseSlotKeys.get(address);
      if (keys !== undefined) for (const key of keys) this.baseSlots.delete(key);
      this.baseSlotKeys.delete(address);
      this.baseHasStorage.delete(address);
    }
    for (const [address, account] of fill.accounts) {
      // Unknown to a complete cache = did not exist: all its storage arrives with this fill.
      if (this.knownAbsent(address)) this.completeStorage.add(address);
      this.baseAccounts.set(address, account);
    }
    for (const [address, slot, value] of fill.slots) {
      const key = address + slot;
      this.baseSlots.set(key, value);
      let keys = this.baseSlotKeys.get(address);
      if (keys === undefined) {
        keys = new Set();
        this.baseSlotKeys.set(address, keys);
      }
      keys.add(key);
    }
    for (const [address, flag] of fill.hasStorage) this.baseHasStorage.set(address, flag);
    for (const [hash, code] of fill.code) this.code.set(hash, code);
    for (const address of fill.completeStorage) this.completeStorage.add(address);
    if (fill.completeAccounts) this.completeAccounts = true;
  }

  /** Records (or replaces) transaction `index`'s writes. */
  write(index: number, writes: WriteSet): void {
    const old = this.writtenBy.get(index);
    if (old !== undefined) {
      for (const [address] of old.accounts) remove(this.accounts.get(address), index);
      for (const [address, slot] of old.slots) remove(this.slots.get(address + slot), index);
      for (const address of old.cleared) remove(this.cleared.get(address), index);
    }
    this.writtenBy.set(index, writes);
    for (const [address, account] of writes.accounts) {
      let versions = this.accounts.get(address);
      if (versions === undefined) {
        versions = [];
        this.accounts.set(address, versions);
      }
      insert(versions, index, account);
    }
    for (const address of writes.cleared) {
      let versions = this.cleared.get(address);
      if (versions === undefined) {
        versions = [];
        this.cleared.set(address, versions);
      }
      insert(versions, index, true);
    }
    for (const [address, slot, value] of writes.slots) {
      const key = address + slot;
      let versions = this.slots.get(key);
      if (versions === undefined) {
        versions = [];
        this.slots.set(key, versions);
        let keys = this.slotKeysByAddress.get(address);
        if (keys === undefined) {
          keys = new Set();
          this.slotKeysByAddress.set(address, keys);
        }
        keys.add(key);
      }
      insert(versions, index, value);
    }
    for (const [hash, code] of writes.code) this.code.set(hash, code);
  }

  /** A whole-state dump did not have this account: it has no storage either. */
  private knownAbsent(address: Hex): boolean {
    return this.completeAccounts && !this.baseAccounts.has(address);
  }

  readerFor(index: number): MemoryReader {
    return new MemoryReader(this, index);
  }

  /** undefined = unknown (missing); null = known absent. */
  account(address: Hex, index: number): AccountData | null | undefined {
    const v = below(this.accounts.get(address), index);
    if (v !== undefined) return v.value;
    const base = this.baseAccounts.get(address);
    return base === undefined && this.completeAccounts ? null : base;
  }

  slot(address: Hex, slot: Hex, index: number): bigint | undefined {
    const key = address + slot;
    const written = below(this.slots.get(key), index);
    const wiped = below(this.cleared.get(address), index);
    if (written !== undefined && (wiped === undefined || written.index >= wiped.index)) return written.value;
    if (wiped !== undefined) return 0n;
    const base = this.baseSlots.get(key);
    return base === undefined && (this.completeStorage.has(address) || this.knownAbsent(address)) ? 0n : base;
  }

  hasStorage(address: Hex, index: number): boolean | undefined {
    const wiped = below(this.cleared.get(address), index);
    const keys = this.slotKeysByAddress.get(address);
    if (keys !== undefined) {
      for (const key of keys) {
        const written = below(this.slots.get(key), index);
        if (
          written !== undefined &&
          written.value !== 0n &&
          (wiped === undefined || written.index >= wiped.index)
        ) {
          return true;
        }
      }
    }
    if (wiped !== undefined) return false;
    if (this.knownAbsent(address)) return false;
    // An approximation when this block zeroed slots: validation on main catches a wrong answer.
    return this.baseHasStorage.get(address);
  }
}

/** The reader one speculative execution sees; records first reads and misses. */
export class MemoryReader implements StateReader {
  private readonly memory: WorkerMemory;
  private readonly index: number;
  private readonly accountReads = new Map<Hex, AccountData | null>();
  private readonly slotReads = new Map<string, [Hex, Hex, bigint]>();
  private readonly flagReads = new Map<Hex, boolean>();
  private miss: MissingKeys | undefined;

  constructor(memory: WorkerMemory, index: number) {
    this.memory = memory;
    this.index = index;
  }

  private missing_(): MissingKeys {
    if (this.miss === undefined) this.miss = { accounts: [], slots: [], hasStorage: [], code: [] };
    return this.miss;
  }

  getAccount(address: Hex): AccountData | undefined {
    const seen = this.accountReads.get(address);
    if (seen !== undefined) return seen ?? undefined;
    const value = this.memory.account(address, this.index);
    if (value === undefined) {
      this.missing_().accounts.push(address);
      this.accountReads.set(address, null);
      return undefined;
    }
    this.accountReads.set(address, value);
    return value ?? undefined;
  }

  getCode(address: Hex): Uint8Array {
    const account = this.getAccount(address);
    if (account === undefined || account.codeHash === KECCAK_EMPTY) return EMPTY;
    const code = this.memory.code.get(account.codeHash);
    if (code === undefined) {
      this.missing_().code.push(address);
      return EMPTY;
    }
    return code;
  }

  getStorage(address: Hex, slot: Hex): bigint {
    const key = address + slot;
    const seen = this.slotReads.get(key);
    if (seen !== undefined) return seen[2];
    let value = this.memory.slot(address, slot, this.index);
    if (value === undefined) {
      this.missing_().slots.push([address, slot]);
      value = 0n;
    }
    this.slotReads.set(key, [address, slot, value]);
    return value;
  }

  hasStorage(address: Hex): boolean {
    const seen = this.flagReads.get(address);
    if (seen !== undefined) return seen;
    let value = this.memory.hasStorage(address, this.index);
    if (value === undefined) {
      this.missing_().hasStorage.push(address);
      value = false;
    }
    this.flagReads.set(address, value);
    return value;
  }

  reads(): ReadSet {
    return {
      accounts: [...this.accountReads],
      slots: [...this.slotReads.values()],
      hasStorage: [...this.flagReads],
    };
  }

  missing(): MissingKeys | undefined {
    return this.miss;
  }
}
