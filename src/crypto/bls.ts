import { deriveKeyFromEntropy } from "@chainsafe/bls-keygen";
import * as blst from "@chainsafe/blst";
import { BlsError, blstErrorCode } from "./bls-error.ts";

/**
 * BLS12-381 min-pk (public keys in G1, signatures in G2) on native blst. Everything here works
 * over bytes: secret key 32 B, public key 48 B compressed, signature 96 B compressed. Bytes from
 * anyone are checked (length, encoding, on curve, in subgroup, not infinity) and rejected with a
 * typed BlsError; a check never answers `true` for bytes it could not decode.
 */

/** Ciphersuite for every consensus message (IETF BLS draft, proof-of-possession scheme). blst signs with this one. */
export const BLS_SIG_DST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
/** Ciphersuite for proofs of possession: a separate DST so a PoP is never a valid message signature. */
export const BLS_POP_DST = "BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

export const SECRET_KEY_LENGTH = 32;
export const PUBLIC_KEY_LENGTH = 48;
export const SIGNATURE_LENGTH = 96;
/** EIP-2334 signing key path of validator 0; pass another index's path for more keys. */
export const DEFAULT_DERIVATION_PATH = "m/12381/3600/0/0/0";

/** Bounded so that public keys from the network never grow memory without limit. */
const PUBKEY_CACHE_MAX = 4096;

/**
 * A public key validated once (decompressed, on curve, in G1, not infinity). Hold these for a
 * committee so hot paths never re-decompress or re-subgroup-check the same key.
 */
export class BlsPublicKey {
  readonly bytes: Uint8Array;
  readonly point: blst.PublicKey;

  private constructor(bytes: Uint8Array, point: blst.PublicKey) {
    this.bytes = bytes;
    this.point = point;
  }

  /** Decodes and validates 48 compressed bytes; throws BlsError on any defect. */
  static fromBytes(bytes: Uint8Array): BlsPublicKey {
    return new BlsPublicKey(Uint8Array.from(bytes), decodePublicKey(bytes));
  }

  /** Same as fromBytes, through a bounded cache keyed by the bytes. */
  static cached(bytes: Uint8Array): BlsPublicKey {
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
    const hit = pubkeyCache.get(key);
    if (hit) return hit;
    const pk = BlsPublicKey.fromBytes(bytes);
    if (pubkeyCache.size >= PUBKEY_CACHE_MAX) {
      const oldest = pubkeyCache.keys().next().value;
      if (oldest !== undefined) pubkeyCache.delete(oldest);
    }
    pubkeyCache.set(key, pk);
    return pk;
  }

  /** Wraps a point this process made itself (a secret key's public key, an aggregate of valid keys). */
  static fromTrustedPoint(point: blst.PublicKey): BlsPublicKey {
    return new BlsPublicKey(point.toBytes(true), point);
  }

  /** 96-byte uncompressed form: decoding it again skips the square root (used to feed workers). */
  toUncompressed(): Uint8Array {
    return this.point.toBytes(false);
  }

  equals(other: BlsPublicKey): boolean {
    return Buffer.compare(this.bytes, other.bytes) === 0;
  }

  toHex(): string {
    return `0x${Buffer.from(this.bytes).toString("hex")}`;
  }
}

const pubkeyCache = new Map<string, BlsPublicKey>();

export type PublicKeyInput = Uint8Array | BlsPublicKey;

function toPublicKey(input: PublicKeyInput): BlsPublicKey {
  return input instanceof BlsPublicKey ? input : BlsPublicKey.cached(input);
}

function isCompressedInfinity(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0xc0) return false;
  for (let i = 1; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

function decodePublicKey(bytes: Uint8Array): blst.PublicKey {
  if (!(bytes instanceof Uint8Array) || bytes.length !== PUBLIC_KEY_LENGTH) {
    throw new BlsError("INVALID_PUBKEY_LENGTH", `public key must be ${PUBLIC_KEY_LENGTH} bytes`, {
      length: bytes?.length,
    });
  }
  if (isCompressedInfinity(bytes))
    throw new BlsError("PUBKEY_IS_INFINITY", "public key is the point at infinity");
  try {
    return blst.PublicKey.fromBytes(bytes, true);
  } catch (err) {
    throw pointError("PUBKEY", blstErrorCode(err));
  }
}

/** Decodes 96 compressed bytes into a G2 point that is on the curve, in the subgroup and not infinity. */
export function decodeSignature(bytes: Uint8Array): blst.Signature {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SIGNATURE_LENGTH) {
    throw new BlsError("INVALID_SIGNATURE_LENGTH", `signature must be ${SIGNATURE_LENGTH} bytes`, {
      length: bytes?.length,
    });
  }
  if (isCompressedInfinity(bytes)) {
    throw new BlsError("SIGNATURE_IS_INFINITY", "signature is the point at infinity");
  }
  try {
    return blst.Signature.fromBytes(bytes, true, true);
  } catch (err) {
    throw pointError("SIGNATURE", blstErrorCode(err));
  }
}

function pointError(kind: "PUBKEY" | "SIGNATURE", blstCode: string): BlsError {
  const what = kind === "PUBKEY" ? "public key" : "signature";
  switch (blstCode) {
    case "BLST_POINT_NOT_ON_CURVE":
      return new BlsError(`${kind}_NOT_ON_CURVE`, `${what} is not on the curve`);
    case "BLST_POINT_NOT_IN_GROUP":
      return new BlsError(`${kind}_NOT_IN_SUBGROUP`, `${what} is not in the prime-order subgroup`);
    case "BLST_PK_IS_INFINITY":
      return new BlsError(`${kind}_IS_INFINITY`, `${what} is the point at infinity`);
    default:
      return new BlsError(`${kind}_BAD_ENCODING`, `${what} is not a valid compressed point (${blstCode})`);
  }
}

