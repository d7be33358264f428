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
 */
import {
  type Block,
  BlockHeader,
  Justification,
  type MiniBlockPayload,
  type QuorumCertificate,
  type SignedVote,
  signingRootFromMessageRoot,
  signingRootOfTimeout,
  signingRootOfVote,
  type Timeout,
  type TimeoutCertificate,
  type TimeoutMessage,
  type Vote,
} from "../types/index.ts";
import { payloadRootOf } from "../types/payload-root.ts";
import { BlockTree, type TreeNode } from "./block-tree.ts";
import { bytesEqual, toHex } from "./bytes.ts";
import { type CertCheck, Committee, maxHighQcRound } from "./committee.ts";
import { EquivocationDetector } from "./equivocation.ts";
import { ConsensusError } from "./errors.ts";
import { gossipCheck } from "./gossip-check.ts";
import { leaderFor, placeTerm, type TermPlacement } from "./leader-schedule.ts";
import { initialSafetyData, JolteonSafetyRules } from "./safety-rules.ts";
import { TimeoutCollector } from "./timeout-collector.ts";
import type {
  BlockSummary,
  ConsensusInput,
  ConsensusLimits,
  ConsensusMessage,
  ConsensusModules,
  ConsensusOpts,
  CoreSnapshot,
  DropReason,
  Effect,
  GossipCheck,
  SafetyData,
  SafetyRules,
  ValidatorInfo,
} from "./types.ts";
import { resolveLimits, validateOpts, validatorSetProblem } from "./validate-opts.ts";
import { VoteCollector } from "./vote-collector.ts";

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

type Mode = "live" | "fetched";

interface HeldRelease {
  seq: number;
  release: () => void;
}

const ZERO32 = new Uint8Array(32);

function emptyPayload(): MiniBlockPayload {
  return { timestampUs: 0, l1OriginNumber: 0, l1OriginHash: new Uint8Array(32), deposits: [], txs: [] };
}

function cloneSafety(d: SafetyData): SafetyData {
  // Records written before proposalReservedRound existed lack it: their proposals were covered
  // by lastVotedRound, which maybePropose checks anyway.
  return { ...d, proposalReservedRound: d.proposalReservedRound ?? 0 };
}

export class ConsensusCore {
  readonly opts: ConsensusOpts;
  private readonly modules: ConsensusModules;
  private readonly rules: SafetyRules;
  private readonly limits: ConsensusLimits;
  private self: number | null;

  private committee: Committee;
  private tree: BlockTree;
  private recentCommitted: BlockSummary[];
  private safety: SafetyData;
  private highQc: QuorumCertificate;
  private lastTc: TimeoutCertificate | null = null;
  private round = 0;
  private consecutiveTimeouts = 0;
  private started = false;

  private votes: VoteCollector;
  private timeouts: TimeoutCollector;
  private voteSeen: EquivocationDetector<Vote>;
  private proposalSeen: EquivocationDetector<BlockHeader>;
  private timeoutSeen: EquivocationDetector<Timeout>;
  private readonly pendingProposals = new Map<number, { block: Block; from: number }>();

  private lastProposedRound = 0;
  private payloadRequestedRound = 0;
  private timeoutSentRound = 0;
  private fetchInFlight: string | null = null;
  private epochEnded: BlockSummary | null = null;
  private epochEndQc: QuorumCertificate | null = null;
  /** What peers still in the previous epoch need to finish it: the boundary's descendants and its commit QC. */
  private previousEpoch: { epoch: number; tail: Block[]; qc: QuorumCertificate } | null = null;
  private nextValidators: readonly ValidatorInfo[] | null = null;

  private persistSeq = 0;
  /** Highest persist seq the host acknowledged (durable). */
  private ackedSeq = 0;
  /** The round this node reserved for its next proposal, and the persist that made that durable. */
  private reservation: { round: number; seq: number } | null = null;
  /**
   * This node's vote for the block it will lead on top of, while its safety write is in flight:
   * the vote collector verifies the others' votes for that block ahead of it (see VoteCollector).
   */
  private ownVotePending: { round: number; rootHex: string } | null = null;
  private held: HeldRelease[] = [];
  /** Put off until the host feeds {type:"resume"} (see defer). */
  private deferred: (() => void)[] = [];
  private readonly drops: Partial<Record<DropReason, number>> = {};
  private out: Effect[] = [];

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

  /** Own index in `validators`: by public key when opts.selfPubkey is given, else opts.selfIndex. */
  private selfIn(validators: readonly ValidatorInfo[]): number | null {
    const key = this.opts.selfPubkey;
    if (key === undefined) return this.opts.selfIndex;
    const index = validators.findIndex((v) => bytesEqual(v.pubkey, key));
    return index < 0 ? null : index;
  }

  private makeCommittee(
    epoch: number,
    validators: readonly ValidatorInfo[],
    genesisRoot: Uint8Array,
  ): Committee {
    return new Committee(
      { epoch, chainId: this.opts.chainId, validators, genesisRoot },
      { scheme: this.modules.scheme, rules: this.rules },
    );
  }

  // ---------------------------------------------------------------- public API

  handle(input: ConsensusInput): Effect[] {
    this.out = [];
    if (
      !this.started &&
      input.type !== "start" &&
      input.type !== "validatorSet" &&
      input.type !== "safetyPersisted"
    ) {
      this.drop("not_started", input, null);
      return this.out;
    }
    switch (input.type) {
      case "start":
        this.onStart();
        break;
      case "message":
        this.onMessage(input.message, input.from, input.verified === true, input);
        break;
      case "timer":
        this.onTimer(input);
        break;
      case "payload":
        this.onPayload(input);
        break;
      case "safetyPersisted":
        this.onSafetyPersisted(input);
        break;
      case "resume":
        this.onResume();
        break;
      case "blocksFetched":
        this.onBlocksFetched(input);
        break;
      case "validatorSet":
        this.onValidatorSet(input);
        break;
    }
    return this.out;
  }

  status(): CoreStatus {
    return {
      epoch: this.committee.epoch,
      round: this.round,
      highQcRound: this.highQc.round,
      committedRound: this.tree.root.summary.round,
      committedRoot: this.tree.root.summary.root,
      leader: this.leaderForRound(this.round) ?? -1,
      lastVotedRound: this.safety.lastVotedRound,
      treeSize: this.tree.size,
      awaitingValidatorSet: this.epochEnded !== null,
      schemeName: this.modules.scheme.name,
      safetyRulesName: this.rules.name,
    };
  }

