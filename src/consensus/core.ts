/**
 * The consensus core: Jolteon (DiemBFT-v4, 2-chain HotStuff) as a pure state machine.
 * `handle(input)` returns the effects the host must execute in order. No I/O, no clock, no
 * randomness: the same inputs give the same effects on every machine.
 *
 * Round flow: enter round r (via QC(r-1), TC(r-1) or start) -> arm the round timer -> the
 * leader asks the host for a payload and proposes -> validators vote to the leader of r+1 ->
 * that leader forms QC(r) and proposes r+1. A round timer that fires produces one signed timeout
 * (re-broadcast, never re-signed); more than 2/3 of power in timeouts forms TC(r).
 * A QC that certifies B' whose parent B has round B'.round - 1 commits B and its ancestors.
 *
 * This class is the facade: the state lives in CoreState (core-state.ts) and each concern in its
 * own piece (core-parts.ts): round pacing, proposal / vote / timeout intake, voting, proposing,
 * certificates, commits, epoch changes, catch-up, and the safety-write pipeline.
 */
import type { Block, QuorumCertificate } from "../types/index.ts";
import { CoreParts } from "./core-parts.ts";
import { CoreState } from "./core-state.ts";
import { gossipCheck } from "./gossip-check.ts";
import { leaderForRound, leaderOf } from "./round-leader.ts";
import type {
  ConsensusInput,
  ConsensusMessage,
  ConsensusModules,
  ConsensusOpts,
  CoreSnapshot,
  DropReason,
  Effect,
  GossipCheck,
} from "./types.ts";

export interface CoreStatus {
  epoch: number;
  round: number;
  highQcRound: number;
  committedRound: number;
  committedRoot: Uint8Array;
  /** Leader of the current round as this node sees it (-1 while the high-QC block is missing). */
  leader: number;
  lastVotedRound: number;
  treeSize: number;
  awaitingValidatorSet: boolean;
  schemeName: string;
  safetyRulesName: string;
}

export class ConsensusCore {
  readonly opts: ConsensusOpts;
  private readonly s: CoreState;
  private readonly p: CoreParts;

  constructor(opts: ConsensusOpts, modules: ConsensusModules) {
    this.s = new CoreState(opts, modules);
    this.opts = opts;
    this.p = new CoreParts(this.s);
  }

  // ---------------------------------------------------------------- public API

  handle(input: ConsensusInput): Effect[] {
    const s = this.s;
    s.out = [];
    if (
      !s.started &&
      input.type !== "start" &&
      input.type !== "validatorSet" &&
      input.type !== "safetyPersisted"
    ) {
      s.drop("not_started", input, null);
      return s.out;
    }
    switch (input.type) {
      case "start":
        this.p.rounds.onStart();
        break;
      case "message":
        this.onMessage(input.message, input.from, input.verified === true, input);
        break;
      case "timer":
        this.p.rounds.onTimer(input);
        break;
      case "payload":
        this.p.proposer.onPayload(input);
        break;
      case "safetyPersisted":
        this.p.writes.onSafetyPersisted(input);
        break;
      case "resume":
        this.p.writes.onResume();
        break;
      case "blocksFetched":
        this.p.catchUp.onBlocksFetched(input);
        break;
      case "validatorSet":
        this.p.epochs.onValidatorSet(input);
        break;
    }
    return s.out;
  }

  status(): CoreStatus {
    const s = this.s;
    return {
      epoch: s.committee.epoch,
      round: s.round,
      highQcRound: s.highQc.round,
      committedRound: s.tree.root.summary.round,
      committedRoot: s.tree.root.summary.root,
      leader: leaderForRound(s, s.round) ?? -1,
      lastVotedRound: s.safety.lastVotedRound,
      treeSize: s.tree.size,
      awaitingValidatorSet: s.epochEnded !== null,
      schemeName: s.modules.scheme.name,
      safetyRulesName: s.rules.name,
    };
  }

