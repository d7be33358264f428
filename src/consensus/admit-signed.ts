import type { CoreParts } from "./core-parts.ts";
import type { CoreState } from "./core-state.ts";
import type { ConsensusInput } from "./types.ts";

/**
 * The checks every signed vote or timeout passes first: this epoch (a later one may start
 * catch-up), an epoch that has not ended, a signer in the committee. Drops with a reason.
 */
export function admitSigned(
  s: CoreState,
  p: CoreParts,
  epoch: number,
  signer: number,
  from: number,
  input: ConsensusInput | "message",
): boolean {
  if (epoch !== s.committee.epoch) {
    if (typeof input !== "string") p.epochs.epochMismatch(epoch, input, from);
    else s.drop("wrong_epoch", input, from);
    return false;
  }
  if (s.epochEnded !== null) {
    s.drop("epoch_ended", input, from);
    return false;
  }
  if (!s.committee.has(signer)) {
    s.drop("unknown_signer", input, from);
    return false;
  }
  return true;
}
