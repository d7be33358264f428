/**
 * The mutable state of one consensus core, shared by the pieces that handle each concern
 * (rounds, proposals, votes, timeouts, commits, epochs, catch-up). It also collects the effects
 * of the input being handled (`out`) and counts drops. Built from the options, or from a
 * restored snapshot after a restart.
 */

import {
  type Block,
  BlockHeader,
  type QuorumCertificate,
  type Timeout,
  type TimeoutCertificate,
  type Vote,
} from "../types/index.ts";
import { BlockTree } from "./block-tree.ts";
import { bytesEqual } from "./bytes.ts";
import { Committee } from "./committee.ts";
import { EquivocationDetector } from "./equivocation.ts";
import { ConsensusError } from "./errors.ts";
import type { ProposalChecks } from "./proposal-intake.ts";
import { placementAndLeader, summaryOf } from "./round-leader.ts";
import { durableTimeoutRound, initialSafetyData, JolteonSafetyRules } from "./safety-rules.ts";
import { cloneSafety } from "./safety-writes.ts";
import { TimeoutCollector } from "./timeout-collector.ts";
import type {
  BlockSummary,
  ConsensusInput,
  ConsensusLimits,
  ConsensusModules,
  ConsensusOpts,
  DropReason,
  Effect,
  SafetyData,
  SafetyRules,
  ValidatorInfo,
} from "./types.ts";
import { resolveLimits, validateOpts, validatorSetProblem } from "./validate-opts.ts";
import { VoteCollector } from "./vote-collector.ts";

const ZERO32 = new Uint8Array(32);

/** What peers still in the previous epoch need to finish it: the boundary's descendants and its commit QC. */
export interface PreviousEpoch {
  epoch: number;
  tail: Block[];
  qc: QuorumCertificate;
}

export class CoreState {
  readonly opts: ConsensusOpts;
  readonly modules: ConsensusModules;
  readonly rules: SafetyRules;
  readonly limits: ConsensusLimits;
  self: number | null;

  committee: Committee;
  tree: BlockTree;
  recentCommitted: BlockSummary[];
  safety: SafetyData;
  highQc: QuorumCertificate;
  lastTc: TimeoutCertificate | null = null;
  round = 0;
  consecutiveTimeouts = 0;
  started = false;

  votes: VoteCollector;
  timeouts: TimeoutCollector;
  voteSeen: EquivocationDetector<Vote>;
  proposalSeen: EquivocationDetector<BlockHeader>;
  timeoutSeen: EquivocationDetector<Timeout>;
  readonly pendingProposals = new Map<number, { block: Block; from: number; checks: ProposalChecks }>();

  lastProposedRound = 0;
  payloadRequestedRound = 0;
  /** The block the requested payload goes on top of (the high QC's when it was asked for). */
  payloadParentRoot: Uint8Array | null = null;
  timeoutSentRound = 0;
  /** Round of the durable timeout a restart restored, until it is counted towards its TC here. */
  restoredTimeoutRound = 0;
  fetchInFlight: string | null = null;
  epochEnded: BlockSummary | null = null;
  epochEndQc: QuorumCertificate | null = null;
  previousEpoch: PreviousEpoch | null = null;
  nextValidators: readonly ValidatorInfo[] | null = null;

  /** The round this node reserved for its next proposal, and the persist that made that durable. */
  reservation: { round: number; seq: number } | null = null;
  /**
   * This node's vote for the block it will lead on top of, while its safety write is in flight:
   * the vote collector verifies the others' votes for that block ahead of it (see VoteCollector).
   */
  ownVotePending: { round: number; rootHex: string } | null = null;
  readonly drops: Partial<Record<DropReason, number>> = {};
  /** The effects of the input being handled, in order. */
  out: Effect[] = [];