  /** Everything except safety data that a restart needs (persist it after commits). */
  snapshot(): CoreSnapshot {
    const s = this.s;
    return {
      epoch: s.committee.epoch,
      validators: s.committee.validators,
      genesisRoot: s.committee.genesisRoot,
      committed: s.tree.root.summary,
      recentCommitted: [...s.recentCommitted],
      blocks: s.tree.blocksInRoundOrder().flatMap((n) => (n.block === null ? [] : [n.block])),
      highQc: s.highQc,
    };
  }

  /** Uncommitted blocks after `afterRound` on the way to `toRoot` (or all), to answer a peer's fetch. */
  blocksForFetch(epoch: number, afterRound: number, toRoot: Uint8Array | null): Block[] {
    return this.p.catchUp.blocksForFetch(epoch, afterRound, toRoot);
  }

  /** The QC to send with a fetch answer for `epoch`: the high QC, or the previous epoch's commit QC. */
  fetchQc(epoch: number): QuorumCertificate | null {
    return this.p.catchUp.fetchQc(epoch);
  }

  dropCounts(): Readonly<Partial<Record<DropReason, number>>> {
    return { ...this.s.drops };
  }

  /**
   * What a host's gossip validator should do with `message` now: reject it, ignore it, or verify
   * the returned signature sets (then deliver it with `verified: true`). `fromProposer`: a
   * proposal that came over its proposer's own authenticated connection; its signature is left
   * out of the sets (deliver it with `signatureUnchecked` too). Changes no state.
   */
  gossipCheck(message: ConsensusMessage, fromProposer = false): GossipCheck {
    const s = this.s;
    if (s.epochEnded !== null && s.nextValidators === null) {
      // Between epochs: this epoch's messages are history, the next set is not known yet.
      const epoch = messageEpoch(message);
      if (epoch === s.committee.epoch || epoch === s.committee.epoch + 1)
        return { verdict: "ignore", reason: epoch === s.committee.epoch ? "stale_round" : "future_epoch" };
    }
    return gossipCheck(
      {
        committee: s.committee,
        committedRound: s.committedRound,
        round: s.round,
        maxRoundsAhead: s.limits.maxRoundsAhead,
        epochsChange: s.opts.epochLengthRounds > 0,
      },
      message,
      fromProposer,
    );
  }

  /**
   * Who builds the next proposal: the leader of the round after the current one, on top of this
   * round's proposal when this node has it (else as if on the highest certified block). Hosts
   * route transactions there; null before start or between epochs.
   */
  nextLeader(): number | null {
    const s = this.s;
    if (s.epochEnded !== null) return null;
    const current = s.tree.blocksInRoundOrder().find((n) => n.summary.round === s.round);
    if (current !== undefined) return leaderOf(s, current, s.round + 1);
    return leaderForRound(s, s.round + 1);
  }

  /** The leader of the round after `round` when it extends the block `root` (for hosts/tests). */
  leaderAfterBlock(root: Uint8Array): number | null {
    const node = this.s.tree.get(root);
    if (node === undefined) return null;
    return leaderOf(this.s, node, node.summary.round + 1);
  }

  private onMessage(message: ConsensusMessage, from: number, verified: boolean, input: ConsensusInput): void {
    switch (message.kind) {
      case "proposal": {
        const fromProposer = input.type === "message" && input.signatureUnchecked === true;
        const checks = !verified ? "unverified" : fromProposer ? "fromProposer" : "verified";
        this.p.proposalIntake.onProposal(message.block, from, checks, "live", input);
        break;
      }
      case "vote":
        this.p.voteIntake.onVote(message.vote, from, verified, input);
        break;
      case "timeout":
        this.p.timeoutIntake.onTimeoutMessage(message.timeout, from, verified, input);
        break;
    }
  }
}

function messageEpoch(message: ConsensusMessage): number {
  switch (message.kind) {
    case "proposal":
      return message.block.header.epoch;
    case "vote":
      return message.vote.vote.epoch;
    case "timeout":
      return message.timeout.timeout.epoch;
  }
}
