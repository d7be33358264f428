/**
 * Collects votes per (round, block) until more than 2/3 of voting power has voted for one block.
 * Signatures may arrive unchecked: at quorum the collector verifies ONE aggregate
 * (fastAggregateVerify) and only if that fails checks votes one by one and evicts the bad ones.
 * At most one vote per (signer, round) is held, so memory is bounded by rounds x validators.
 */
import type { QuorumCertificate, SignedVote } from "../types/index.ts";
import { signingRootOfVote } from "../types/index.ts";
import { toHex } from "./bytes.ts";
import type { Committee } from "./committee.ts";
import type { SignatureScheme } from "./types.ts";

interface Entry {
  signature: Uint8Array;
  verified: boolean;
}

interface BlockVotes {
  blockRoot: Uint8Array;
  entries: Map<number, Entry>;
  power: bigint;
  done: boolean;
}

export interface QuorumOutcome {
  qc: QuorumCertificate | null;
  /** Signers whose votes failed individual verification (evicted). */
  badSigners: number[];
}

export class VoteCollector {
  private readonly rounds = new Map<number, Map<string, BlockVotes>>();
  private readonly scheme: SignatureScheme;

  constructor(scheme: SignatureScheme) {
    this.scheme = scheme;
  }

  roundsHeld(): number {
    return this.rounds.size;
  }

  hasRound(round: number): boolean {
    return this.rounds.has(round);
  }

  /** Adds a vote (the caller already rejected a second vote by the same signer in the round). */
  add(committee: Committee, sv: SignedVote, verified: boolean): QuorumOutcome {
    const { round, blockRoot } = sv.vote;
    let byBlock = this.rounds.get(round);
    if (byBlock === undefined) {
      byBlock = new Map();
      this.rounds.set(round, byBlock);
    }
    const key = toHex(blockRoot);
    let votes = byBlock.get(key);
    if (votes === undefined) {
      votes = { blockRoot, entries: new Map(), power: 0n, done: false };
      byBlock.set(key, votes);
    }
    if (votes.done || votes.entries.has(sv.signerIndex)) return { qc: null, badSigners: [] };
    votes.entries.set(sv.signerIndex, { signature: sv.signature, verified });
    votes.power += committee.validators[sv.signerIndex].votingPower;
    if (!committee.isQuorum(votes.power)) return { qc: null, badSigners: [] };
    return this.tryForm(committee, round, votes);
  }

  private tryForm(committee: Committee, round: number, votes: BlockVotes): QuorumOutcome {
    const message = signingRootOfVote(committee.chainId, {
      epoch: committee.epoch,
      round,
      blockRoot: votes.blockRoot,
    });
    const signers = [...votes.entries.keys()].sort((a, b) => a - b);
    const sigs = signers.map((i) => (votes.entries.get(i) as Entry).signature);
    const aggregate = this.scheme.aggregate(sigs);
    const allVerified = signers.every((i) => (votes.entries.get(i) as Entry).verified);
    const badSigners: number[] = [];
    if (
      !allVerified &&
      !this.scheme.fastAggregateVerify(
        signers.map((i) => committee.pubkey(i)),
        message,
        aggregate,
      )
    ) {
      for (const i of signers) {
        const e = votes.entries.get(i) as Entry;
        if (e.verified) continue;
        if (this.scheme.verify(committee.pubkey(i), message, e.signature)) {
          e.verified = true;
        } else {
          votes.entries.delete(i);
          votes.power -= committee.validators[i].votingPower;
          badSigners.push(i);
        }
      }
      if (!committee.isQuorum(votes.power)) return { qc: null, badSigners };
      return { ...this.tryForm(committee, round, votes), badSigners };
    }
    for (const i of signers) (votes.entries.get(i) as Entry).verified = true;
    votes.done = true;
    return {
      qc: {
        epoch: committee.epoch,
        round,
        blockRoot: votes.blockRoot,
        signers: committee.bitmapOf(signers),
        signature: aggregate,
      },
      badSigners,
    };
  }

  /** Forgets a vote whose signature was found bad elsewhere (e.g. during an equivocation check). */
  remove(committee: Committee, round: number, blockRoot: Uint8Array, signer: number): void {
    const votes = this.rounds.get(round)?.get(toHex(blockRoot));
    if (votes === undefined || !votes.entries.has(signer)) return;
    votes.entries.delete(signer);
    votes.power -= committee.validators[signer].votingPower;
  }

  pruneBelow(minRound: number): void {
    for (const r of this.rounds.keys()) if (r < minRound) this.rounds.delete(r);
  }

  clear(): void {
    this.rounds.clear();
  }
}
