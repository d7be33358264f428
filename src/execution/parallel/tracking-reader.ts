import type { AccountData, Hex, StateReader } from "../types.ts";
import type { MissingKeys, ReadSet } from "./protocol.ts";

/** Records the first value read per key from an exact reader (main thread, over the real state). */
export class ExactTrackingReader implements StateReader {
  private readonly base: StateReader;
  private readonly accounts = new Map<Hex, AccountData | null>();
  private readonly slots = new Map<string, [Hex, Hex, bigint]>();
  private readonly storageFlags = new Map<Hex, boolean>();

  constructor(base: StateReader) {
    this.base = base;
  }

  getAccount(address: Hex): AccountData | undefined {
    const seen = this.accounts.get(address);
    if (seen !== undefined) return seen ?? undefined;
    const value = this.base.getAccount(address);
    this.accounts.set(address, value ?? null);
    return value;
  }

  getCode(address: Hex): Uint8Array {
    this.getAccount(address);
    return this.base.getCode(address);
  }

  getStorage(address: Hex, slot: Hex): bigint {
    const key = address + slot;
    const seen = this.slots.get(key);
    if (seen !== undefined) return seen[2];
    const value = this.base.getStorage(address, slot);
    this.slots.set(key, [address, slot, value]);
    return value;
  }

  hasStorage(address: Hex): boolean {
    const seen = this.storageFlags.get(address);
    if (seen !== undefined) return seen;
    const value = this.base.hasStorage?.(address) ?? false;
    this.storageFlags.set(address, value);
    return value;
  }

  reads(): ReadSet {
    return {
      accounts: [...this.accounts],
      slots: [...this.slots.values()],
      hasStorage: [...this.storageFlags],
    };
  }

  missing(): MissingKeys | undefined {
    return undefined;
  }
}