  /** Everything except safety data that a restart needs (persist it after commits). */
  snapshot(): CoreSnapshot {
    return {
      epoch: this.committee.epoch,
      validators: this.committee.validators,
      genesisRoot: this.committee.genesisRoot,
      committed: this.tree.root.summary,
      recentCommitted: [...this.recentCommitted],
      blocks: this.tree.blocksInRoundOrder().flatMap((n) => (n.block === null ? [] : [n.block])),
      highQc: this.highQc,
    };
  }

  /** Uncommitted blocks after `afterRound` on the way to `toRoot` (or all), to answer a peer's fetch. */
  blocksForFetch(epoch: number, afterRound: number, toRoot: Uint8Array | null): Block[] {
    const prev = this.previousEpoch;
    if (prev !== null && epoch === prev.epoch) {
      return prev.tail.filter((b) => b.header.round > afterRound).slice(0, this.limits.maxFetchBlocks);
    }
    if (epoch !== this.committee.epoch) return [];
    let nodes: TreeNode[];
    if (toRoot !== null) {
      nodes = this.tree.pathFromRoot(toRoot) ?? [];
    } else {
      nodes = this.tree.blocksInRoundOrder();
    }
    return nodes
      .filter((n) => n.summary.round > afterRound && n.block !== null)
      .slice(0, this.limits.maxFetchBlocks)
      .map((n) => n.block as Block);
  }

  /** The QC to send with a fetch answer for `epoch`: the high QC, or the previous epoch's commit QC. */
  fetchQc(epoch: number): QuorumCertificate | null {
    if (epoch === this.committee.epoch) return this.highQc;
    if (this.previousEpoch !== null && epoch === this.previousEpoch.epoch) return this.previousEpoch.qc;
    return null;
  }

  dropCounts(): Readonly<Partial<Record<DropReason, number>>> {
    return { ...this.drops };
  }

  /**
   * What a host's gossip validator should do with `message` now: reject it, ignore it, or verify
   * the returned signature sets (then deliver it with `verified: true`). Changes no state.
   */
  gossipCheck(message: ConsensusMessage): GossipCheck {
    if (this.epochEnded !== null && this.nextValidators === null) {
      // Between epochs: this epoch's messages are history, the next set is not known yet.
      const epoch = messageEpoch(message);
      if (epoch === this.committee.epoch || epoch === this.committee.epoch + 1)
        return { verdict: "ignore", reason: epoch === this.committee.epoch ? "stale_round" : "future_epoch" };
    }
    return gossipCheck(
      {
        committee: this.committee,
        committedRound: this.committedRound,
        round: this.round,
        maxRoundsAhead: this.limits.maxRoundsAhead,
        epochsChange: this.opts.epochLengthRounds > 0,
      },
      message,
    );
  }

  /**
   * Who builds the next proposal: the leader of the round after the current one, on top of this
   * round's proposal when this node has it (else as if on the highest certified block). Hosts
   * route transactions there; null before start or between epochs.
   */
  nextLeader(): number | null {
    if (this.epochEnded !== null) return null;
    const current = this.tree.blocksInRoundOrder().find((n) => n.summary.round === this.round);
    if (current !== undefined) return this.leaderOf(current, this.round + 1);
    return this.leaderForRound(this.round + 1);
  }

  /** The leader of the round after `round` when it extends the block `root` (for hosts/tests). */
  leaderAfterBlock(root: Uint8Array): number | null {
    const node = this.tree.get(root);
    if (node === undefined) return null;
    return this.leaderOf(node, node.summary.round + 1);
  }

  // ---------------------------------------------------------------- bookkeeping

