/**
 * The contract between the pure consensus core and its host (the node or the simulator).
 * The host feeds Inputs (each stamped with its own clock's nowMs) and executes the returned
 * Effects IN ORDER. See docs/consensus.md.
 */
import type {
  Block,
  MiniBlockPayload,
  ProposalEquivocation,
  QuorumCertificate,
  SignedVote,
  TimeoutEquivocation,
  TimeoutMessage,
  Vote,
  VoteEquivocation,
} from "../types/index.ts";

export interface ValidatorInfo {
  /** Position in the epoch's set; bit `index` of a signer bitmap. */
  index: number;
  /** L1 address (0x-prefixed hex) of the staker. */
  address: string;
  /** BLS public key bytes (48-byte compressed G1 for BLS; scheme-specific for test schemes). */
  pubkey: Uint8Array;
  /** Stake-derived weight; quorum is more than 2/3 of the sum. */
  votingPower: bigint;
}

export interface TimingOpts {
  /** Timeout of a round entered after a QC. */
  baseTimeoutMs: number;
  /** Multiplier per consecutive timed-out round. */
  backoffFactor: number;
  /** Upper bound of the round timeout. */
  maxTimeoutMs: number;
}

export interface ConsensusLimits {
  /** Messages for rounds further ahead than this are dropped ("too_far_ahead"). */
  maxRoundsAhead: number;
  /** Uncommitted blocks kept in the tree; beyond it new blocks are dropped ("tree_full"). */
  maxBlocksInTree: number;
  /** (validator, round, kind) first-seen records kept for equivocation detection. */
  maxEquivocationRecords: number;
  /** Rounds of future-round votes/timeouts held before they can be used. */
  maxPendingRounds: number;
  /** Blocks accepted from one catch-up answer. */
  maxFetchBlocks: number;
}

export interface ConsensusOpts {
  chainId: number;
  epoch: number;
  validators: readonly ValidatorInfo[];
  /** Own validator index, or null for a non-voting observer. */
  selfIndex: number | null;
  /**
   * Own BLS public key. When given, the own index is looked up by this key in every epoch's set
   * (restored snapshot and each epoch change), so a validator whose position moves, or that joins
   * or leaves the set at an epoch change, signs with the right index or stops signing.
   */
  selfPubkey?: Uint8Array;
  timing: TimingOpts;
  /** K: consecutive rounds one leader keeps (1 = classic rotation). A timeout ends the term. */
  leaderTermRounds: number;
  /** Recent ancestor blocks inspected to skip leaders that failed (0 = no reputation). */
  reputationWindow: number;
  /** The first committed block with round >= this ends the epoch (0 = epochs never end). */
  epochLengthRounds: number;
  /** Root of the genesis block of `epoch` (the previous epoch's boundary block); zeros if absent. */
  genesisRoot?: Uint8Array;
  limits?: Partial<ConsensusLimits>;
}

