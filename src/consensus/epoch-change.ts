/**
 * Epoch changes: the commit of the boundary ends an epoch; once the next validator set is known
 * (input `validatorSet`) the core switches to it, the boundary becoming round 0 of the next
 * epoch, and keeps the previous epoch's tail for peers that have not finished it. A message of a
 * later epoch means this node is behind and starts catch-up.
 */
import {
  BlockHeader,
  Justification,
  type QuorumCertificate,
  signingRootFromMessageRoot,
} from "../types/index.ts";
import { payloadRootOf } from "../types/payload-root.ts";
import { BlockTree } from "./block-tree.ts";
import type { CoreParts } from "./core-parts.ts";
import type { CoreState } from "./core-state.ts";
import { emptyPayload } from "./empty-payload.ts";
import { leaderOf } from "./round-leader.ts";
import { durableTimeoutRound, initialSafetyData } from "./safety-rules.ts";
import { cloneSafety } from "./safety-writes.ts";
import type { BlockSummary, ConsensusInput } from "./types.ts";
import { validatorSetProblem } from "./validate-opts.ts";

export class EpochChange {
  private readonly s: CoreState;
  private readonly p: CoreParts;

  constructor(state: CoreState, parts: CoreParts) {
    this.s = state;
    this.p = parts;
  }

  /**
   * The leader that formed the QC ending the epoch sends it on in one last empty block (never
   * committed): the votes went to this leader only, so without it the others could not commit
   * the boundary, and the epoch would end on this node alone.
   */
  announceEpochEnd(qc: QuorumCertificate): void {
    const s = this.s;
    const signer = s.modules.signer;
    const round = qc.round + 1;
    if (s.self === null || signer === undefined || !s.started) return;
    if (s.lastProposedRound >= round || s.safety.lastVotedRound >= round) return;
    const certified = s.tree.get(qc.blockRoot);
    if (certified === undefined || leaderOf(s, certified, round) !== s.self) return;
    const payload = emptyPayload();
    const justify = { qc, tc: [] };
    const header: BlockHeader = {
      epoch: s.committee.epoch,
      round,
      proposerIndex: s.self,
      parentRoot: qc.blockRoot,
      parentRound: qc.round,
      payloadRoot: payloadRootOf(payload),
      stateBlockNumber: 0,
      stateRoot: new Uint8Array(32),
      justifyRoot: Justification.hashTreeRoot(justify),
    };
    const signature = signer.sign(
      signingRootFromMessageRoot("proposal", s.opts.chainId, header.epoch, BlockHeader.hashTreeRoot(header)),
    );
    s.lastProposedRound = round;
    s.out.push({
      type: "broadcast",
      message: { kind: "proposal", block: { header, signature, payload, justify } },
    });
  }

  onValidatorSet(input: Extract<ConsensusInput, { type: "validatorSet" }>): void {
    const s = this.s;
    const current = s.committee.epoch;
    if (input.epoch <= current) {
      s.drop("wrong_epoch", input, null);
      return;
    }
    if (input.epoch > current + 1) {
      s.drop("future_epoch", input, null);
      return;
    }
    const problem = validatorSetProblem(input.validators);
    if (problem !== null) {
      s.drop("invalid_block", input, null, `validator set: ${problem}`);
      return;
    }
    s.nextValidators = input.validators;
    this.maybeSwitchEpoch();
  }

  maybeSwitchEpoch(): void {
    const s = this.s;
    const boundary = s.epochEnded;
    const validators = s.nextValidators;
    if (boundary === null || validators === null) return;
    const epoch = s.committee.epoch + 1;
    s.previousEpoch = {
      epoch: s.committee.epoch,
      tail: s.tree.blocksInRoundOrder().flatMap((n) => (n.block === null ? [] : [n.block])),
      qc: s.epochEndQc ?? s.highQc,
    };
    s.committee = s.makeCommittee(epoch, validators, boundary.root);
    s.self = s.opts.selfPubkey === undefined ? s.self : s.selfIn(validators);
    const root: BlockSummary = {
      root: boundary.root,
      epoch,
      round: 0,
      proposerIndex: boundary.proposerIndex,
      slot: 0,
      termStart: 0,
      failedFrom: 0,
      failedTo: 0,
    };
    s.tree = new BlockTree(root, null, s.limits.maxBlocksInTree);
    s.recentCommitted = [root];
    s.highQc = s.committee.genesisQc();
    s.lastTc = null;
    s.round = 0;
    s.consecutiveTimeouts = 0;
    s.votes.clear();
    s.timeouts.clear();
    s.resetEquivocationRecords();
    s.pendingProposals.clear();
    s.lastProposedRound = 0;
    s.reservation = null;
    s.ownVotePending = null;
    s.payloadRequestedRound = 0;
    s.payloadParentRoot = null;
    s.timeoutSentRound = 0;
    s.restoredTimeoutRound = 0;
    s.fetchInFlight = null;
    s.epochEnded = null;
    s.nextValidators = null;
    // A restart inside `epoch` before its first commit restores the snapshot of the epoch before:
    // the safety data saved for `epoch` is then newer than anything since, and must be kept.
    const restored = s.modules.restored?.safety;
    this.p.writes.persist(restored?.epoch === epoch ? cloneSafety(restored) : initialSafetyData(epoch), null);
    if (restored?.epoch === epoch) {
      s.timeoutSentRound = durableTimeoutRound(restored);
      s.restoredTimeoutRound = s.timeoutSentRound;
    }
    s.out.push({ type: "epochChanged", epoch, validators });
    const left = s.opts.selfPubkey !== undefined && s.self === null;
    if (left || (s.self !== null && s.self >= validators.length)) {
      // This node is not in the new set: it keeps following as far as it can, without voting.
      s.drop("observer", "validatorSet", null, "not in the new validator set");
    }
    if (s.started) this.p.rounds.enterRound(1, "start");
  }

  /**
   * A message of a later epoch means this node is behind: fetch the rest of its own epoch (peers
   * keep the end of every epoch that ended), then, once the next set is known, the next one, and
   * so on: each later message asks again.
   */
  epochMismatch(epoch: number, input: ConsensusInput, from: number): void {
    const s = this.s;
    const current = s.committee.epoch;
    if (epoch === current + 1 || (epoch > current && s.opts.epochLengthRounds > 0)) {
      if (s.epochEnded !== null) {
        s.drop("awaiting_validator_set", input, from);
        return;
      }
      s.drop("future_epoch", input, from);
      this.p.catchUp.requestFetch(from, null, Number.MAX_SAFE_INTEGER);
      return;
    }
    s.drop(epoch > current ? "future_epoch" : "wrong_epoch", input, from);
  }
}
