import type { Hex } from "./types.ts";

const HEX_BYTE: string[] = [];
for (let i = 0; i < 256; i++) HEX_BYTE.push(i.toString(16).padStart(2, "0"));

/**
 * Lowercase 0x-hex of bytes; on the per-slot hot path. From 16 bytes on, Node's native hex
 * encoder: it yields a flat string, where a loop of `+=` yields a rope that V8 must flatten again
 * the first time the string is hashed (every Map lookup by slot or address): ~2x faster overall.
 */
export function bytesToHex(bytes: Uint8Array): Hex {
  if (bytes.length >= 16)
    return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex")}` as Hex;
  let out = "0x";
  for (let i = 0; i < bytes.length; i++) out += HEX_BYTE[bytes[i]];
  return out as Hex;
}

/** Nibble value of each char code (0-9, a-f, A-F), -1 for anything else. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[97 + i] = 10 + i;
  NIBBLE[65 + i] = 10 + i;
}

/** Bytes of a hex string (0x prefix optional, odd length left-padded); throws on non-hex. */
export function hexToBytes(hex: string): Uint8Array {
  const start = hex.length >= 2 && hex.charCodeAt(0) === 48 && (hex.charCodeAt(1) | 32) === 120 ? 2 : 0;
  const digits = hex.length - start;
  const odd = digits & 1;
  const out = new Uint8Array((digits + odd) >> 1);
  // With an odd count the first byte takes a single (low) nibble.
  let pos = start;
  for (let i = 0; i < out.length; i++) {
    let hi = 0;
    if (i > 0 || odd === 0) {
      const c = hex.charCodeAt(pos++);
      hi = c < 128 ? NIBBLE[c] : -1;
    }
    const c2 = hex.charCodeAt(pos++);
    const lo = c2 < 128 ? NIBBLE[c2] : -1;
    if (hi < 0 || lo < 0) throw new TypeError(`not hex: ${hex.slice(0, 20)}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Big-endian minimal bytes of a non-negative bigint (0n → empty), as RLP and the trie want. */
export function bigintToBytes(value: bigint): Uint8Array {
  if (value === 0n) return new Uint8Array(0);
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt(bytesToHex(bytes));
}

// The last few slot keys converted: one SSTORE asks for the same key's hex 3-5 times (its gas
// rule reads the current and original values, the store itself, the original-value record).
const RECENT = 4;
const recentBytes = Array.from({ length: RECENT }, () => new Uint8Array(32));
const recentHex: (Hex | undefined)[] = new Array(RECENT).fill(undefined);
let recentNext = 0;

function same32(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}

/** A 32-byte slot key as 0x + 64 lowercase hex digits, left-padded. */
export function slotKey(bytes: Uint8Array): Hex {
  if (bytes.length === 32) {
    for (let i = 0; i < RECENT; i++) {
      const hex = recentHex[i];
      if (hex !== undefined && same32(recentBytes[i], bytes)) return hex;
    }
    const hex = bytesToHex(bytes);
    recentBytes[recentNext].set(bytes);
    recentHex[recentNext] = hex;
    recentNext = (recentNext + 1) % RECENT;
    return hex;
  }
  const padded = new Uint8Array(32);
  padded.set(bytes.subarray(Math.max(0, bytes.length - 32)), 32 - Math.min(32, bytes.length));
  return bytesToHex(padded);
}

export function bigintToSlot(value: bigint): Hex {
  return `0x${value.toString(16).padStart(64, "0")}` as Hex;
}

/** Lowercase, 0x-prefixed, 40-digit address; throws on anything else. */
export function normalizeAddress(address: string): Hex {
  const lower = address.toLowerCase();
  if (!/^0x[0-9a-f]{40}$/.test(lower)) throw new TypeError(`not an address: ${address}`);
  return lower as Hex;
}
