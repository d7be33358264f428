import { bls12_381 } from "@noble/curves/bls12-381.js";
import { BLS_POP_DST, BlsPublicKey, decodeSignature, type PublicKeyInput } from "./bls.ts";
import { BlsError } from "./bls-error.ts";

/**
 * Proofs of possession under their own DST (BLS_POP_DST). blst's Node binding only signs with the
 * message DST, so the PoP goes through @noble/curves: ~100x slower than blst but a PoP is made and
 * checked once per validator registration, never on a hot path. Inputs are still validated by
 * blst first, so bad bytes end in the same typed BlsErrors as everywhere else.
 *
 * The message is the caller's: the staking contract binds it to (sender, chain id, contract,
 * public key) so a proof cannot be replayed elsewhere.
 */
const long = bls12_381.longSignatures;

function secretScalar(sk: Uint8Array): Uint8Array {
  if (!(sk instanceof Uint8Array) || sk.length !== 32) {
    throw new BlsError("INVALID_SECRET_KEY_LENGTH", "secret key must be 32 bytes");
  }
  let value = 0n;
  for (const byte of sk) value = (value << 8n) | BigInt(byte);
  if (value === 0n || value >= bls12_381.fields.Fr.ORDER) {
    throw new BlsError("INVALID_SECRET_KEY", "secret key is zero or not below the group order");
  }
  return sk;
}

export function popProve(sk: Uint8Array, message: Uint8Array): Uint8Array {
  if (!(message instanceof Uint8Array)) throw new BlsError("INVALID_MESSAGE", "message must be a Uint8Array");
  const point = long.sign(long.hash(message, BLS_POP_DST), secretScalar(sk));
  return long.Signature.toBytes(point);
}

export function popVerify(pk: PublicKeyInput, message: Uint8Array, sig: Uint8Array): boolean {
  if (!(message instanceof Uint8Array)) throw new BlsError("INVALID_MESSAGE", "message must be a Uint8Array");
  const key = pk instanceof BlsPublicKey ? pk : BlsPublicKey.cached(pk);
  decodeSignature(sig); // typed errors for bad bytes, subgroup check included
  return long.verify(sig, long.hash(message, BLS_POP_DST), key.bytes);
}
