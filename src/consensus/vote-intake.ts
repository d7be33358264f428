/**
 * Signed votes as they arrive (and this node's own): bounded by round, checked for equivocation
 * (a conflicting pair becomes evidence; a forged first vote is evicted for the genuine one), then
 * collected until more than 2/3 of power forms a QC.
 */
import { type SignedVote, signingRootOfVote } from "../types/index.ts";
import { admitSigned } from "./admit-signed.ts";
import { toHex } from "./bytes.ts";
import type { CoreParts } from "./core-parts.ts";
import type { CoreState } from "./core-state.ts";
import type { ConsensusInput } from "./types.ts";

export class VoteIntake {
  private readonly s: CoreState;
  private readonly p: CoreParts;

  constructor(state: CoreState, parts: CoreParts) {
    this.s = state;
    this.p = parts;
  }

  onVote(sv: SignedVote, from: number, verified: boolean, input: ConsensusInput | "message"): void {
    const s = this.s;
    const v = sv.vote;
    if (!admitSigned(s, this.p, v.epoch, sv.signerIndex, from, input)) return;
    if (v.round === 0 || v.round + 1 < s.round || v.round <= s.committedRound) {
      s.drop("stale_round", input, from);
      return;
    }
    if (v.round > s.round + s.limits.maxRoundsAhead) {
      s.drop("too_far_ahead", input, from);
      return;
    }
    if (!s.votes.hasRound(v.round) && s.votes.roundsHeld() >= s.limits.maxPendingRounds) {
      s.drop("pending_full", input, from);
      return;
    }
    const pubkey = s.committee.pubkey(sv.signerIndex);
    const seen = s.voteSeen.observe(sv.signerIndex, v.round, {
      rootHex: toHex(v.blockRoot),
      message: v,
      signature: sv.signature,
      verified,
    });
    if (seen.kind === "full") {
      s.drop("pending_full", input, from);
      return;
    }
    if (seen.kind === "same") {
      s.drop("duplicate", input, from);
      return;
    }
    if (seen.kind === "conflict") {
      // Only a conflict needs the signing root here; the collector checks signatures in bulk.
      if (!verified && !s.modules.scheme.verify(pubkey, signingRootOfVote(s.opts.chainId, v), sv.signature)) {
        s.drop("bad_signature", input, from);
        return;
      }
      const prev = seen.record;
      const prevOk =
        prev.verified ||
        s.modules.scheme.verify(pubkey, signingRootOfVote(s.opts.chainId, prev.message), prev.signature);
      if (prevOk) {
        prev.verified = true;
        if (s.voteSeen.markEmitted(sv.signerIndex, v.round)) {
          s.out.push({
            type: "evidence",
            evidence: {
              kind: "vote",
              epoch: v.epoch,
              evidence: {
                validatorIndex: sv.signerIndex,
                voteA: prev.message,
                signatureA: prev.signature,
                voteB: v,
                signatureB: sv.signature,
              },
            },
          });
        }
        s.drop("duplicate", input, from, "equivocating vote");
        return;
      }
      // The first-seen vote was a forgery: forget it and keep the genuine one.
      s.votes.remove(s.committee, v.round, prev.message.blockRoot, sv.signerIndex);
      s.voteSeen.replace(sv.signerIndex, v.round, {
        rootHex: toHex(v.blockRoot),
        message: v,
        signature: sv.signature,
        verified: true,
      });
      s.drop("bad_signature", input, from, "earlier forged vote evicted");
      verified = true;
    }
    const own = s.ownVotePending;
    const pendingPower =
      own !== null &&
      s.self !== null &&
      sv.signerIndex !== s.self &&
      own.round === v.round &&
      own.rootHex === toHex(v.blockRoot)
        ? s.committee.validators[s.self].votingPower
        : 0n;
    const outcome = s.votes.add(s.committee, sv, verified, pendingPower);
    for (const bad of outcome.badSigners) {
      s.voteSeen.forget(bad, v.round);
      s.drop("bad_signature", input, bad === sv.signerIndex ? from : null, `vote of ${bad}`);
    }
    if (outcome.qc !== null) {
      s.committee.trustQc(outcome.qc);
      this.p.certificates.processQc(outcome.qc, null);
    }
  }
}
