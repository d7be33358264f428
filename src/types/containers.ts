/**
 * SSZ containers of the consensus wire format (see docs/wire-format.md for layouts and worked
 * examples). The SIGNED containers (BlockHeader, Vote, Timeout, Checkpoint) hold only fixed-size
 * fields so that the L1 slashing contract can recompute their hashTreeRoot with a handful of
 * sha256 precompile calls.
 */
import "./hasher.ts";
import {
  BitListType,
  ByteListType,
  ByteVectorType,
  ContainerType,
  ListBasicType,
  ListCompositeType,
  UintBigintType,
  UintNumberType,
  type ValueOf,
} from "@chainsafe/ssz";
import {
  BLS_SIGNATURE_BYTES,
  MAX_BLOCKS_PER_FETCH,
  MAX_DEPOSIT_DATA_BYTES,
  MAX_DEPOSITS_PER_PAYLOAD,
  MAX_TX_BYTES,
  MAX_TXS_PER_PAYLOAD,
  MAX_VALIDATORS,
} from "./limits.ts";

export const Uint64 = new UintNumberType(8);
export const Uint256 = new UintBigintType(32);
export const Bytes4 = new ByteVectorType(4);
export const Bytes20 = new ByteVectorType(20);
export const Bytes32 = new ByteVectorType(32);
export const Signature = new ByteVectorType(BLS_SIGNATURE_BYTES);
export const SignerBitmap = new BitListType(MAX_VALIDATORS);

/** A deposit from L1 (mint on L2), ordered as the L1 logs were. */
export const Deposit = new ContainerType(
  {
    sourceHash: Bytes32,
    from: Bytes20,
    to: Bytes20,
    mint: Uint256,
    value: Uint256,
    gasLimit: Uint64,
    data: new ByteListType(MAX_DEPOSIT_DATA_BYTES),
  },
  { typeName: "Deposit" },
);

/** What one proposal orders: the body of a mini-block. */
export const MiniBlockPayload = new ContainerType(
  {
    timestampUs: Uint64,
    l1OriginNumber: Uint64,
    l1OriginHash: Bytes32,
    deposits: new ListCompositeType(Deposit, MAX_DEPOSITS_PER_PAYLOAD),
    txs: new ListCompositeType(new ByteListType(MAX_TX_BYTES), MAX_TXS_PER_PAYLOAD),
  },
  { typeName: "MiniBlockPayload" },
);

/**
 * Signed by the proposer (kind "proposal"). Its hashTreeRoot is the block id.
 * `justifyRoot` binds the certificate(s) the proposal carries (hashTreeRoot of Justification).
 * `stateRoot` certifies the execution result of EVM block `stateBlockNumber` (0/zero when none).
 */
export const BlockHeader = new ContainerType(
  {
    epoch: Uint64,
    round: Uint64,
    proposerIndex: Uint64,
    parentRoot: Bytes32,
    parentRound: Uint64,
    payloadRoot: Bytes32,
    stateBlockNumber: Uint64,
    stateRoot: Bytes32,
    justifyRoot: Bytes32,
  },
  { typeName: "BlockHeader" },
);

/** Signed by a voter (kind "vote"): "I vote for block blockRoot at (epoch, round)". */
export const Vote = new ContainerType(
  {
    epoch: Uint64,
    round: Uint64,
    blockRoot: Bytes32,
  },
  { typeName: "Vote" },
);

/** Signed by a validator whose round timer expired (kind "timeout"). */
export const Timeout = new ContainerType(
  {
    epoch: Uint64,
    round: Uint64,
    highQcRound: Uint64,
  },
  { typeName: "Timeout" },
);

/** Signed over the committed chain for L1 settlement (kind "checkpoint"). */
export const Checkpoint = new ContainerType(
  {
    epoch: Uint64,
    round: Uint64,
    blockRoot: Bytes32,
    evmBlockNumber: Uint64,
    stateRoot: Bytes32,
  },
  { typeName: "Checkpoint" },
);

/** More than 2/3 of voting power signed Vote{epoch, round, blockRoot}. */
export const QuorumCertificate = new ContainerType(
  {
    epoch: Uint64,
    round: Uint64,
    blockRoot: Bytes32,
    signers: SignerBitmap,
    signature: Signature,
  },
  { typeName: "QuorumCertificate" },
);