  private drop(
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

  /** Updates safety data and holds `release` until the host acks the write; returns its seq. */
  private persist(data: SafetyData, release: (() => void) | null): number {
    this.safety = data;
    const seq = ++this.persistSeq;
    this.out.push({ type: "persistSafety", seq, data: cloneSafety(data) });
    if (release !== null) this.held.push({ seq, release });
    return seq;
  }

  /** Work that may wait until the effects already returned have started (see the "yield" effect). */
  private defer(work: () => void): void {
    if (this.deferred.length === 0) this.out.push({ type: "yield" });
    this.deferred.push(work);
  }

  private onResume(): void {
    const work = this.deferred;
    this.deferred = [];
    for (const w of work) w();
  }

  private onSafetyPersisted(input: Extract<ConsensusInput, { type: "safetyPersisted" }>): void {
    if (input.seq > this.persistSeq || input.seq < 1) {
      this.drop("unexpected_ack", input, null);
      return;
    }
    if (input.seq > this.ackedSeq) this.ackedSeq = input.seq;
    const ready = this.held.filter((h) => h.seq <= input.seq);
    this.held = this.held.filter((h) => h.seq > input.seq);
    for (const h of ready) h.release();
  }

  private timeoutMs(): number {
    const t = this.opts.timing;
    const ms = t.baseTimeoutMs * t.backoffFactor ** Math.min(this.consecutiveTimeouts, 64);
    return Math.min(t.maxTimeoutMs, Math.round(ms));
  }

  private ancestorsOf(node: TreeNode, limit: number): BlockSummary[] {
    const inTree = this.tree.ancestors(node.summary.root, limit).map((n) => n.summary);
    if (inTree.length >= limit) return inTree;
    // Continue below the tree root with committed history (newest first, root already included).
    for (let i = this.recentCommitted.length - 2; i >= 0 && inTree.length < limit; i--) {
      inTree.push(this.recentCommitted[i]);
    }
    return inTree;
  }

  private placementAndLeader(parent: TreeNode, round: number): { placement: TermPlacement; leader: number } {
    const placement = placeTerm(parent.summary, round, this.opts.leaderTermRounds);
    const leader = leaderFor(
      {
        rotation: this.committee.rotation,
        termRounds: this.opts.leaderTermRounds,
        reputationWindow: this.opts.reputationWindow,
      },
      placement,
      this.opts.reputationWindow > 0 ? this.ancestorsOf(parent, this.opts.reputationWindow) : [],
    );
    return { placement, leader };
  }

  private leaderOf(parent: TreeNode, round: number): number {
    return this.placementAndLeader(parent, round).leader;
  }

  /** Leader of `round` if it is proposed on top of this node's high QC. */
  private leaderForRound(round: number): number | null {
    const parent = this.tree.get(this.highQc.blockRoot);
    if (parent === undefined || round <= parent.summary.round) return null;
    return this.leaderOf(parent, round);
  }

  private get committedRound(): number {
    return this.tree.root.summary.round;
  }

  // ---------------------------------------------------------------- rounds

  private onStart(): void {
    if (this.started) {
      this.drop("duplicate", "start", null);
      return;
    }
    this.started = true;
    this.enterRound(this.highQc.round + 1, "start");
  }

  private enterRound(round: number, via: "qc" | "tc" | "start"): void {
    if (round <= this.round || this.epochEnded !== null) return;
    this.round = round;
    if (via === "qc") this.consecutiveTimeouts = 0;
    else if (via === "tc") this.consecutiveTimeouts += 1;
    this.votes.pruneBelow(round - 1);
    this.timeouts.pruneBelow(round - 1);
    if (round % 16 === 0) {
      // Amortized: the records are also capped in number, so pruning need not run every round.
      const keepFrom = round - this.limits.maxRoundsAhead;
      this.voteSeen.pruneBelow(keepFrom);
      this.proposalSeen.pruneBelow(keepFrom);
      this.timeoutSeen.pruneBelow(keepFrom);
    }
    for (const r of this.pendingProposals.keys()) if (r < round) this.pendingProposals.delete(r);
    const leader = this.leaderForRound(round);
    this.out.push({ type: "roundEntered", epoch: this.committee.epoch, round, leader: leader ?? -1, via });
    this.out.push({
      type: "setTimer",
      timer: { epoch: this.committee.epoch, round },
      delayMs: this.timeoutMs(),
    });
    if (leader === null && this.highQc.round > this.committedRound) {
      this.requestFetch(null, this.highQc.blockRoot, this.highQc.round);
    }
    this.maybePropose();
    const pending = this.pendingProposals.get(round);
    if (pending !== undefined) {
      this.pendingProposals.delete(round);
      this.onProposal(pending.block, pending.from, true, "live");
    }
  }

  private onTimer(input: Extract<ConsensusInput, { type: "timer" }>): void {
    const { timer } = input;
    if (timer.epoch !== this.committee.epoch || timer.round !== this.round || this.epochEnded !== null) {
      this.drop("stale_timer", input, null);
      return;
    }
    this.fetchInFlight = null;
    if (this.tree.get(this.highQc.blockRoot) === undefined && this.highQc.round > this.committedRound) {
      this.requestFetch(null, this.highQc.blockRoot, this.highQc.round);
    }
    this.localTimeout();
    this.out.push({ type: "setTimer", timer, delayMs: this.timeoutMs() });
  }

  /** Signs (once) or re-broadcasts this node's timeout for the current round. */
  private localTimeout(): void {
    if (this.self === null || this.modules.signer === undefined) return;
    const round = this.round;
    const last = this.safety.lastTimeout;
    if (last !== null && last.timeout.epoch === this.committee.epoch && last.timeout.round === round) {
      if (this.timeoutSentRound === round)
        this.out.push({ type: "broadcast", message: { kind: "timeout", timeout: last } });
      return;
    }
    const lastTcRound = this.lastTc !== null && this.lastTc.round === round - 1 ? this.lastTc.round : 0;
    const reason = this.rules.checkTimeout(this.safety, {
      epoch: this.committee.epoch,
      round,
      highQcRound: this.highQc.round,
      lastTcRound,
    });
    if (reason !== null) {
      this.drop("safety_rule", "timer", null, `timeout refused: ${reason}`);
      return;
    }
    const timeout: Timeout = { epoch: this.committee.epoch, round, highQcRound: this.highQc.round };
    const signature = this.modules.signer.sign(signingRootOfTimeout(this.opts.chainId, timeout));
    const message: TimeoutMessage = {
      timeout,
      signerIndex: this.self,
      signature,
      highQc: this.highQc,
      lastTc: lastTcRound > 0 && this.lastTc !== null ? [this.lastTc] : [],
    };
    const next: SafetyData = {
      ...this.safety,
      lastVotedRound: Math.max(this.safety.lastVotedRound, round),
      oneChainRound: Math.max(this.safety.oneChainRound, this.highQc.round),
      highestTimeoutRound: round,
      lastTimeout: message,
    };
    this.persist(next, () => {
      this.timeoutSentRound = round;
      this.out.push({ type: "broadcast", message: { kind: "timeout", timeout: message } });
      this.onTimeoutMessage(message, this.self as number, true, "message");
    });
  }

  // ---------------------------------------------------------------- certificates

  /** Certificates the host verified with the message that carries them (input `verified`). */
  private trustCertificates(qc: QuorumCertificate, tc: readonly TimeoutCertificate[]): void {
    this.committee.trustQc(qc);
    for (const t of tc) this.committee.trustTc(t);
  }

  /** Verifies a QC and lets it advance high QC, commits and the round. */
  private processQc(qc: QuorumCertificate, from: number | null): CertCheck {
    const check = this.committee.checkQc(qc);
    if (check !== "ok") return check;
    if (qc.round > this.highQc.round) this.highQc = qc;
    const node = this.tree.get(qc.blockRoot);
    if (node === undefined) {
      if (qc.round > this.committedRound) this.requestFetch(from, qc.blockRoot, qc.round);
    } else {
      this.tryCommit(node, qc);
      // The commit may have ended the epoch (and switched to the next): this QC is history now.
      if (this.committee.epoch !== qc.epoch) return "ok";
    }
    this.enterRound(qc.round + 1, "qc");
    return "ok";
  }

  private processTc(tc: TimeoutCertificate): CertCheck {
    const check = this.committee.checkTc(tc);
    if (check !== "ok") return check;
    if (this.lastTc === null || tc.round > this.lastTc.round) this.lastTc = tc;
    this.enterRound(tc.round + 1, "tc");
    return "ok";
  }

  /** 2-chain rule: QC on `certified` commits its parent when their rounds are consecutive. */
  private tryCommit(certified: TreeNode, qc: QuorumCertificate): void {
    if (certified.parentKey === null) return;
    const parent = this.tree.getByKey(certified.parentKey);
    if (parent === undefined || parent.parentKey === null) return; // parent is the root: already committed
    if (parent.summary.round + 1 !== certified.summary.round) return;
    this.commitUpTo(parent, qc);
  }

  private commitUpTo(target: TreeNode, qc: QuorumCertificate): void {
    if (this.epochEnded !== null) return;
    let path = this.tree.pathFromRoot(target.summary.root);
    if (path === null || path.length === 0) return;
    const epochLength = this.opts.epochLengthRounds;
    let boundary: TreeNode | null = null;
    if (epochLength > 0) {
      const idx = path.findIndex((n) => n.summary.round >= epochLength);
      if (idx >= 0) {
        boundary = path[idx];
        path = path.slice(0, idx + 1);
      }
    }
    const blocks = path.flatMap((n) => (n.block === null ? [] : [{ root: n.summary.root, block: n.block }]));
    const last = path[path.length - 1];
    this.out.push({ type: "commit", epoch: this.committee.epoch, blocks, qc });
    this.tree.advanceRoot(last.summary.root);
    for (const n of path) this.recentCommitted.push(n.summary);
    const keep = Math.max(this.opts.reputationWindow, 1);
    if (this.recentCommitted.length > keep)
      this.recentCommitted.splice(0, this.recentCommitted.length - keep);
    if (boundary !== null) {
      this.epochEnded = boundary.summary;
      this.epochEndQc = qc;
      this.announceEpochEnd(qc);
      this.maybeSwitchEpoch();
    }
  }

  /**
   * The leader that formed the QC ending the epoch sends it on in one last empty block (never
   * committed): the votes went to this leader only, so without it the others could not commit
   * the boundary, and the epoch would end on this node alone.
   */
  private announceEpochEnd(qc: QuorumCertificate): void {
    const signer = this.modules.signer;
    const round = qc.round + 1;
    if (this.self === null || signer === undefined || !this.started) return;
    if (this.lastProposedRound >= round || this.safety.lastVotedRound >= round) return;
    const certified = this.tree.get(qc.blockRoot);
    if (certified === undefined || this.leaderOf(certified, round) !== this.self) return;
    const payload = emptyPayload();
    const justify = { qc, tc: [] };
    const header: BlockHeader = {
      epoch: this.committee.epoch,
      round,
      proposerIndex: this.self,
      parentRoot: qc.blockRoot,
      parentRound: qc.round,
      payloadRoot: payloadRootOf(payload),
      stateBlockNumber: 0,
      stateRoot: new Uint8Array(32),
      justifyRoot: Justification.hashTreeRoot(justify),
    };
    const signature = signer.sign(
      signingRootFromMessageRoot(
        "proposal",
        this.opts.chainId,
        header.epoch,
        BlockHeader.hashTreeRoot(header),
      ),
    );
    this.lastProposedRound = round;
    this.out.push({
      type: "broadcast",
      message: { kind: "proposal", block: { header, signature, payload, justify } },
    });
  }

  // ---------------------------------------------------------------- epochs

  private onValidatorSet(input: Extract<ConsensusInput, { type: "validatorSet" }>): void {
    const current = this.committee.epoch;
    if (input.epoch <= current) {
      this.drop("wrong_epoch", input, null);
      return;
    }
    if (input.epoch > current + 1) {
      this.drop("future_epoch", input, null);
      return;
    }
    const problem = validatorSetProblem(input.validators);
    if (problem !== null) {
      this.drop("invalid_block", input, null, `validator set: ${problem}`);
      return;
    }
    this.nextValidators = input.validators;
    this.maybeSwitchEpoch();
  }

  private maybeSwitchEpoch(): void {
    const boundary = this.epochEnded;
    const validators = this.nextValidators;
    if (boundary === null || validators === null) return;
    const epoch = this.committee.epoch + 1;
    this.previousEpoch = {
      epoch: this.committee.epoch,
      tail: this.tree.blocksInRoundOrder().flatMap((n) => (n.block === null ? [] : [n.block])),
      qc: this.epochEndQc ?? this.highQc,
    };
    this.committee = this.makeCommittee(epoch, validators, boundary.root);
    this.self = this.opts.selfPubkey === undefined ? this.self : this.selfIn(validators);
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
    this.tree = new BlockTree(root, null, this.limits.maxBlocksInTree);
    this.recentCommitted = [root];
    this.highQc = this.committee.genesisQc();
    this.lastTc = null;
    this.round = 0;
    this.consecutiveTimeouts = 0;
    this.votes.clear();
    this.timeouts.clear();
    this.voteSeen = new EquivocationDetector(this.limits.maxEquivocationRecords);
    this.proposalSeen = new EquivocationDetector(this.limits.maxEquivocationRecords);
    this.timeoutSeen = new EquivocationDetector(this.limits.maxEquivocationRecords);
    this.pendingProposals.clear();
    this.lastProposedRound = 0;
    this.reservation = null;
    this.ownVotePending = null;
    this.payloadRequestedRound = 0;
    this.timeoutSentRound = 0;
    this.fetchInFlight = null;
    this.epochEnded = null;
    this.nextValidators = null;
    // A restart inside `epoch` before its first commit restores the snapshot of the epoch before:
    // the safety data saved for `epoch` is then newer than anything since, and must be kept.
    const restored = this.modules.restored?.safety;
    this.persist(restored?.epoch === epoch ? cloneSafety(restored) : initialSafetyData(epoch), null);
    this.out.push({ type: "epochChanged", epoch, validators });
    const left = this.opts.selfPubkey !== undefined && this.self === null;
    if (left || (this.self !== null && this.self >= validators.length)) {
      // This node is not in the new set: it keeps following as far as it can, without voting.
      this.drop("observer", "validatorSet", null, "not in the new validator set");
    }
    if (this.started) this.enterRound(1, "start");
  }

  /**
   * A message of a later epoch means this node is behind: fetch the rest of its own epoch (peers
   * keep the end of every epoch that ended), then, once the next set is known, the next one, and
   * so on: each later message asks again.
   */
  private epochMismatch(epoch: number, input: ConsensusInput, from: number): void {
    const current = this.committee.epoch;
    if (epoch === current + 1 || (epoch > current && this.opts.epochLengthRounds > 0)) {
      if (this.epochEnded !== null) {
        this.drop("awaiting_validator_set", input, from);
        return;
      }
      this.drop("future_epoch", input, from);
      this.requestFetch(from, null, Number.MAX_SAFE_INTEGER);
      return;
    }
    this.drop(epoch > current ? "future_epoch" : "wrong_epoch", input, from);
  }

  // ---------------------------------------------------------------- messages

  private onMessage(message: ConsensusMessage, from: number, verified: boolean, input: ConsensusInput): void {
    switch (message.kind) {
      case "proposal":
        this.onProposal(message.block, from, verified, "live", input);
        break;
      case "vote":
        this.onVote(message.vote, from, verified, input);
        break;
      case "timeout":
        this.onTimeoutMessage(message.timeout, from, verified, input);
        break;
    }
  }

  private structuralProblem(block: Block): string | null {
    const h = block.header;
    const { qc, tc } = block.justify;
    if (!bytesEqual(h.parentRoot, qc.blockRoot) || h.parentRound !== qc.round)
      return "parent does not match QC";
    if (qc.round >= h.round) return "QC not below round";
    if (qc.round + 1 === h.round) {
      if (tc.length !== 0) return "TC on a QC-justified round";
    } else if (tc.length !== 1 || tc[0].round + 1 !== h.round) {
      return "round not justified by QC or TC";
    }
    if (!bytesEqual(h.payloadRoot, payloadRootOf(block.payload))) return "payload root mismatch";
    if (!bytesEqual(h.justifyRoot, Justification.hashTreeRoot(block.justify))) return "justify root mismatch";
    return null;
  }

  private onProposal(
    block: Block,
    from: number,
    verified: boolean,
    mode: Mode,
    input?: ConsensusInput,
  ): void {
    const what: ConsensusInput["type"] = input?.type ?? (mode === "fetched" ? "blocksFetched" : "message");
    const inp = input ?? what;
    const h = block.header;
    if (h.epoch !== this.committee.epoch) {
      if (input !== undefined) this.epochMismatch(h.epoch, input, from);
      else this.drop(h.epoch > this.committee.epoch ? "future_epoch" : "wrong_epoch", what, from);
      return;
    }
    if (this.epochEnded !== null) {
      this.drop("epoch_ended", inp, from);
      return;
    }
    if (!this.committee.has(h.proposerIndex)) {
      this.drop("unknown_signer", inp, from);
      return;
    }
    if (h.round <= this.committedRound) {
      this.drop("stale_round", inp, from);
      return;
    }
    const root = BlockHeader.hashTreeRoot(h);
    if (this.tree.has(root)) {
      this.drop("duplicate", inp, from);
      return;
    }
    const problem = this.structuralProblem(block);
    if (problem !== null) {
      this.drop("invalid_block", inp, from, problem);
      return;
    }
    if (
      !verified &&
      !this.modules.scheme.verify(
        this.committee.pubkey(h.proposerIndex),
        signingRootFromMessageRoot("proposal", this.opts.chainId, h.epoch, root),
        block.signature,
      )
    ) {
      this.drop("bad_signature", inp, from);
      return;
    }
    if (verified) this.trustCertificates(block.justify.qc, block.justify.tc);
    const seen = this.proposalSeen.observe(h.proposerIndex, h.round, {
      rootHex: toHex(root),
      message: h,
      signature: block.signature,
      verified: true,
    });
    if (seen.kind === "conflict" && this.proposalSeen.markEmitted(h.proposerIndex, h.round)) {
      this.out.push({
        type: "evidence",
        evidence: {
          kind: "proposal",
          epoch: h.epoch,
          evidence: {
            validatorIndex: h.proposerIndex,
            headerA: seen.record.message,
            signatureA: seen.record.signature,
            headerB: h,
            signatureB: block.signature,
          },
        },
      });
    }
    const qcCheck = this.processQc(block.justify.qc, from);
    if (qcCheck !== "ok") {
      this.drop("bad_certificate", inp, from, `qc: ${qcCheck}`);
      return;
    }
    if (block.justify.tc.length === 1 && this.committee.epoch === h.epoch) {
      const tcCheck = this.processTc(block.justify.tc[0]);
      if (tcCheck !== "ok") {
        this.drop("bad_certificate", inp, from, `tc: ${tcCheck}`);
        return;
      }
    }
    if (this.epochEnded !== null || this.committee.epoch !== h.epoch) return; // the QC above ended the epoch
    const parent = this.tree.get(h.parentRoot);
    if (parent === undefined) {
      if (mode === "fetched") {
        this.drop("unknown_parent", inp, from);
        return;
      }
      if (
        h.round >= this.round &&
        (this.pendingProposals.size < this.limits.maxPendingRounds || this.pendingProposals.has(h.round))
      ) {
        if (!this.pendingProposals.has(h.round)) this.pendingProposals.set(h.round, { block, from });
        this.requestFetch(from, h.parentRoot, h.parentRound);
      } else {
        this.drop(h.round >= this.round ? "pending_full" : "unknown_parent", inp, from);
      }
      return;
    }
    const { placement, leader } = this.placementAndLeader(parent, h.round);
    if (h.proposerIndex !== leader) {
      this.drop("not_leader", inp, from, `leader is ${leader}`);
      return;
    }
    if (mode === "live" && this.modules.proposalCheck !== undefined) {
      const refused = this.modules.proposalCheck(block, parent.block);
      if (refused !== null) {
        this.drop("invalid_block", inp, from, `payload: ${refused}`);
        return;
      }
    }
    if (this.tree.isFull()) {
      this.drop("tree_full", inp, from);
      return;
    }
    const summary: BlockSummary = {
      root,
      epoch: h.epoch,
      round: h.round,
      proposerIndex: h.proposerIndex,
      slot: placement.slot,
      termStart: placement.termStart,
      failedFrom: placement.failedFrom,
      failedTo: placement.failedTo,
    };
    this.tree.insert(summary, block, h.parentRoot);
    const node = this.tree.get(root) as TreeNode;
    // The embedded QC certifies the parent: a commit may follow now that the path is complete.
    this.tryCommit(parent, block.justify.qc);
    // A QC already seen for this block (e.g. fetched after its QC) can commit its parent too.
    if (bytesEqual(this.highQc.blockRoot, root)) this.tryCommit(node, this.highQc);
    if (mode === "live") this.maybeVote(node, block, null);
  }

  private maybeVote(node: TreeNode, block: Block, beforeVote: Effect | null): void {
    const h = block.header;
    const emitBefore = (): void => {
      if (beforeVote !== null) this.out.push(beforeVote);
    };
    if (
      this.self === null ||
      this.modules.signer === undefined ||
      h.round !== this.round ||
      this.epochEnded !== null
    ) {
      emitBefore();
      return;
    }
    if (
      this.safety.lastVote !== null &&
      this.safety.lastVote.round === h.round &&
      this.safety.lastVote.epoch === h.epoch
    ) {
      emitBefore();
      return;
    }
    const tc = block.justify.tc.length === 1 ? block.justify.tc[0] : null;
    const reason = this.rules.checkVote(this.safety, {
      epoch: h.epoch,
      round: h.round,
      qcRound: block.justify.qc.round,
      tc: tc === null ? null : { round: tc.round, maxHighQcRound: maxHighQcRound(tc) },
    });
    if (reason !== null) {
      emitBefore();
      this.drop("safety_rule", "message", h.proposerIndex, `vote refused: ${reason}`);
      return;
    }
    const vote: Vote = { epoch: h.epoch, round: h.round, blockRoot: node.summary.root };
    const self = this.self;
    const signer = this.modules.signer;
    // Signed while the safety write is in flight (see defer), or at its ack if the host never
    // resumes; BLS signatures are deterministic, so either way it is the same vote.
    let signature: Uint8Array | null = null;
    const sign = (): Uint8Array => {
      signature ??= signer.sign(signingRootOfVote(this.opts.chainId, vote));
      return signature;
    };
    const nextLeader = this.leaderOf(node, h.round + 1);
    const reserve =
      nextLeader === this.self &&
      h.proposerIndex !== this.self &&
      this.safety.proposalReservedRound < h.round + 1;
    const next: SafetyData = {
      ...this.safety,
      lastVotedRound: h.round,
      oneChainRound: Math.max(this.safety.oneChainRound, block.justify.qc.round),
      lastVote: vote,
      // Leading the next round on top of another proposer's block: reserve it in this same write
      // (see propose). A leader voting for its own block (a term of K > 1) keeps the old path.
      proposalReservedRound: reserve ? h.round + 1 : this.safety.proposalReservedRound,
    };
    const ownVote = nextLeader === self ? { round: h.round, rootHex: toHex(node.summary.root) } : null;
    if (ownVote !== null) this.ownVotePending = ownVote;
    const seq = this.persist(next, () => {
      emitBefore();
      const signed: SignedVote = { vote, signerIndex: self, signature: sign() };
      if (ownVote !== null) {
        if (this.ownVotePending === ownVote) this.ownVotePending = null;
        this.onVote(signed, self, true, "message");
      } else this.out.push({ type: "sendTo", to: nextLeader, message: { kind: "vote", vote: signed } });
    });
    this.defer(sign);
    if (reserve) this.reservation = { round: h.round + 1, seq };
  }

  /**
   * The checks every signed vote or timeout passes first: this epoch (a later one may start
   * catch-up), an epoch that has not ended, a signer in the committee. Drops with a reason.
   */
  private admitSigned(
    epoch: number,
    signer: number,
    from: number,
    input: ConsensusInput | "message",
  ): boolean {
    if (epoch !== this.committee.epoch) {
      if (typeof input !== "string") this.epochMismatch(epoch, input, from);
      else this.drop("wrong_epoch", input, from);
      return false;
    }
    if (this.epochEnded !== null) {
      this.drop("epoch_ended", input, from);
      return false;
    }
    if (!this.committee.has(signer)) {
      this.drop("unknown_signer", input, from);
      return false;
    }
    return true;
  }

  private onVote(sv: SignedVote, from: number, verified: boolean, input: ConsensusInput | "message"): void {
    const v = sv.vote;
    if (!this.admitSigned(v.epoch, sv.signerIndex, from, input)) return;
    if (v.round === 0 || v.round + 1 < this.round || v.round <= this.committedRound) {
      this.drop("stale_round", input, from);
      return;
    }
    if (v.round > this.round + this.limits.maxRoundsAhead) {
      this.drop("too_far_ahead", input, from);
      return;
    }
    if (!this.votes.hasRound(v.round) && this.votes.roundsHeld() >= this.limits.maxPendingRounds) {
      this.drop("pending_full", input, from);
      return;
    }
    const pubkey = this.committee.pubkey(sv.signerIndex);
    const seen = this.voteSeen.observe(sv.signerIndex, v.round, {
      rootHex: toHex(v.blockRoot),
      message: v,
      signature: sv.signature,
      verified,
    });
    if (seen.kind === "full") {
      this.drop("pending_full", input, from);
      return;
    }
    if (seen.kind === "same") {
      this.drop("duplicate", input, from);
      return;
    }
    if (seen.kind === "conflict") {
      // Only a conflict needs the signing root here; the collector checks signatures in bulk.
      if (
        !verified &&
        !this.modules.scheme.verify(pubkey, signingRootOfVote(this.opts.chainId, v), sv.signature)
      ) {
        this.drop("bad_signature", input, from);
        return;
      }
      const prev = seen.record;
      const prevOk =
        prev.verified ||
        this.modules.scheme.verify(
          pubkey,
          signingRootOfVote(this.opts.chainId, prev.message),
          prev.signature,
        );
      if (prevOk) {
        prev.verified = true;
        if (this.voteSeen.markEmitted(sv.signerIndex, v.round)) {
          this.out.push({
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
        this.drop("duplicate", input, from, "equivocating vote");
        return;
      }
      // The first-seen vote was a forgery: forget it and keep the genuine one.
      this.votes.remove(this.committee, v.round, prev.message.blockRoot, sv.signerIndex);
      this.voteSeen.replace(sv.signerIndex, v.round, {
        rootHex: toHex(v.blockRoot),
        message: v,
        signature: sv.signature,
        verified: true,
      });
      this.drop("bad_signature", input, from, "earlier forged vote evicted");
      verified = true;
    }
    const own = this.ownVotePending;
    const pendingPower =
      own !== null &&
      this.self !== null &&
      sv.signerIndex !== this.self &&
      own.round === v.round &&
      own.rootHex === toHex(v.blockRoot)
        ? this.committee.validators[this.self].votingPower
        : 0n;
    const outcome = this.votes.add(this.committee, sv, verified, pendingPower);
    for (const bad of outcome.badSigners) {
      this.voteSeen.forget(bad, v.round);
      this.drop("bad_signature", input, bad === sv.signerIndex ? from : null, `vote of ${bad}`);
    }
    if (outcome.qc !== null) {
      this.committee.trustQc(outcome.qc);
      this.processQc(outcome.qc, null);
    }
  }

  private onTimeoutMessage(
    tm: TimeoutMessage,
    from: number,
    verified: boolean,
    input: ConsensusInput | "message",
  ): void {
    const t = tm.timeout;
    if (!this.admitSigned(t.epoch, tm.signerIndex, from, input)) return;
    if (t.round === 0 || t.round <= this.committedRound) {
      this.drop("stale_round", input, from);
      return;
    }
    if (t.round > this.round + this.limits.maxRoundsAhead) {
      this.drop("too_far_ahead", input, from);
      return;
    }
    if (t.highQcRound !== tm.highQc.round || tm.highQc.round >= t.round || tm.highQc.epoch !== t.epoch) {
      this.drop("invalid_block", input, from, "timeout does not match its high QC");
      return;
    }
    if (
      !verified &&
      !this.modules.scheme.verify(
        this.committee.pubkey(tm.signerIndex),
        signingRootOfTimeout(this.opts.chainId, t),
        tm.signature,
      )
    ) {
      this.drop("bad_signature", input, from);
      return;
    }
    if (verified) this.trustCertificates(tm.highQc, tm.lastTc);
    const seen = this.timeoutSeen.observe(tm.signerIndex, t.round, {
      rootHex: String(t.highQcRound),
      message: t,
      signature: tm.signature,
      verified: true,
    });
    if (seen.kind === "full") {
      this.drop("pending_full", input, from);
      return;
    }
    if (seen.kind === "same") {
      // Re-broadcasts are normal; the certificates they carry may still help a lagging node.
      this.absorbTimeoutCertificates(tm, from, input);
      this.drop("duplicate", input, from);
      return;
    }
    if (seen.kind === "conflict") {
      if (this.timeoutSeen.markEmitted(tm.signerIndex, t.round)) {
        this.out.push({
          type: "evidence",
          evidence: {
            kind: "timeout",
            epoch: t.epoch,
            evidence: {
              validatorIndex: tm.signerIndex,
              timeoutA: seen.record.message,
              signatureA: seen.record.signature,
              timeoutB: t,
              signatureB: tm.signature,
            },
          },
        });
      }
      this.drop("duplicate", input, from, "equivocating timeout");
      return;
    }
    if (!this.absorbTimeoutCertificates(tm, from, input)) return;
    if (t.round < this.round) {
      this.drop("stale_round", input, from);
      return;
    }
    if (!this.timeouts.hasRound(t.round) && this.timeouts.roundsHeld() >= this.limits.maxPendingRounds) {
      this.drop("pending_full", input, from);
      return;
    }
    const tc = this.timeouts.add(this.committee, t.round, tm.signerIndex, t.highQcRound, tm.signature);
    if (tc !== null) {
      this.committee.trustTc(tc); // our own aggregate of verified timeouts
      this.processTc(tc);
      return;
    }
    // Bracha-style join: more than 1/3 timed out, so at least one honest node did; follow them.
    if (
      t.round === this.round &&
      this.timeoutSentRound !== this.round &&
      this.committee.isOneThird(this.timeouts.powerAt(t.round))
    ) {
      this.localTimeout();
    }
  }

  /** Processes the high QC and last TC a timeout carries; false (and counted) when invalid. */
  private absorbTimeoutCertificates(
    tm: TimeoutMessage,
    from: number,
    input: ConsensusInput | "message",
  ): boolean {
    const qcCheck = this.processQc(tm.highQc, from);
    if (qcCheck !== "ok") {
      this.drop("bad_certificate", input, from, `timeout high qc: ${qcCheck}`);
      return false;
    }
    if (this.committee.epoch !== tm.timeout.epoch) return false; // its QC ended the epoch
    if (tm.lastTc.length === 1) {
      const tcCheck = this.processTc(tm.lastTc[0]);
      if (tcCheck !== "ok") {
        this.drop("bad_certificate", input, from, `timeout last tc: ${tcCheck}`);
        return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- proposing

  private maybePropose(): void {
    if (this.self === null || this.modules.signer === undefined || this.epochEnded !== null || !this.started)
      return;
    const round = this.round;
    if (this.lastProposedRound >= round || this.payloadRequestedRound >= round) return;
    if (this.safety.lastVotedRound >= round) return;
    const parent = this.tree.get(this.highQc.blockRoot);
    if (parent === undefined) return;
    if (this.highQc.round !== round - 1 && (this.lastTc === null || this.lastTc.round !== round - 1)) return;
    if (this.leaderOf(parent, round) !== this.self) return;
    const epochLength = this.opts.epochLengthRounds;
    if (epochLength > 0 && parent.summary.round >= epochLength) {
      // Past the epoch boundary: these blocks only certify it and are never committed.
      const payload = emptyPayload();
      this.propose(payload, payloadRootOf(payload), 0, new Uint8Array(32));
      return;
    }
    this.payloadRequestedRound = round;
    this.out.push({
      type: "requestPayload",
      epoch: this.committee.epoch,
      round,
      parentRoot: parent.summary.root,
    });
  }

  private onPayload(input: Extract<ConsensusInput, { type: "payload" }>): void {
    if (
      input.epoch !== this.committee.epoch ||
      input.round !== this.round ||
      this.payloadRequestedRound !== input.round ||
      this.lastProposedRound >= input.round
    ) {
      this.drop("stale_payload", input, null);
      return;
    }
    if (
      input.stateRoot.length !== 32 ||
      !Number.isSafeInteger(input.stateBlockNumber) ||
      input.stateBlockNumber < 0
    ) {
      this.drop("invalid_block", input, null, "bad state root or block number");
      return;
    }
    let payloadRoot: Uint8Array;
    try {
      payloadRoot = payloadRootOf(input.payload);
    } catch (err) {
      this.drop("invalid_block", input, null, `payload: ${(err as Error).message}`);
      return;
    }
    this.propose(input.payload, payloadRoot, input.stateBlockNumber, input.stateRoot);
  }

  private propose(
    payload: MiniBlockPayload,
    payloadRoot: Uint8Array,
    stateBlockNumber: number,
    stateRoot: Uint8Array,
  ): void {
    const self = this.self as number;
    const round = this.round;
    const qc = this.highQc;
    const justify = { qc, tc: qc.round === round - 1 || this.lastTc === null ? [] : [this.lastTc] };
    const header: BlockHeader = {
      epoch: this.committee.epoch,
      round,
      proposerIndex: self,
      parentRoot: qc.blockRoot,
      parentRound: qc.round,
      payloadRoot,
      stateBlockNumber,
      stateRoot,
      justifyRoot: Justification.hashTreeRoot(justify),
    };
    const root = BlockHeader.hashTreeRoot(header);
    const signature = (this.modules.signer as NonNullable<ConsensusModules["signer"]>).sign(
      signingRootFromMessageRoot("proposal", this.opts.chainId, header.epoch, root),
    );
    const block: Block = { header, signature, payload, justify };
    this.lastProposedRound = round;
    const parent = this.tree.get(qc.blockRoot) as TreeNode;
    const { placement } = this.placementAndLeader(parent, round);
    this.proposalSeen.observe(self, round, {
      rootHex: toHex(root),
      message: header,
      signature,
      verified: true,
    });
    this.tree.insert(
      {
        root,
        epoch: header.epoch,
        round,
        proposerIndex: self,
        slot: placement.slot,
        termStart: placement.termStart,
        failedFrom: placement.failedFrom,
        failedTo: placement.failedTo,
      },
      block,
      qc.blockRoot,
    );
    const node = this.tree.get(root) as TreeNode;
    const broadcast: Effect = { type: "broadcast", message: { kind: "proposal", block } };
    const reserved = this.reservation;
    if (reserved !== null && reserved.round === round) {
      // This round was reserved (persisted) with this node's previous vote: a restart never
      // proposes in it again, so the proposal need not wait for the fsync of the vote below.
      if (this.ackedSeq >= reserved.seq) this.out.push(broadcast);
      else this.held.push({ seq: reserved.seq, release: () => this.out.push(broadcast) });
      this.maybeVote(node, block, null);
      return;
    }
    // Otherwise the proposal leaves together with (after the fsync of) the leader's own vote, so
    // that a crash cannot make this node propose twice in one round.
    this.maybeVote(node, block, broadcast);
  }

  // ---------------------------------------------------------------- catch-up

  private requestFetch(from: number | null, toRoot: Uint8Array | null, toRound: number): void {
    const key = `${this.committee.epoch}/${toRoot === null ? "tip" : toHex(toRoot)}`;
    if (this.fetchInFlight === key) return;
    let peer = from;
    if (peer === null || peer === this.self || !this.committee.has(peer)) {
      // Ask the proposer of the highest QC's round as a reasonable default peer.
      peer = this.pickPeer();
      if (peer === null) return;
    }
    this.fetchInFlight = key;
    this.out.push({
      type: "fetchBlocks",
      from: peer,
      epoch: this.committee.epoch,
      afterRound: this.committedRound,
      toRoot,
      toRound,
    });
  }

  private pickPeer(): number | null {
    const n = this.committee.size;
    for (let k = 1; k <= n; k++) {
      const candidate = (this.highQc.round + k) % n;
      if (candidate !== this.self) return candidate;
    }
    return null;
  }

  private onBlocksFetched(input: Extract<ConsensusInput, { type: "blocksFetched" }>): void {
    this.fetchInFlight = null;
    if (input.blocks.length > this.limits.maxFetchBlocks) {
      this.drop(
        "bad_fetch",
        input,
        input.from,
        `${input.blocks.length} blocks > ${this.limits.maxFetchBlocks}`,
      );
      return;
    }
    const sorted = [...input.blocks].sort((a, b) => a.header.round - b.header.round);
    for (const block of sorted) {
      if (this.epochEnded !== null) break;
      if (block.header.epoch !== this.committee.epoch) {
        this.drop("bad_fetch", input, input.from, "block of another epoch");
        continue;
      }
      if (block.header.round <= this.committedRound || this.tree.has(BlockHeader.hashTreeRoot(block.header)))
        continue;
      this.onProposal(block, input.from, false, "fetched");
    }
    if (input.qc !== undefined && this.epochEnded === null && input.qc.epoch === this.committee.epoch) {
      const check = this.processQc(input.qc, input.from);
      if (check !== "ok") this.drop("bad_fetch", input, input.from, `qc: ${check}`);
    }
    const certified = this.tree.get(this.highQc.blockRoot);
    if (certified !== undefined && this.epochEnded === null) this.tryCommit(certified, this.highQc);
    this.maybePropose();
    const pending = this.pendingProposals.get(this.round);
    if (pending !== undefined && this.tree.has(pending.block.header.parentRoot)) {
      this.pendingProposals.delete(this.round);
      this.onProposal(pending.block, pending.from, true, "live");
    }
  }

  // ---------------------------------------------------------------- restore

  /** Re-inserts a locally persisted block (trusted: it passed validation before the crash). */
  private restoreBlock(block: Block): void {
    const h = block.header;
    const parent = this.tree.get(h.parentRoot);
    if (parent === undefined || h.epoch !== this.committee.epoch) return;
    const { placement } = this.placementAndLeader(parent, h.round);
    this.tree.insert(
      {
        root: BlockHeader.hashTreeRoot(h),
        epoch: h.epoch,
        round: h.round,
        proposerIndex: h.proposerIndex,
        slot: placement.slot,
        termStart: placement.termStart,
        failedFrom: placement.failedFrom,
        failedTo: placement.failedTo,
      },
      block,
      h.parentRoot,
    );
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
