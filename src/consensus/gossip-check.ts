/**
 * The checks a host runs on a consensus message before gossip forwards it: epoch, known signer,
 * certificate shape and quorum, and the exact signature sets that make the message valid, so the
 * host can verify them all in one batch (a proposal's signature and its QC in one multi-pairing)
 * and then hand the core a message it need not verify again (`verified: true`).
 *
 * Pure: it reads the committee and the rounds, changes nothing. The core repeats every non-
 * cryptographic check when the message arrives, so a verdict that went stale in between (the
 * node moved on) costs nothing but a drop.
 */
import {
  BlockHeader,
  type QuorumCertificate,
  signingRootFromMessageRoot,
  signingRootOfTimeout,
  signingRootOfVote,
  type TimeoutCertificate,
} from "../types/index.ts";
import type { Committee } from "./committee.ts";
import type { ConsensusMessage, GossipCheck, SignatureCheck } from "./types.ts";

export interface GossipCheckContext {
  committee: Committee;
  /** Round of the latest committed block: messages at or below it are of no use. */
  committedRound: number;
  round: number;
  maxRoundsAhead: number;
  /**
   * Whether the network changes epochs (epochLengthRounds > 0). Then a message of any later epoch
   * may be honest (this node is behind: the core fetches) and one of any earlier epoch may come
   * from an honest node that is behind; both are ignored, never held against the sender, or a
   * node back from a long outage and its peers would ban each other. Without epoch changes only
   * the neighbouring epochs are ignored and any other is invalid.
   */
  epochsChange: boolean;
}

/**
 * `fromProposer`: a proposal that came over its proposer's own authenticated connection; its
 * signature set is left out (only its certificates are returned to verify).
 */
export function gossipCheck(
  ctx: GossipCheckContext,
  message: ConsensusMessage,
  fromProposer = false,
): GossipCheck {
  const { committee } = ctx;
  switch (message.kind) {
    case "proposal": {
      const h = message.block.header;
      const early = admit(ctx, h.epoch, h.proposerIndex, h.round, false);
      if (early !== null) return early;
      const checks: SignatureCheck[] = [];
      if (!fromProposer) {
        checks.push({
          kind: "single",
          publicKeys: [committee.pubkey(h.proposerIndex)],
          messages: [
            signingRootFromMessageRoot("proposal", committee.chainId, h.epoch, BlockHeader.hashTreeRoot(h)),
          ],
          signature: message.block.signature,
        });
      }
      const { qc, tc } = message.block.justify;
      if (!addCertificates(committee, qc, tc, checks))
        return { verdict: "reject", reason: "bad_certificate" };
      return { verdict: "verify", checks };
    }
    case "vote": {
      const { vote, signerIndex, signature } = message.vote;
      const early = admit(ctx, vote.epoch, signerIndex, vote.round, true);
      if (early !== null) return early;
      return {
        verdict: "verify",
        checks: [
          {
            kind: "single",
            publicKeys: [committee.pubkey(signerIndex)],
            messages: [signingRootOfVote(committee.chainId, vote)],
            signature,
          },
        ],
      };
    }
    case "timeout": {
      const tm = message.timeout;
      const t = tm.timeout;
      const early = admit(ctx, t.epoch, tm.signerIndex, t.round, true);
      if (early !== null) return early;
      if (t.highQcRound !== tm.highQc.round || tm.highQc.round >= t.round || tm.highQc.epoch !== t.epoch) {
        return { verdict: "reject", reason: "invalid_message" };
      }
      const checks: SignatureCheck[] = [
        {
          kind: "single",
          publicKeys: [committee.pubkey(tm.signerIndex)],
          messages: [signingRootOfTimeout(committee.chainId, t)],
          signature: tm.signature,
        },
      ];
      if (!addCertificates(committee, tm.highQc, tm.lastTc, checks)) {
        return { verdict: "reject", reason: "bad_certificate" };
      }
      return { verdict: "verify", checks };
    }
  }
}

function admit(
  ctx: GossipCheckContext,
  epoch: number,
  signer: number,
  round: number,
  boundAhead: boolean,
): GossipCheck | null {
  const current = ctx.committee.epoch;
  if (epoch !== current) {
    if (epoch === current + 1 || (ctx.epochsChange && epoch > current))
      return { verdict: "ignore", reason: "future_epoch" };
    if (epoch === current - 1 || ctx.epochsChange) return { verdict: "ignore", reason: "stale_epoch" };
    return { verdict: "reject", reason: "wrong_epoch" };
  }
  if (!ctx.committee.has(signer)) return { verdict: "reject", reason: "unknown_signer" };
  if (round <= ctx.committedRound) return { verdict: "ignore", reason: "stale_round" };
  // Votes and timeouts that far ahead are dropped by the core; proposals may start a catch-up.
  if (boundAhead && round > ctx.round + ctx.maxRoundsAhead)
    return { verdict: "ignore", reason: "too_far_ahead" };
  return null;
}

/** Appends the sets of a QC and an optional TC; false when either is malformed or short of quorum. */
function addCertificates(
  committee: Committee,
  qc: QuorumCertificate,
  tc: readonly TimeoutCertificate[],
  checks: SignatureCheck[],
): boolean {
  const q = committee.qcSignatureSet(qc);
  if (q.check !== "ok") return false;
  if (q.set !== null) checks.push(q.set);
  if (tc.length > 1) return false;
  if (tc.length === 1) {
    const t = committee.tcSignatureSet(tc[0]);
    if (t.check !== "ok") return false;
    if (t.set !== null) checks.push(t.set);
  }
  return true;
}
