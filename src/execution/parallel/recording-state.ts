import { FlatState } from "../flat-state.ts";
import type { AccountData, Hex, StateReader, StateWriter } from "../types.ts";
import { KECCAK_EMPTY } from "../types.ts";
import type { StateOp, WriteSet } from "./protocol.ts";

/**
 * A transaction's private scratch state: a journaled overlay over `reader` that also records every
 * writer call (for replay on the real state) and which keys were written (for the write set).
 */
export class RecordingState implements StateWriter {
  readonly ops: StateOp[] = [];
  private readonly overlay: FlatState;
  private readonly marks = new Map<number, number>();
  private nextMark = 0;
  private readonly touchedAccounts = new Set<Hex>();
  private readonly touchedSlots = new Map<Hex, Set<Hex>>();
  private readonly cleared = new Set<Hex>();
  private readonly codeAccounts = new Set<Hex>();

  constructor(reader: StateReader) {
    this.overlay = new FlatState({ parent: reader });
  }

  getAccount(address: Hex): AccountData | undefined {
    return this.overlay.getAccount(address);
  }
  getCode(address: Hex): Uint8Array {
    return this.overlay.getCode(address);
  }
  getStorage(address: Hex, slot: Hex): bigint {
    return this.overlay.getStorage(address, slot);
  }
  hasStorage(address: Hex): boolean {
    return this.overlay.hasStorage(address);
  }

  putAccount(address: Hex, account: AccountData | undefined): void {
    this.ops.push([0, address, account === undefined ? null : { ...account }]);
    this.touchedAccounts.add(address);
    if (account === undefined) this.cleared.add(address);
    this.overlay.putAccount(address, account);
  }
  putCode(address: Hex, code: Uint8Array, codeHash?: Hex): void {
    this.ops.push([1, address, code, codeHash]);
    this.touchedAccounts.add(address);
    this.codeAccounts.add(address);
    this.overlay.putCode(address, code, codeHash);
  }
  putStorage(address: Hex, slot: Hex, value: bigint): void {
    this.ops.push([2, address, slot, value]);
    let slots = this.touchedSlots.get(address);
    if (slots === undefined) {
      slots = new Set();
      this.touchedSlots.set(address, slots);
    }
    slots.add(slot);
    this.overlay.putStorage(address, slot, value);
  }
  clearStorage(address: Hex): void {
    this.ops.push([3, address]);
    this.cleared.add(address);
    this.overlay.clearStorage(address);
  }
  checkpoint(): number {
    const id = this.nextMark++;
    this.marks.set(id, this.overlay.checkpoint());
    this.ops.push([4, id]);
    return id;
  }
  /** Whether any checkpoint was reverted (then the calls, not the final values, must be replayed). */
  reverted = false;

  revert(id: number): void {
    this.reverted = true;
    this.ops.push([5, id]);
    this.overlay.revert(this.marks.get(id)!);
  }
  commit(id: number): void {
    this.ops.push([6, id]);
    this.overlay.commit(this.marks.get(id)!);
  }

  /** Final values of everything written (reverted writes included, at their restored value). */
  writeSet(): WriteSet {
    const writes: WriteSet = { accounts: [], slots: [], cleared: [...this.cleared], code: [] };
    for (const address of this.touchedAccounts)
      writes.accounts.push([address, this.getAccount(address) ?? null]);
    for (const [address, slots] of this.touchedSlots) {
      for (const slot of slots) writes.slots.push([address, slot, this.getStorage(address, slot)]);
    }
    for (const address of this.codeAccounts) {
      const hash = this.getAccount(address)?.codeHash;
      if (hash === undefined || hash === KECCAK_EMPTY) continue;
      const code = this.overlay.getCodeByHash(hash);
      if (code !== undefined) writes.code.push([hash, code]);
    }
    return writes;
  }
}

/** Replays recorded writer calls on the real state, mapping checkpoint ids to the state's marks. */
export function replayOps(
  state: StateWriter & { putCode(a: Hex, c: Uint8Array, h?: Hex): void },
  ops: StateOp[],
): void {
  const marks = new Map<number, number>();
  for (const op of ops) {
    switch (op[0]) {
      case 0:
        state.putAccount(op[1], op[2] ?? undefined);
        break;
      case 1:
        state.putCode(op[1], op[2], op[3]);
        break;
      case 2:
        state.putStorage(op[1], op[2], op[3]);
        break;
      case 3:
        state.clearStorage(op[1]);
        break;
      case 4:
        marks.set(op[1], state.checkpoint());
        break;
      case 5:
        state.revert(marks.get(op[1])!);
        break;
      case 6:
        state.commit(marks.get(op[1])!);
        break;
    }
  }
}

/**
 * Puts a write set's final values on the real state. For a tx whose calls were only puts (no
 * revert, no storage wipe or account deletion, no code) this is exactly what replaying the calls
 * does: the last put per key wins, and the same keys are marked changed.
 */
export function replayWrites(state: StateWriter, writes: WriteSet): void {
  for (const [address, account] of writes.accounts) state.putAccount(address, account ?? undefined);
  for (const [address, slot, value] of writes.slots) state.putStorage(address, slot, value);
}
