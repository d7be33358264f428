import type { AccountData, ExecutionState, Hex, StateWriter } from "../types.ts";
import { KECCAK_EMPTY } from "../types.ts";
import type { WriteSet } from "./protocol.ts";

/**
 * A pass-through writer over the real state that remembers which keys a transaction wrote, so
 * that the main thread can run a transaction directly on the state (the sequential path, at
 * sequential cost) and still hand its final values to the workers' multi-version memories.
 * Reads cost one extra call; nothing is copied until `writeSet()`.
 */
export class WriteLog implements StateWriter {
  private readonly state: ExecutionState;
  private readonly accounts = new Set<Hex>();
  private readonly slots = new Map<Hex, Set<Hex>>();
  private readonly cleared = new Set<Hex>();
  private readonly codeAccounts = new Set<Hex>();

  constructor(state: ExecutionState) {
    this.state = state;
  }

  getAccount(address: Hex): AccountData | undefined {
    return this.state.getAccount(address);
  }
  getCode(address: Hex): Uint8Array {
    return this.state.getCode(address);
  }
  getStorage(address: Hex, slot: Hex): bigint {
    return this.state.getStorage(address, slot);
  }
  hasStorage(address: Hex): boolean {
    return this.state.hasStorage?.(address) ?? false;
  }

  putAccount(address: Hex, account: AccountData | undefined): void {
    this.accounts.add(address);
    // Deleting an account wipes its storage (as the recording state reports it).
    if (account === undefined) this.cleared.add(address);
    this.state.putAccount(address, account);
  }
  putCode(address: Hex, code: Uint8Array): void {
    this.accounts.add(address);
    this.codeAccounts.add(address);
    this.state.putCode(address, code);
  }
  putStorage(address: Hex, slot: Hex, value: bigint): void {
    let slots = this.slots.get(address);
    if (slots === undefined) {
      slots = new Set();
      this.slots.set(address, slots);
    }
    slots.add(slot);
    this.state.putStorage(address, slot, value);
  }
  clearStorage(address: Hex): void {
    this.cleared.add(address);
    this.state.clearStorage(address);
  }
  checkpoint(): number {
    return this.state.checkpoint();
  }
  revert(mark: number): void {
    this.state.revert(mark);
  }
  commit(mark: number): void {
    this.state.commit(mark);
  }

  /** The final values of every key written (reverted writes at their restored values). */
  writeSet(): WriteSet {
    const writes: WriteSet = { accounts: [], slots: [], cleared: [...this.cleared], code: [] };
    for (const address of this.accounts)
      writes.accounts.push([address, this.state.getAccount(address) ?? null]);
    for (const [address, slots] of this.slots)
      for (const slot of slots) writes.slots.push([address, slot, this.state.getStorage(address, slot)]);
    for (const address of this.codeAccounts) {
      const hash = this.state.getAccount(address)?.codeHash;
      if (hash === undefined || hash === KECCAK_EMPTY) continue;
      writes.code.push([hash, this.state.getCode(address)]);
    }
    return writes;
  }
}
