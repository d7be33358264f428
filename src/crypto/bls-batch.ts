import { BlsPublicKey, decodeSignature, type PublicKeyInput, SIGNATURE_LENGTH } from "./bls.ts";
import { BlsError } from "./bls-error.ts";
import { verifyPreparedSets } from "./bls-verify-sets.ts";

export interface BatchItem {
  publicKey: PublicKeyInput;
  message: Uint8Array;
  signature: Uint8Array;
}

/**
 * Many independent (pk, message, sig) sets at once: sets that share a message are folded with
 * random coefficients, and everything is checked in one multi-pairing with a random linear
 * combination. `true` only if every set is valid; malformed bytes throw their typed BlsError.
 */
export function verifyBatch(items: readonly BatchItem[]): boolean {
  if (items.length === 0) throw new BlsError("EMPTY_AGGREGATE", "verifyBatch needs at least one set");
  const sets = items.map((item) => {
    if (!(item.message instanceof Uint8Array)) {
      throw new BlsError("INVALID_MESSAGE", "message must be a Uint8Array");
    }
    if (!(item.signature instanceof Uint8Array) || item.signature.length !== SIGNATURE_LENGTH) {
      throw new BlsError("INVALID_SIGNATURE_LENGTH", `signature must be ${SIGNATURE_LENGTH} bytes`);
    }
    const pk = item.publicKey instanceof BlsPublicKey ? item.publicKey : BlsPublicKey.cached(item.publicKey);
    return { publicKeys: [pk.point], messages: [item.message], signature: item.signature };
  });
  const results = verifyPreparedSets(sets);
  if (results.every(Boolean)) return true;
  // Only on failure: decode the failing signatures again so malformed bytes surface as typed errors
  // (the happy path pays for one subgroup check per signature, not two).
  for (let i = 0; i < results.length; i++) if (!results[i]) decodeSignature(items[i].signature);
  return false;
}
