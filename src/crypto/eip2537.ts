import * as blst from "@chainsafe/blst";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { BlsPublicKey, decodeSignature } from "./bls.ts";
import { BlsError } from "./bls-error.ts";
import { BLS12_381_P, type Fp2Element, hashToFieldFp2 } from "./hash-to-field.ts";

/**
 * Conversions between blst's compressed points and the EIP-2537 precompile encodings, so that L1
 * contracts verify the very signatures the nodes make.
 *
 * EIP-2537: an Fp element is 64 bytes big-endian (16 zero bytes, then 48); G1 = x || y (128 B);
 * G2 = x.c0 || x.c1 || y.c0 || y.c1 (256 B); the point at infinity is all zeros.
 * blst/zcash serialization puts an Fp2's c1 BEFORE c0: the swap below is the whole trap.
 */

export const EIP2537_FP_LENGTH = 64;
export const EIP2537_G1_LENGTH = 128;
export const EIP2537_G2_LENGTH = 256;
const FP_BYTES = 48;
const PAD = EIP2537_FP_LENGTH - FP_BYTES;

/** Precompile addresses (Prague). */
export const EIP2537_PRECOMPILES = {
  G1ADD: "0x000000000000000000000000000000000000000b",
  G1MSM: "0x000000000000000000000000000000000000000c",
  G2ADD: "0x000000000000000000000000000000000000000d",
  G2MSM: "0x000000000000000000000000000000000000000e",
  PAIRING_CHECK: "0x000000000000000000000000000000000000000f",
  MAP_FP_TO_G1: "0x0000000000000000000000000000000000000010",
  MAP_FP2_TO_G2: "0x0000000000000000000000000000000000000011",
} as const;

function padFp(fp48: Uint8Array, out: Uint8Array, offset: number): void {
  out.set(fp48, offset + PAD);
}

function unpadFp(eip: Uint8Array, offset: number): Uint8Array {
  for (let i = 0; i < PAD; i++) {
    if (eip[offset + i] !== 0) {
      throw new BlsError("EIP2537_BAD_ENCODING", "EIP-2537 field element must start with 16 zero bytes");
    }
  }
  return eip.subarray(offset + PAD, offset + EIP2537_FP_LENGTH);
}

function isAllZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

function checkLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new BlsError("EIP2537_BAD_ENCODING", `${what} must be ${length} bytes in EIP-2537 form`);
  }
}