function decodeSecretKey(sk: Uint8Array): blst.SecretKey {
  if (!(sk instanceof Uint8Array) || sk.length !== SECRET_KEY_LENGTH) {
    throw new BlsError("INVALID_SECRET_KEY_LENGTH", `secret key must be ${SECRET_KEY_LENGTH} bytes`);
  }
  try {
    return blst.SecretKey.fromBytes(sk);
  } catch {
    throw new BlsError("INVALID_SECRET_KEY", "secret key is zero or not below the group order");
  }
}

function checkMessage(message: Uint8Array): void {
  if (!(message instanceof Uint8Array)) throw new BlsError("INVALID_MESSAGE", "message must be a Uint8Array");
}

// ---- keys ----

/**
 * EIP-2333 key derivation from a seed (≥ 32 bytes of entropy) along an EIP-2334 path.
 * The same seed and path always give the same key.
 */
export function secretKeyFromSeed(seed: Uint8Array, path: string = DEFAULT_DERIVATION_PATH): Uint8Array {
  if (!(seed instanceof Uint8Array) || seed.length < 32) {
    throw new BlsError("INVALID_SEED", "seed must be at least 32 bytes");
  }
  if (!/^m(\/\d+)*$/.test(path)) {
    throw new BlsError(
      "INVALID_DERIVATION_PATH",
      `derivation path must look like m/12381/3600/0/0/0: ${path}`,
    );
  }
  try {
    // bls-keygen takes EIP-2334 paths (m/12381/...) or none at all for the master key.
    return path === "m" ? deriveKeyFromEntropy(seed) : deriveKeyFromEntropy(seed, path);
  } catch (err) {
    throw new BlsError("INVALID_DERIVATION_PATH", `cannot derive along ${path}: ${String(err)}`);
  }
}

export function publicKeyFromSecretKey(sk: Uint8Array): Uint8Array {
  return decodeSecretKey(sk).toPublicKey().toBytes(true);
}

/** Validates public key bytes; returns nothing, throws BlsError on any defect. */
export function validatePublicKey(pk: Uint8Array): void {
  decodePublicKey(pk);
}

/** Validates signature bytes (encoding, curve, subgroup, infinity); throws BlsError on any defect. */
export function validateSignature(sig: Uint8Array): void {
  decodeSignature(sig);
}

// ---- sign / verify ----

export function sign(sk: Uint8Array, message: Uint8Array): Uint8Array {
  checkMessage(message);
  return decodeSecretKey(sk).sign(message).toBytes(true);
}

export function verify(pk: PublicKeyInput, message: Uint8Array, sig: Uint8Array): boolean {
  checkMessage(message);
  const key = toPublicKey(pk);
  const signature = decodeSignature(sig);
  return blst.verify(message, key.point, signature, false, false);
}

// ---- aggregation ----

export function aggregateSignatures(sigs: readonly Uint8Array[]): Uint8Array {
  if (sigs.length === 0) throw new BlsError("EMPTY_AGGREGATE", "cannot aggregate zero signatures");
  return blst.aggregateSignatures(sigs.map(decodeSignature), false).toBytes(true);
}

export function aggregatePublicKeys(pks: readonly PublicKeyInput[]): Uint8Array {
  return aggregatePublicKeyPoint(pks).bytes;
}

/** The aggregate as a BlsPublicKey, for callers that verify against it repeatedly. */
export function aggregatePublicKeyPoint(pks: readonly PublicKeyInput[]): BlsPublicKey {
  if (pks.length === 0) throw new BlsError("EMPTY_AGGREGATE", "cannot aggregate zero public keys");
  const aggregate = blst.aggregatePublicKeys(
    pks.map((pk) => toPublicKey(pk).point),
    false,
  );
  return BlsPublicKey.fromTrustedPoint(aggregate);
}

/**
 * One message signed by many keys (a QC). Sound only for keys whose proof of possession was
 * checked at registration (rogue-key attacks).
 */
export function fastAggregateVerify(
  pks: readonly PublicKeyInput[],
  message: Uint8Array,
  sig: Uint8Array,
): boolean {
  checkMessage(message);
  if (pks.length === 0) throw new BlsError("EMPTY_AGGREGATE", "fastAggregateVerify needs at least one key");
  const points = pks.map((pk) => toPublicKey(pk).point);
  return blst.fastAggregateVerify(message, points, decodeSignature(sig), false);
}

/** Distinct messages, one per key, under one aggregate signature (a TC). */
export function aggregateVerify(
  pks: readonly PublicKeyInput[],
  messages: readonly Uint8Array[],
  sig: Uint8Array,
): boolean {
  if (pks.length === 0) throw new BlsError("EMPTY_AGGREGATE", "aggregateVerify needs at least one key");
  if (pks.length !== messages.length) {
    throw new BlsError("LENGTH_MISMATCH", `${pks.length} public keys but ${messages.length} messages`);
  }
  for (const m of messages) checkMessage(m);
  const points = pks.map((pk) => toPublicKey(pk).point);
  return blst.aggregateVerify([...messages], points, decodeSignature(sig), false, false);
}
