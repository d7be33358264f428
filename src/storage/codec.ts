import { writeWord } from "../execution/fast-opcodes.ts";
import { bytesToHex, hexToBytes } from "../execution/hex.ts";
import type { AccountData, Hex } from "../execution/types.ts";
import { StorageError } from "./errors.ts";

/**
 * Byte layouts of the records storage itself defines (keys, accounts, slots, heads). Fixed-width,
 * big-endian: keys sort the way numbers do, and encoding costs no allocation beyond the output.
 */

export function u64(value: bigint): Uint8Array {
  if (value < 0n || value >= 1n << 64n) throw new StorageError("BAD_INPUT", `not a u64: ${value}`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value);
  return out;
}

export function readU64(bytes: Uint8Array, offset = 0): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset);
}

export function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

export function readU32(bytes: Uint8Array, offset = 0): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** 32-byte big-endian unsigned integer (balances, slot values up to 2^256). */
export function u256(value: bigint): Uint8Array {
  if (value < 0n || value >= 1n << 256n) throw new StorageError("BAD_INPUT", "not a u256");
  return writeWord(value, new Uint8Array(32));
}

export function readU256(bytes: Uint8Array, offset = 0): bigint {
  if (bytes.length < offset + 32) throw new StorageError("CORRUPT_RECORD", "u256 past the end");
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 32);
  return (
    (view.getBigUint64(0) << 192n) |
    (view.getBigUint64(8) << 128n) |
    (view.getBigUint64(16) << 64n) |
    view.getBigUint64(24)
  );
}

/** Account record: nonce (8) ++ balance (32) ++ codeHash (32). */
export function encodeAccount(account: AccountData): Uint8Array {
  return concat(u64(account.nonce), u256(account.balance), hexToBytes(account.codeHash));
}

export function decodeAccount(bytes: Uint8Array): AccountData {
  if (bytes.length !== 72)
    throw new StorageError("CORRUPT_RECORD", `account record of ${bytes.length} bytes`);
  return {
    nonce: readU64(bytes, 0),
    balance: readU256(bytes, 8),
    codeHash: bytesToHex(bytes.subarray(40, 72)),
  };
}

export function addressKey(address: Hex): Uint8Array {
  const key = hexToBytes(address);
  if (key.length !== 20) throw new StorageError("BAD_INPUT", `not an address: ${address}`);
  return key;
}

/** Storage key: address (20) ++ slot (32), so one account's slots are one contiguous key range. */
export function slotKey(address: Hex, slot: Hex): Uint8Array {
  const key = new Uint8Array(52);
  key.set(addressKey(address), 0);
  const s = hexToBytes(slot);
  if (s.length !== 32) throw new StorageError("BAD_INPUT", `not a 32-byte slot: ${slot}`);
  key.set(s, 20);
  return key;
}

/** The greatest possible slot key of `address`: its slots are the range [address, this]. */
export function lastSlotKey(address: Hex): Uint8Array {
  const key = new Uint8Array(52);
  key.set(addressKey(address), 0);
  key.fill(0xff, 20, 52);
  return key;
}
