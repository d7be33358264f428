import type { EVM } from "@ethereumjs/evm";

/**
 * The EIP-2929 warm-set lookups of one EVM's journal, with the same maps and keys.
 *
 * @ethereumjs/evm keys its warm sets by unprefixed hex of the address and slot, built by
 * @noble/hashes' `bytesToHex`: a `+=` loop, so a rope that V8 flattens again when the string is
 * hashed for the Map lookup, on every SLOAD/SSTORE (~5% of an ERC-20 transfer's CPU). Here the
 * same hex string comes from Node's native encoder (a flat string). The method bodies are those of
 * journal.js (@ethereumjs/evm 10.1.3) otherwise; only this EVM instance's journal is patched.
 */

interface JournalLike {
  journal: Map<string, Set<string>>;
  alwaysWarmJournal: Map<string, Set<string>>;
  journalDiff: [number, [Set<string>, Map<string, Set<string>>, Set<string>]][];
  accessList: Map<string, Set<string>> | undefined;
  isWarmedStorage(address: Uint8Array, slot: Uint8Array): boolean;
  addWarmedStorage(address: Uint8Array, slot: Uint8Array): void;
  isWarmedAddress(address: Uint8Array): boolean;
  addWarmedAddress(address: Uint8Array): void;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex");
}

export function installFastJournal(evm: EVM): void {
  const j = (evm as unknown as { journal: JournalLike }).journal;
  for (const name of [
    "isWarmedStorage",
    "addWarmedStorage",
    "isWarmedAddress",
    "addWarmedAddress",
  ] as const) {
    if (typeof j[name] !== "function") throw new Error(`unexpected @ethereumjs/evm journal: no ${name}`);
  }

  j.isWarmedStorage = function (this: JournalLike, address: Uint8Array, slot: Uint8Array): boolean {
    const addressHex = hex(address);
    const slots = this.journal.get(addressHex);
    if (slots === undefined) {
      const always = this.alwaysWarmJournal.get(addressHex);
      return always?.has(hex(slot)) === true;
    }
    const slotHex = hex(slot);
    if (slots.has(slotHex)) return true;
    const always = this.alwaysWarmJournal.get(addressHex);
    return always?.has(slotHex) === true;
  };

  j.addWarmedStorage = function (this: JournalLike, address: Uint8Array, slot: Uint8Array): void {
    const addressHex = hex(address);
    let slots = this.journal.get(addressHex);
    if (slots === undefined) {
      this.addWarmedAddress(address);
      slots = this.journal.get(addressHex) as Set<string>;
    }
    const slotHex = hex(slot);
    if (!slots.has(slotHex)) {
      slots.add(slotHex);
      const diff = this.journalDiff[this.journalDiff.length - 1][1];
      const bySlot = diff[1];
      let set = bySlot.get(addressHex);
      if (set === undefined) {
        set = new Set();
        bySlot.set(addressHex, set);
      }
      set.add(slotHex);
    }
    if (this.accessList !== undefined) this.accessList.get(addressHex)?.add(slotHex);
  };

  j.isWarmedAddress = function (this: JournalLike, address: Uint8Array): boolean {
    const addressHex = hex(address);
    return this.journal.has(addressHex) || this.alwaysWarmJournal.has(addressHex);
  };

  j.addWarmedAddress = function (this: JournalLike, address: Uint8Array): void {
    const addressHex = hex(address);
    if (!this.journal.has(addressHex)) {
      this.journal.set(addressHex, new Set());
      this.journalDiff[this.journalDiff.length - 1][1][0].add(addressHex);
    }
    if (this.accessList !== undefined && !this.accessList.has(addressHex)) {
      this.accessList.set(addressHex, new Set());
    }
  };
}