/** Verification side of a signature scheme: must be deterministic. */
export interface SignatureScheme {
  /** Shown by the simulator report ("bls12-381", "insecure-test-hash"). */
  readonly name: string;
  verify(pubkey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** One message, many signers (QC). */
  fastAggregateVerify(pubkeys: readonly Uint8Array[], message: Uint8Array, signature: Uint8Array): boolean;
  /** Distinct messages, one per signer (TC). */
  aggregateVerify(
    pubkeys: readonly Uint8Array[],
    messages: readonly Uint8Array[],
    signature: Uint8Array,
  ): boolean;
  aggregate(signatures: readonly Uint8Array[]): Uint8Array;
}

/**
 * One signature a host may verify outside the core (batched, on worker threads): "single" is one
 * key and one message, "aggregate" many keys over one message (a QC), "multiMessage" one message
 * per key under one aggregate signature (a TC).
 */
export interface SignatureCheck {
  kind: "single" | "aggregate" | "multiMessage";
  publicKeys: Uint8Array[];
  messages: Uint8Array[];
  signature: Uint8Array;
}

/** What ConsensusCore.gossipCheck says about a message before it is forwarded. */
export type GossipCheck =
  /** Forward it once these signatures verify (then hand it to the core as `verified`). */
  | { verdict: "verify"; checks: SignatureCheck[] }
  /** Invalid whatever its signatures: the sender is at fault. */
  | { verdict: "reject"; reason: "wrong_epoch" | "unknown_signer" | "bad_certificate" | "invalid_message" }
  /** Useless here now but not proof of misbehaviour (old, or an epoch this node has not reached). */
  | { verdict: "ignore"; reason: "stale_epoch" | "future_epoch" | "stale_round" | "too_far_ahead" };

/** Own key: signs 64-byte signing roots. */
export interface Signer {
  sign(message: Uint8Array): Uint8Array;
}

/** What must survive a crash, written and fsynced before any vote/timeout it guards leaves. */
export interface SafetyData {
  epoch: number;
  /** Highest round in which this node voted or timed out. */
  lastVotedRound: number;
  /** Highest QC round this node has seen certified inside a voted block (Jolteon's lock). */
  oneChainRound: number;
  /** Highest round this node signed a timeout for. */
  highestTimeoutRound: number;
  /**
   * The vote for lastVotedRound, so that no other vote is ever signed in that round. Unsigned: a
   * BLS signature is deterministic, and leaving it out lets the write start before the signing.
   */
  lastVote: Vote | null;
  /** The timeout for highestTimeoutRound, re-broadcast instead of signing a second one. */
  lastTimeout: TimeoutMessage | null;
  /**
   * Rounds up to this one may already have a proposal of this node: a restarted node never
   * proposes in them. Written with the vote for round r when this node leads r + 1, so that its
   * proposal for r + 1 can leave as soon as QC(r) forms, without an fsync of its own.
   */
  proposalReservedRound: number;
}

/** What a proposal presents to the voting rule. */
export interface VoteCandidate {
  epoch: number;
  round: number;
  qcRound: number;
  /** Present when the proposal is justified by a TC of round - 1. */
  tc: { round: number; maxHighQcRound: number } | null;
}

export interface TimeoutCandidate {
  epoch: number;
  round: number;
  highQcRound: number;
  /** Round of the TC that let this node enter `round` (0 if none). */
  lastTcRound: number;
}

/**
 * The voting/timeout rules (Jolteon's safety rules) as a replaceable module, so that a TEST can
 * inject a deliberately broken rule; the node and the simulator use the default implementation.
 * Each check returns null when allowed, else a short reason.
 */
export interface SafetyRules {
  readonly name: string;
  checkVote(data: SafetyData, candidate: VoteCandidate): string | null;
  checkTimeout(data: SafetyData, candidate: TimeoutCandidate): string | null;
  /** Quorum test on voting power. */
  isQuorum(signedPower: bigint, totalPower: bigint): boolean;
}

/** Compact record of a block kept for leader schedule and reputation. */
export interface BlockSummary {
  root: Uint8Array;
  epoch: number;
  round: number;
  proposerIndex: number;
  /** Leader-schedule slot this block was proposed in. */
  slot: number;
  /** First round of the leader term containing this block. */
  termStart: number;
  /** Schedule slots [failedFrom, failedTo) skipped by timeouts just before this block. */
  failedFrom: number;
  failedTo: number;
}

/** What the host may persist (besides safety data) to restart without re-fetching. */
export interface CoreSnapshot {
  epoch: number;
  validators: readonly ValidatorInfo[];
  /** Root of this epoch's genesis block (certified by the empty round-0 QC). */
  genesisRoot: Uint8Array;
  /** Latest committed block (the tree root). */
  committed: BlockSummary;
  /** Committed ancestors, newest last, at most reputationWindow. */
  recentCommitted: BlockSummary[];
  /** Uncommitted blocks, in round order. */
  blocks: Block[];
  highQc: QuorumCertificate;
}

export interface RestoredState {
  safety: SafetyData;
  snapshot?: CoreSnapshot;
}

/**
 * A host rule on a live proposal's payload (e.g. its L1 origin), asked before the block enters
 * the tree and is voted on. `parent` is null when the parent's block is not held (the committed
 * root after a restart or an epoch change). Returns null to accept, else the reason to refuse.
 * Fetched (already certified) blocks are not asked.
 */
export type ProposalCheck = (block: Block, parent: Block | null) => string | null;

export interface ConsensusModules {
  scheme: SignatureScheme;
  proposalCheck?: ProposalCheck;
  /** Absent for observers. */
  signer?: Signer;
  safetyRules?: SafetyRules;
  restored?: RestoredState;
}

export type ConsensusMessage =
  | { kind: "proposal"; block: Block }
  | { kind: "vote"; vote: SignedVote }
  | { kind: "timeout"; timeout: TimeoutMessage };

export interface TimerId {
  epoch: number;
  round: number;
}

export type ConsensusInput =
  | { type: "start"; nowMs: number }
  | {
      type: "message";
      nowMs: number;
      /** Validator index of the sender as the transport knows it (may differ from the signer). */
      from: number;
      message: ConsensusMessage;
      /**
       * True when the host already checked the message's own signature AND the certificates it
       * carries (a proposal's QC/TC, a timeout's high QC/last TC) against this epoch's committee,
       * e.g. with the signature sets of ConsensusCore.gossipCheck. The core still checks their
       * shape and quorum; it skips only the pairings.
       */
      verified?: boolean;
      /**
       * With `verified`, for a proposal: only its certificates were checked, not its proposer's
       * signature, because the transport authenticated the sender as the proposer (it came over
       * the proposer's own connection, whose peer identity is bound to the proposer's key). The
       * core then takes the block as the proposer's without that pairing; equivocation evidence
       * built on it is verified before it is reported.
       */
      signatureUnchecked?: boolean;
    }
  | { type: "timer"; nowMs: number; timer: TimerId }
  | {
      type: "payload";
      nowMs: number;
      epoch: number;
      round: number;
      payload: MiniBlockPayload;
      /** EVM block whose state root this proposal carries for certification (0 = none). */
      stateBlockNumber: number;
      stateRoot: Uint8Array;
    }
  | { type: "safetyPersisted"; nowMs: number; seq: number }
  /** Answer to a {type:"yield"} effect: the core finishes the work it put off. */
  | { type: "resume"; nowMs: number }
  | {
      type: "blocksFetched";
      nowMs: number;
      from: number;
      blocks: Block[];
      /** The peer's best QC for that epoch (see ConsensusCore.fetchQc): lets the fetched chain commit. */
      qc?: QuorumCertificate;
    }
  | { type: "validatorSet"; nowMs: number; epoch: number; validators: readonly ValidatorInfo[] };

export type Evidence =
  | { kind: "vote"; epoch: number; evidence: VoteEquivocation }
  | { kind: "proposal"; epoch: number; evidence: ProposalEquivocation }
  | { kind: "timeout"; epoch: number; evidence: TimeoutEquivocation };

export interface CommittedBlock {
  root: Uint8Array;
  block: Block;
}

export type DropReason =
  | "wrong_epoch"
  | "future_epoch"
  | "unknown_signer"
  | "bad_signature"
  | "bad_certificate"
  | "duplicate"
  | "stale_round"
  | "too_far_ahead"
  | "not_leader"
  | "invalid_block"
  | "unknown_parent"
  | "safety_rule"
  | "tree_full"
  | "pending_full"
  | "stale_timer"
  | "stale_payload"
  | "unexpected_ack"
  | "not_started"
  | "observer"
  | "awaiting_validator_set"
  | "epoch_ended"
  | "bad_fetch";

export type Effect =
  | { type: "broadcast"; message: ConsensusMessage }
  | { type: "sendTo"; to: number; message: ConsensusMessage }
  /** Write and fsync `data`, then feed {type:"safetyPersisted", seq}. */
  | { type: "persistSafety"; seq: number; data: SafetyData }
  /**
   * The core put off some work (signing a vote whose safety write is in flight) so that the
   * effects before this one can start first: feed {type:"resume"} once they have. A host that
   * never does still works: the work is then done when it is needed (at the write's ack).
   */
  | { type: "yield" }
  /**
   * Blocks now final, oldest first; `qc` is the QC whose arrival committed them (it certifies the
   * child of the last block, or a descendant when the list was cut at an epoch boundary).
   */
  | { type: "commit"; epoch: number; blocks: CommittedBlock[]; qc: QuorumCertificate }
  | { type: "setTimer"; timer: TimerId; delayMs: number }
  /** This node leads `round`: answer with {type:"payload"}. */
  | { type: "requestPayload"; epoch: number; round: number; parentRoot: Uint8Array }
  /** Ask validator `from` for the blocks of `epoch` after round `afterRound` up to `toRoot`. */
  | {
      type: "fetchBlocks";
      from: number;
      epoch: number;
      afterRound: number;
      toRoot: Uint8Array | null;
      toRound: number;
    }
  | { type: "evidence"; evidence: Evidence }
  | {
      type: "dropped";
      reason: DropReason;
      input: ConsensusInput["type"];
      from: number | null;
      detail?: string;
    }
  | { type: "roundEntered"; epoch: number; round: number; leader: number; via: "qc" | "tc" | "start" }
  | { type: "epochChanged"; epoch: number; validators: readonly ValidatorInfo[] };