  constructor(opts: ConsensusOpts, modules: ConsensusModules) {
    validateOpts(opts, modules);
    this.opts = opts;
    this.modules = modules;
    this.rules = modules.safetyRules ?? new JolteonSafetyRules();
    this.limits = resolveLimits(opts);
    this.self = opts.selfIndex;

    const snap = modules.restored?.snapshot;
    const epoch = snap?.epoch ?? opts.epoch;
    const validators = snap?.validators ?? opts.validators;
    if (snap !== undefined) {
      const problem = validatorSetProblem(snap.validators);
      if (problem !== null) throw new ConsensusError("BAD_RESTORED_STATE", `snapshot: ${problem}`);
    }
    this.committee = this.makeCommittee(epoch, validators, snap?.genesisRoot ?? opts.genesisRoot ?? ZERO32);
    this.self = this.selfIn(validators);
    const root: BlockSummary = snap?.committed ?? {
      root: this.committee.genesisRoot,
      epoch,
      round: 0,
      proposerIndex: 0,
      slot: 0,
      termStart: 0,
      failedFrom: 0,
      failedTo: 0,
    };
    this.tree = new BlockTree(root, null, this.limits.maxBlocksInTree);
    this.recentCommitted = snap !== undefined ? [...snap.recentCommitted] : [root];
    if (
      this.recentCommitted.length === 0 ||
      !bytesEqual(this.recentCommitted[this.recentCommitted.length - 1].root, root.root)
    ) {
      this.recentCommitted.push(root);
    }
    this.highQc = snap?.highQc ?? this.committee.genesisQc();
    const restoredSafety = modules.restored?.safety;
    this.safety =
      restoredSafety !== undefined && restoredSafety.epoch === epoch
        ? cloneSafety(restoredSafety)
        : initialSafetyData(epoch);
    // A proposal this node may have sent before a crash is never followed by a second one.
    this.lastProposedRound = this.safety.proposalReservedRound;
    this.timeoutSentRound = durableTimeoutRound(this.safety);
    this.restoredTimeoutRound = this.timeoutSentRound;

    this.votes = new VoteCollector(modules.scheme);
    this.timeouts = new TimeoutCollector(modules.scheme);
    this.voteSeen = new EquivocationDetector(this.limits.maxEquivocationRecords);
    this.proposalSeen = new EquivocationDetector(this.limits.maxEquivocationRecords);
    this.timeoutSeen = new EquivocationDetector(this.limits.maxEquivocationRecords);

    if (snap !== undefined) {
      for (const block of snap.blocks) this.restoreBlock(block);
      // Restarted after the boundary commit but before the next set arrived: the epoch has ended.
      if (opts.epochLengthRounds > 0 && root.round >= opts.epochLengthRounds) {
        this.epochEnded = root;
        this.epochEndQc = this.highQc;
      }
    }
  }

  get committedRound(): number {
    return this.tree.root.summary.round;
  }

  /** Own index in `validators`: by public key when opts.selfPubkey is given, else opts.selfIndex. */
  selfIn(validators: readonly ValidatorInfo[]): number | null {
    const key = this.opts.selfPubkey;
    if (key === undefined) return this.opts.selfIndex;
    const index = validators.findIndex((v) => bytesEqual(v.pubkey, key));
    return index < 0 ? null : index;
  }

  makeCommittee(epoch: number, validators: readonly ValidatorInfo[], genesisRoot: Uint8Array): Committee {
    return new Committee(
      { epoch, chainId: this.opts.chainId, validators, genesisRoot },
      { scheme: this.modules.scheme, rules: this.rules },
    );
  }

  /** Fresh first-seen records (a new epoch starts with none). */
  resetEquivocationRecords(): void {
    this.voteSeen = new EquivocationDetector(this.limits.maxEquivocationRecords);
    this.proposalSeen = new EquivocationDetector(this.limits.maxEquivocationRecords);
    this.timeoutSeen = new EquivocationDetector(this.limits.maxEquivocationRecords);
  }

  /** Counts a refused input and reports it as a "dropped" effect. */
  drop(
    reason: DropReason,
    input: ConsensusInput | ConsensusInput["type"],
    from: number | null,
    detail?: string,
  ): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
    const type = typeof input === "string" ? input : input.type;
    const effect: Effect =
      detail === undefined
        ? { type: "dropped", reason, input: type, from }
        : { type: "dropped", reason, input: type, from, detail };
    this.out.push(effect);
  }

  /** Re-inserts a locally persisted block (trusted: it passed validation before the crash). */
  private restoreBlock(block: Block): void {
    const h = block.header;
    const parent = this.tree.get(h.parentRoot);
    if (parent === undefined || h.epoch !== this.committee.epoch) return;
    const { placement } = placementAndLeader(this, parent, h.round);
    this.tree.insert(summaryOf(BlockHeader.hashTreeRoot(h), h, placement), block, h.parentRoot);
  }
}
