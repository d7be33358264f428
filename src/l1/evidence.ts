import { type Hex, toHex } from "viem";
import { g2ToEip2537 } from "../crypto/index.ts";
import {
  BlockHeader,
  type ProposalEquivocation,
  Timeout,
  type TimeoutEquivocation,
  Vote,
  type VoteEquivocation,
} from "../types/index.ts";

/** Message kinds as the Slashing contract numbers them (the last byte of the domain type). */
export const EVIDENCE_KIND = { proposal: 1, vote: 2, timeout: 3 } as const;
export type EvidenceKind = keyof typeof EVIDENCE_KIND;

/** The argument of Slashing.submitDoubleSign. */
export interface SlashingEvidence {
  kind: number;
  validatorIndex: bigint;
  messageA: Hex;
  signatureA: Hex;
  messageB: Hex;
  signatureB: Hex;
}

function build(
  kind: EvidenceKind,
  validatorIndex: number,
  messageA: Uint8Array,
  signatureA: Uint8Array,
  messageB: Uint8Array,
  signatureB: Uint8Array,
): SlashingEvidence {
  return {
    kind: EVIDENCE_KIND[kind],
    validatorIndex: BigInt(validatorIndex),
    messageA: toHex(messageA),
    signatureA: toHex(g2ToEip2537(signatureA)),
    messageB: toHex(messageB),
    signatureB: toHex(g2ToEip2537(signatureB)),
  };
}

/**
 * Converts the consensus evidence objects of src/types into the contract's form: the messages as
 * their SSZ bytes (the contract recomputes hashTreeRoot and the domain from them) and the 96-byte
 * compressed signatures as 256-byte EIP-2537 G2 points.
 */
export function voteEvidence(e: VoteEquivocation): SlashingEvidence {
  return build(
    "vote",
    e.validatorIndex,
    Vote.serialize(e.voteA),
    e.signatureA,
    Vote.serialize(e.voteB),
    e.signatureB,
  );
}

export function timeoutEvidence(e: TimeoutEquivocation): SlashingEvidence {
  return build(
    "timeout",
    e.validatorIndex,
    Timeout.serialize(e.timeoutA),
    e.signatureA,
    Timeout.serialize(e.timeoutB),
    e.signatureB,
  );
}

export function proposalEvidence(e: ProposalEquivocation): SlashingEvidence {
  return build(
    "proposal",
    e.validatorIndex,
    BlockHeader.serialize(e.headerA),
    e.signatureA,
    BlockHeader.serialize(e.headerB),
    e.signatureB,
  );
}
