/**
 * The production signature scheme: BLS12-381 min-pk from src/crypto (blst). Remote bytes that are
 * not valid points make verification return false (never throw into the core); an aggregate over
 * a malformed signature yields an all-zero placeholder that can never verify, which sends the
 * vote collector to its per-vote fallback where the bad vote is found and evicted.
 */
import {
  aggregateSignatures,
  aggregateVerify,
  fastAggregateVerify,
  publicKeyFromSecretKey,
  sign,
  verify,
} from "../crypto/index.ts";
import type { SignatureScheme, Signer } from "./types.ts";

export const BLS_SCHEME_NAME = "bls12-381-min-pk";

export class BlsScheme implements SignatureScheme {
  readonly name: string = BLS_SCHEME_NAME;

  verify(pubkey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    try {
      return verify(pubkey, message, signature);
    } catch {
      return false;
    }
  }

  fastAggregateVerify(pubkeys: readonly Uint8Array[], message: Uint8Array, signature: Uint8Array): boolean {
    try {
      return fastAggregateVerify(pubkeys, message, signature);
    } catch {
      return false;
    }
  }

  aggregateVerify(
    pubkeys: readonly Uint8Array[],
    messages: readonly Uint8Array[],
    signature: Uint8Array,
  ): boolean {
    try {
      return aggregateVerify(pubkeys, messages, signature);
    } catch {
      return false;
    }
  }

  aggregate(signatures: readonly Uint8Array[]): Uint8Array {
    try {
      return aggregateSignatures(signatures);
    } catch {
      return new Uint8Array(96);
    }
  }
}

export class BlsSigner implements Signer {
  readonly pubkey: Uint8Array;
  private readonly secretKey: Uint8Array;

  constructor(secretKey: Uint8Array) {
    this.secretKey = secretKey;
    this.pubkey = publicKeyFromSecretKey(secretKey);
  }

  sign(message: Uint8Array): Uint8Array {
    return sign(this.secretKey, message);
  }
}
