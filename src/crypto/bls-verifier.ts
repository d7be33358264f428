import * as blst from "@chainsafe/blst";
import { BlsPublicKey, type PublicKeyInput } from "./bls.ts";
import { BlsError } from "./bls-error.ts";
import type { PreparedSet } from "./bls-verify-sets.ts";

/**
 * What consensus hands to signature verification (model: Lodestar's chain/bls). Public keys
 * should be BlsPublicKey objects held per committee; raw bytes go through a bounded cache.
 */
export type SignatureSet =
  /** One key, one message (a vote, a timeout message). */
  | { type: "single"; publicKey: PublicKeyInput; message: Uint8Array; signature: Uint8Array }
  /** Many keys, one message, one aggregate signature (a QC). */
  | { type: "aggregate"; publicKeys: readonly PublicKeyInput[]; message: Uint8Array; signature: Uint8Array }
  /** Many keys, one distinct message each, one aggregate signature (a TC). */
  | {
      type: "multiMessage";
      publicKeys: readonly PublicKeyInput[];
      messages: readonly Uint8Array[];
      signature: Uint8Array;
    };

export interface BlsVerifier {
  /**
   * True only if every set is valid. Malformed signature bytes make their set invalid (false);
   * malformed public keys, empty key lists and an empty `sets` are caller errors (BlsError).
   */
  verifySignatureSets(sets: readonly SignatureSet[]): Promise<boolean>;
  /** One result per set, in order: which votes of a batch were good. */
  verifyEach(sets: readonly SignatureSet[]): Promise<boolean[]>;
  close(): Promise<void>;
}

function key(input: PublicKeyInput): BlsPublicKey {
  return input instanceof BlsPublicKey ? input : BlsPublicKey.cached(input);
}

/**
 * Validates the caller's part (keys, shapes) on the calling thread and aggregates same-message
 * keys, so workers only ever see trusted keys and untrusted signatures.
 */
export function prepareSets(sets: readonly SignatureSet[]): PreparedSet<blst.PublicKey>[] {
  if (sets.length === 0) throw new BlsError("EMPTY_AGGREGATE", "no signature sets to verify");
  return sets.map((set) => ({ ...prepareOne(set), signature: asBytes(set.signature) }));
}

/** A signature that is not even bytes is simply an invalid one (its set is false). */
function asBytes(value: unknown): Uint8Array {
  return value instanceof Uint8Array ? value : new Uint8Array(0);
}

function prepareOne(set: SignatureSet): PreparedSet<blst.PublicKey> {
  switch (set.type) {
    case "single":
      checkMessage(set.message);
      return { publicKeys: [key(set.publicKey).point], messages: [set.message], signature: set.signature };
    case "aggregate": {
      if (set.publicKeys.length === 0) {
        throw new BlsError("EMPTY_AGGREGATE", "aggregate signature set without public keys");
      }
      checkMessage(set.message);
      const points = set.publicKeys.map((pk) => key(pk).point);
      const aggregate = points.length === 1 ? points[0] : blst.aggregatePublicKeys(points, false);
      return { publicKeys: [aggregate], messages: [set.message], signature: set.signature };
    }
    case "multiMessage": {
      if (set.publicKeys.length === 0) {
        throw new BlsError("EMPTY_AGGREGATE", "multi-message signature set without public keys");
      }
      if (set.publicKeys.length !== set.messages.length) {
        throw new BlsError(
          "LENGTH_MISMATCH",
          `${set.publicKeys.length} public keys but ${set.messages.length} messages`,
        );
      }
      for (const m of set.messages) checkMessage(m);
      return {
        publicKeys: set.publicKeys.map((pk) => key(pk).point),
        messages: [...set.messages],
        signature: set.signature,
      };
    }
    default:
      throw new BlsError("INVALID_MESSAGE", "unknown signature set type");
  }
}

function checkMessage(message: Uint8Array): void {
  if (!(message instanceof Uint8Array)) throw new BlsError("INVALID_MESSAGE", "message must be a Uint8Array");
}
