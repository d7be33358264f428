/**
 * This node's vote for a proposal of the current round: checked by the safety rules, persisted,
 * and sent (to the next leader, or to itself when it leads next) only once the write is durable.
 * Leading the next round on top of another proposer's block reserves that round in the same write.
 */
import { type Block, type SignedVote, signingRootOfVote, type Vote } from "../types/index.ts";
import type { TreeNode } from "./block-tree.ts";
import { toHex } from "./bytes.ts";
import { maxHighQcRound } from "./committee.ts";
import type { CoreParts } from "./core-parts.ts";
import type { CoreState } from "./core-state.ts";
import { leaderOf } from "./round-leader.ts";
import type { Effect, SafetyData } from "./types.ts";

export class Voter {
  private readonly s: CoreState;
  private readonly p: CoreParts;

  constructor(state: CoreState, parts: CoreParts) {
    this.s = state;
    this.p = parts;
  }

  /** Votes for `block` if it may; `beforeVote` (a held proposal) is emitted before the vote or now. */
  maybeVote(node: TreeNode, block: Block, beforeVote: Effect | null): void {
    const s = this.s;
    const h = block.header;
    const emitBefore = (): void => {
      if (beforeVote !== null) s.out.push(beforeVote);
    };
    if (s.self === null || s.modules.signer === undefined || h.round !== s.round || s.epochEnded !== null) {
      emitBefore();
      return;
    }
    if (
      s.safety.lastVote !== null &&
      s.safety.lastVote.round === h.round &&
      s.safety.lastVote.epoch === h.epoch
    ) {
      emitBefore();
      return;
    }
    const tc = block.justify.tc.length === 1 ? block.justify.tc[0] : null;
    const reason = s.rules.checkVote(s.safety, {
      epoch: h.epoch,
      round: h.round,
      qcRound: block.justify.qc.round,
      tc: tc === null ? null : { round: tc.round, maxHighQcRound: maxHighQcRound(tc) },
    });
    if (reason !== null) {
      emitBefore();
      s.drop("safety_rule", "message", h.proposerIndex, `vote refused: ${reason}`);
      return;
    }
    const vote: Vote = { epoch: h.epoch, round: h.round, blockRoot: node.summary.root };
    const self = s.self;
    const signer = s.modules.signer;
    // Signed while the safety write is in flight (see defer), or at its ack if the host never
    // resumes; BLS signatures are deterministic, so either way it is the same vote.
    let signature: Uint8Array | null = null;
    const sign = (): Uint8Array => {
      signature ??= signer.sign(signingRootOfVote(s.opts.chainId, vote));
      return signature;
    };
    const nextLeader = leaderOf(s, node, h.round + 1);
    const reserve =
      nextLeader === s.self && h.proposerIndex !== s.self && s.safety.proposalReservedRound < h.round + 1;
    const next: SafetyData = {
      ...s.safety,
      lastVotedRound: h.round,
      oneChainRound: Math.max(s.safety.oneChainRound, block.justify.qc.round),
      lastVote: vote,
      // Leading the next round on top of another proposer's block: reserve it in this same write
      // (see propose). A leader voting for its own block (a term of K > 1) keeps the old path.
      proposalReservedRound: reserve ? h.round + 1 : s.safety.proposalReservedRound,
    };
    const ownVote = nextLeader === self ? { round: h.round, rootHex: toHex(node.summary.root) } : null;
    if (ownVote !== null) s.ownVotePending = ownVote;
    const seq = this.p.writes.persist(next, () => {
      emitBefore();
      const signed: SignedVote = { vote, signerIndex: self, signature: sign() };
      if (ownVote !== null) {
        if (s.ownVotePending === ownVote) s.ownVotePending = null;
        this.p.voteIntake.onVote(signed, self, true, "message");
      } else s.out.push({ type: "sendTo", to: nextLeader, message: { kind: "vote", vote: signed } });
    });
    this.p.writes.defer(sign);
    if (reserve) s.reservation = { round: h.round + 1, seq };
  }
}
