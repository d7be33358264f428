import { BlsError } from "./bls-error.ts";
import type { BlsVerifier, SignatureSet } from "./bls-verifier.ts";
import { prepareSets } from "./bls-verifier.ts";
import { verifyPreparedSets } from "./bls-verify-sets.ts";

/** Verifies on the calling thread. For tests, the simulator and small committees. */
export class SyncBlsVerifier implements BlsVerifier {
  private closed = false;

  async verifySignatureSets(sets: readonly SignatureSet[]): Promise<boolean> {
    return (await this.verifyEach(sets)).every(Boolean);
  }

  async verifyEach(sets: readonly SignatureSet[]): Promise<boolean[]> {
    if (this.closed) throw new BlsError("VERIFIER_CLOSED", "verifier is closed");
    return verifyPreparedSets(prepareSets(sets));
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