/**
 * More than 2/3 of voting power signed Timeout{epoch, round, highQcRound_i}; the messages may
 * differ per signer, so `highQcRounds[k]` belongs to the k-th set bit of `signers`, and the
 * aggregate is checked with aggregateVerify over distinct messages.
 */
export const TimeoutCertificate = new ContainerType(
  {
    epoch: Uint64,
    round: Uint64,
    highQcRounds: new ListBasicType(Uint64, MAX_VALIDATORS),
    signers: SignerBitmap,
    signature: Signature,
  },
  { typeName: "TimeoutCertificate" },
);

/** What justifies a proposal's round: the parent's QC, plus a TC (0 or 1) after a timeout. */
export const Justification = new ContainerType(
  {
    qc: QuorumCertificate,
    tc: new ListCompositeType(TimeoutCertificate, 1),
  },
  { typeName: "Justification" },
);

/** A full proposal (mini-block): header, its signature, the payload and the justification. */
export const Block = new ContainerType(
  {
    header: BlockHeader,
    signature: Signature,
    payload: MiniBlockPayload,
    justify: Justification,
  },
  { typeName: "Block" },
);

export const SignedVote = new ContainerType(
  { vote: Vote, signerIndex: Uint64, signature: Signature },
  { typeName: "SignedVote" },
);

/** A timeout with the sender's high QC and last TC so that lagging peers can catch up. */
export const TimeoutMessage = new ContainerType(
  {
    timeout: Timeout,
    signerIndex: Uint64,
    signature: Signature,
    highQc: QuorumCertificate,
    lastTc: new ListCompositeType(TimeoutCertificate, 1),
  },
  { typeName: "TimeoutMessage" },
);

export const SignedCheckpoint = new ContainerType(
  { checkpoint: Checkpoint, signers: SignerBitmap, signature: Signature },
  { typeName: "SignedCheckpoint" },
);

/** Two signatures by one validator over conflicting votes for one (epoch, round). */
export const VoteEquivocation = new ContainerType(
  { validatorIndex: Uint64, voteA: Vote, signatureA: Signature, voteB: Vote, signatureB: Signature },
  { typeName: "VoteEquivocation" },
);

/** Two signed headers by one proposer for one (epoch, round). */
export const ProposalEquivocation = new ContainerType(
  {
    validatorIndex: Uint64,
    headerA: BlockHeader,
    signatureA: Signature,
    headerB: BlockHeader,
    signatureB: Signature,
  },
  { typeName: "ProposalEquivocation" },
);

/** Two different signed timeouts by one validator for one (epoch, round). */
export const TimeoutEquivocation = new ContainerType(
  {
    validatorIndex: Uint64,
    timeoutA: Timeout,
    signatureA: Signature,
    timeoutB: Timeout,
    signatureB: Signature,
  },
  { typeName: "TimeoutEquivocation" },
);

/** Catch-up answer: consecutive blocks of one epoch, oldest first. */
export const BlockBatch = new ListCompositeType(Block, MAX_BLOCKS_PER_FETCH);

export type Deposit = ValueOf<typeof Deposit>;
export type MiniBlockPayload = ValueOf<typeof MiniBlockPayload>;
export type BlockHeader = ValueOf<typeof BlockHeader>;
export type Vote = ValueOf<typeof Vote>;
export type Timeout = ValueOf<typeof Timeout>;
export type Checkpoint = ValueOf<typeof Checkpoint>;
export type QuorumCertificate = ValueOf<typeof QuorumCertificate>;
export type TimeoutCertificate = ValueOf<typeof TimeoutCertificate>;
export type Justification = ValueOf<typeof Justification>;
export type Block = ValueOf<typeof Block>;
export type SignedVote = ValueOf<typeof SignedVote>;
export type TimeoutMessage = ValueOf<typeof TimeoutMessage>;
export type SignedCheckpoint = ValueOf<typeof SignedCheckpoint>;
export type VoteEquivocation = ValueOf<typeof VoteEquivocation>;
export type ProposalEquivocation = ValueOf<typeof ProposalEquivocation>;
export type TimeoutEquivocation = ValueOf<typeof TimeoutEquivocation>;
