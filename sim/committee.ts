import { createHash } from "node:crypto";
import type { SignatureScheme, Signer, ValidatorInfo } from "../src/consensus/index.ts";
import { BlsScheme, BlsSigner, InsecureTestScheme, insecureTestCommittee } from "../src/consensus/index.ts";

export type SchemeChoice = "test" | "bls";

export interface Committee {
  scheme: SignatureScheme;
  validators: ValidatorInfo[];
  signers: Signer[];
}

/**
 * Keys and the signature scheme of a simulated committee. "test" is the core's insecure hash
 * scheme (fast; the report says so); "bls" is real BLS12-381 through the core's own adapter.
 */
export function buildCommittee(choice: SchemeChoice, stakes: readonly number[]): Committee {
  if (choice === "test") {
    const { validators, signers } = insecureTestCommittee(stakes);
    return { scheme: new InsecureTestScheme(), validators, signers };
  }
  const signers = stakes.map((_, i) => new BlsSigner(simSecretKey(i)));
  const validators = stakes.map((stake, index) => ({
    index,
    address: `0x${(index + 1).toString(16).padStart(40, "0")}`,
    pubkey: signers[index].pubkey,
    votingPower: BigInt(stake),
  }));
  return { scheme: new BlsScheme(), validators, signers };
}

/** Well-known keys for simulation only: a secret key is the reduced hash of the index. */
function simSecretKey(index: number): Uint8Array {
  const sk = createHash("sha256").update(`megaseq-sim-bls-key/${index}`).digest();
  sk[0] &= 0x3f; // below the group order
  return new Uint8Array(sk);
}