/** Fp (bigint) → 64-byte EIP-2537 field element. */
export function fpToEip2537(value: bigint): Uint8Array {
  if (value < 0n || value >= BLS12_381_P) throw new BlsError("EIP2537_BAD_ENCODING", "not a field element");
  const out = new Uint8Array(EIP2537_FP_LENGTH);
  for (let i = EIP2537_FP_LENGTH - 1; i >= PAD && value > 0n; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

/** Fp2 → 128 bytes c0 || c1: the input of MAP_FP2_TO_G2 (0x11). */
export function fp2ToEip2537(value: Fp2Element): Uint8Array {
  const out = new Uint8Array(2 * EIP2537_FP_LENGTH);
  out.set(fpToEip2537(value.c0), 0);
  out.set(fpToEip2537(value.c1), EIP2537_FP_LENGTH);
  return out;
}

/** Public key (48 B compressed, validated) → 128-byte EIP-2537 G1 point. */
export function g1ToEip2537(pk: Uint8Array | BlsPublicKey): Uint8Array {
  const key = pk instanceof BlsPublicKey ? pk : BlsPublicKey.cached(pk);
  const raw = key.point.toBytes(false); // x || y, 48 B each
  const out = new Uint8Array(EIP2537_G1_LENGTH);
  padFp(raw.subarray(0, FP_BYTES), out, 0);
  padFp(raw.subarray(FP_BYTES), out, EIP2537_FP_LENGTH);
  return out;
}

/** 128-byte EIP-2537 G1 point → 48-byte compressed public key (validated like any public key). */
export function g1FromEip2537(bytes: Uint8Array): Uint8Array {
  checkLength(bytes, EIP2537_G1_LENGTH, "G1 point");
  if (isAllZero(bytes)) throw new BlsError("PUBKEY_IS_INFINITY", "public key is the point at infinity");
  const raw = new Uint8Array(2 * FP_BYTES);
  raw.set(unpadFp(bytes, 0), 0);
  raw.set(unpadFp(bytes, EIP2537_FP_LENGTH), FP_BYTES);
  let point: blst.PublicKey;
  try {
    point = blst.PublicKey.fromBytes(raw, false);
  } catch {
    throw new BlsError("PUBKEY_NOT_ON_CURVE", "EIP-2537 G1 point is not on the curve");
  }
  // Full validation (subgroup, infinity) through the one path every public key takes.
  return BlsPublicKey.fromBytes(point.toBytes(true)).bytes;
}

/** blst uncompressed G2 (x.c1, x.c0, y.c1, y.c0 at 48 B) → EIP-2537 (x.c0, x.c1, y.c0, y.c1 at 64 B). */
function g2RawToEip2537(raw: Uint8Array): Uint8Array {
  const out = new Uint8Array(EIP2537_G2_LENGTH);
  const fp = (i: number): Uint8Array => raw.subarray(i * FP_BYTES, (i + 1) * FP_BYTES);
  padFp(fp(1), out, 0); // x.c0
  padFp(fp(0), out, EIP2537_FP_LENGTH); // x.c1
  padFp(fp(3), out, 2 * EIP2537_FP_LENGTH); // y.c0
  padFp(fp(2), out, 3 * EIP2537_FP_LENGTH); // y.c1
  return out;
}

/** Signature (96 B compressed, validated) → 256-byte EIP-2537 G2 point. */
export function g2ToEip2537(sig: Uint8Array): Uint8Array {
  return g2RawToEip2537(decodeSignature(sig).toBytes(false));
}

/** 256-byte EIP-2537 G2 point → 96-byte compressed signature (validated like any signature). */
export function g2FromEip2537(bytes: Uint8Array): Uint8Array {
  checkLength(bytes, EIP2537_G2_LENGTH, "G2 point");
  if (isAllZero(bytes)) throw new BlsError("SIGNATURE_IS_INFINITY", "signature is the point at infinity");
  const raw = new Uint8Array(4 * FP_BYTES);
  raw.set(unpadFp(bytes, EIP2537_FP_LENGTH), 0); // x.c1
  raw.set(unpadFp(bytes, 0), FP_BYTES); // x.c0
  raw.set(unpadFp(bytes, 3 * EIP2537_FP_LENGTH), 2 * FP_BYTES); // y.c1
  raw.set(unpadFp(bytes, 2 * EIP2537_FP_LENGTH), 3 * FP_BYTES); // y.c0
  let point: blst.Signature;
  try {
    point = blst.Signature.fromBytes(raw, false, false);
  } catch {
    throw new BlsError("SIGNATURE_NOT_ON_CURVE", "EIP-2537 G2 point is not on the curve");
  }
  const compressed = point.toBytes(true);
  decodeSignature(compressed);
  return compressed;
}

/** -G1 generator in EIP-2537 form: the fixed left point of e(pk, H(m)) · e(-G1, sig) == 1. */
export const G1_GENERATOR_NEG_EIP2537: Uint8Array = (() => {
  const g = bls12_381.G1.Point.BASE.negate().toAffine();
  const out = new Uint8Array(EIP2537_G1_LENGTH);
  out.set(fpToEip2537(g.x), 0);
  out.set(fpToEip2537(g.y), EIP2537_FP_LENGTH);
  return out;
})();

/**
 * H(m) on G2 (RFC 9380 hash_to_curve, the ciphersuite of `dst`) in EIP-2537 form, computed in TS
 * (@noble/curves). On chain the same point is MAP_FP2_TO_G2(u0) + MAP_FP2_TO_G2(u1) with
 * `[u0, u1] = hashToFieldFp2(message, dst)`.
 */
export function hashToG2ForEip2537(message: Uint8Array, dst: string | Uint8Array): Uint8Array {
  if (!(message instanceof Uint8Array)) throw new BlsError("INVALID_MESSAGE", "message must be a Uint8Array");
  const point = bls12_381.longSignatures.hash(message, dst).toAffine();
  const out = new Uint8Array(EIP2537_G2_LENGTH);
  out.set(fp2ToEip2537(point.x), 0);
  out.set(fp2ToEip2537(point.y), 2 * EIP2537_FP_LENGTH);
  return out;
}

/**
 * Input of the PAIRING_CHECK precompile (0x0f) that checks one signature:
 * e(pk, H(m)) · e(-G1, sig) == 1, given H(m) in EIP-2537 form.
 */
export function pairingCheckInput(
  pk: Uint8Array | BlsPublicKey,
  hashedMessage: Uint8Array,
  sig: Uint8Array,
): Uint8Array {
  checkLength(hashedMessage, EIP2537_G2_LENGTH, "H(m)");
  const out = new Uint8Array(2 * (EIP2537_G1_LENGTH + EIP2537_G2_LENGTH));
  out.set(g1ToEip2537(pk), 0);
  out.set(hashedMessage, EIP2537_G1_LENGTH);
  out.set(G1_GENERATOR_NEG_EIP2537, EIP2537_G1_LENGTH + EIP2537_G2_LENGTH);
  out.set(g2ToEip2537(sig), 2 * EIP2537_G1_LENGTH + EIP2537_G2_LENGTH);
  return out;
}

export { hashToFieldFp2 };
