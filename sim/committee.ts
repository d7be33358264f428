import { createHash } from "node:crypto";
import type { SignatureScheme, Signer, ValidatorInfo } from "../src/consensus/index.ts";
import { InsecureTestScheme, insecureTestCommittee } from "../src/consensus/index.ts";
import {
  aggregateSignatures,
  aggregateVerify,
  BlsPublicKey,
  fastAggregateVerify,
  publicKeyFromSecretKey,
  sign,
  verify,
} from "../src/crypto/bls.ts";

export type SchemeChoice = "test" | "bls";

export interface Committee {
  scheme: SignatureScheme;
  validators: ValidatorInfo[];
  signers: Signer[];
}

/**
 * Keys and the signature scheme of a simulated committee. "test" is the core's insecure hash
 * scheme (fast; the report says so); "bls" is real BLS12-381 through src/crypto.
 */
export function buildCommittee(choice: SchemeChoice, stakes: readonly number[]): Committee {
  if (choice === "test") {
    const { validators, signers } = insecureTestCommittee(stakes);
    return { scheme: new InsecureTestScheme(), validators, signers };
  }
  const secretKeys = stakes.map((_, i) => simSecretKey(i));
  const validators = stakes.map((stake, index) => ({
    index,
    address: `0x${(index + 1).toString(16).padStart(40, "0")}`,
    pubkey: publicKeyFromSecretKey(secretKeys[index]),
    votingPower: BigInt(stake),
  }));
  return {
    scheme: new BlsScheme(),
    validators,
    signers: secretKeys.map((sk) => ({ sign: (message: Uint8Array): Uint8Array => sign(sk, message) })),
  };
}

/** Well-known keys for simulation only: a secret key is the reduced hash of the index. */
function simSecretKey(index: number): Uint8Array {
  const sk = createHash("sha256").update(`megaseq-sim-bls-key/${index}`).digest();
  sk[0] &= 0x3f; // below the group order
  return new Uint8Array(sk);
}

/** The core's SignatureScheme over src/crypto/bls.ts; bad bytes verify as false, never throw. */
export class BlsScheme implements SignatureScheme {
  readonly name = "bls12-381";

  verify(pubkey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    return safe(() => verify(BlsPublicKey.cached(pubkey), message, signature));
  }

  fastAggregateVerify(pubkeys: readonly Uint8Array[], message: Uint8Array, signature: Uint8Array): boolean {
    return safe(() =>
      fastAggregateVerify(
        pubkeys.map((pk) => BlsPublicKey.cached(pk)),
        message,
        signature,
      ),
    );
  }

  aggregateVerify(
    pubkeys: readonly Uint8Array[],
    messages: readonly Uint8Array[],
    signature: Uint8Array,
  ): boolean {
    return safe(() =>
      aggregateVerify(
        pubkeys.map((pk) => BlsPublicKey.cached(pk)),
        messages,
        signature,
      ),
    );
  }

  aggregate(signatures: readonly Uint8Array[]): Uint8Array {
    return aggregateSignatures(signatures);
  }
}

function safe(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}
