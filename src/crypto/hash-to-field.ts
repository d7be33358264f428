import { sha256 } from "@noble/hashes/sha2.js";
import { BlsError } from "./bls-error.ts";

/**
 * RFC 9380 hash_to_field for BLS12-381 G2 (Fp2, expand_message_xmd with SHA-256, L = 64): the part
 * of hash-to-curve that the EVM has no precompile for. The on-chain verifier computes these field
 * elements in Solidity and feeds each to MAP_FP2_TO_G2 (0x11), then adds the two points (0x0d);
 * this TS twin lets contract tests compare byte for byte.
 */

/** The BLS12-381 base field modulus. */
export const BLS12_381_P =
  0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaabn;

const SHA256_OUT = 32;
const SHA256_BLOCK = 64;
/** L = ceil((ceil(log2(p)) + k) / 8) with k = 128. */
const L = 64;

export interface Fp2Element {
  c0: bigint;
  c1: bigint;
}

function dstBytes(dst: string | Uint8Array): Uint8Array {
  let bytes = typeof dst === "string" ? new TextEncoder().encode(dst) : dst;
  if (bytes.length > 255) {
    // RFC 9380 §5.3.3: oversized DSTs are hashed down.
    bytes = sha256(concat(new TextEncoder().encode("H2C-OVERSIZE-DST-"), bytes));
  }
  if (bytes.length === 0) throw new BlsError("INVALID_MESSAGE", "DST must not be empty");
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** RFC 9380 §5.3.1 expand_message_xmd with SHA-256. */
export function expandMessageXmd(
  message: Uint8Array,
  dst: string | Uint8Array,
  lenInBytes: number,
): Uint8Array {
  const ell = Math.ceil(lenInBytes / SHA256_OUT);
  if (!Number.isInteger(lenInBytes) || lenInBytes <= 0 || ell > 255 || lenInBytes > 65535) {
    throw new BlsError("INVALID_MESSAGE", `expand_message_xmd cannot produce ${lenInBytes} bytes`);
  }
  const dstPrime = concat(dstBytes(dst), Uint8Array.of(dstBytes(dst).length));
  const msgPrime = concat(
    new Uint8Array(SHA256_BLOCK),
    message,
    Uint8Array.of(lenInBytes >> 8, lenInBytes & 0xff),
    Uint8Array.of(0),
    dstPrime,
  );
  const b0 = sha256(msgPrime);
  const blocks: Uint8Array[] = [sha256(concat(b0, Uint8Array.of(1), dstPrime))];
  for (let i = 2; i <= ell; i++) {
    const prev = blocks[i - 2];
    const mixed = new Uint8Array(SHA256_OUT);
    for (let j = 0; j < SHA256_OUT; j++) mixed[j] = b0[j] ^ prev[j];
    blocks.push(sha256(concat(mixed, Uint8Array.of(i), dstPrime)));
  }
  return concat(...blocks).subarray(0, lenInBytes);
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/** RFC 9380 §5.2 hash_to_field over Fp2 (m = 2): `count` elements, 2 for hash_to_curve. */
export function hashToFieldFp2(message: Uint8Array, dst: string | Uint8Array, count = 2): Fp2Element[] {
  if (!(message instanceof Uint8Array)) throw new BlsError("INVALID_MESSAGE", "message must be a Uint8Array");
  const uniform = expandMessageXmd(message, dst, count * 2 * L);
  const out: Fp2Element[] = [];
  for (let i = 0; i < count; i++) {
    const at = (j: number): bigint => bytesToBigInt(uniform.subarray(L * (j + i * 2), L * (j + 1 + i * 2)));
    out.push({ c0: at(0) % BLS12_381_P, c1: at(1) % BLS12_381_P });
  }
  return out;
}
