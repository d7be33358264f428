/**
 * Collects votes per (round, block) until more than 2/3 of voting power has voted for one block.
 * Signatures may arrive unchecked: at quorum the collector verifies ONE aggregate
 * (fastAggregateVerify) and only if that fails checks votes one by one and evicts the bad ones.
 * When the caller's own vote for the block is still on its way to disk and would complete the
 * quorum, the others are verified (as one aggregate) ahead of it, so the pairing runs while the
 * safety write does and the QC forms the moment the own vote lands.
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
  /** The aggregate of the verified entries named here (set by an early check), reused at quorum. */
  partial: { signers: number[]; signature: Uint8Array } | null;
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

  /**
   * Adds a vote (the caller already rejected a second vote by the same signer in the round).
   * `pendingPower`: voting power of the caller's own vote for this block that is not added yet
   * (its safety write is in flight); when it would complete the quorum, the held votes are
   * verified now instead of when it arrives.
   */
  add(committee: Committee, sv: SignedVote, verified: boolean, pendingPower = 0n): QuorumOutcome {
    const { round, blockRoot } = sv.vote;
    let byBlock = this.rounds.get(round);
    if (byBlock === undefined) {
      byBlock = new Map();
      this.rounds.set(round, byBlock);
    }
    const key = toHex(blockRoot);
    let votes = byBlock.get(key);
    if (votes === undefined) {
      votes = { blockRoot, entries: new Map(), power: 0n, done: false, partial: null };
      byBlock.set(key, votes);
    }
    if (votes.done || votes.entries.has(sv.signerIndex)) return { qc: null, badSigners: [] };
    votes.entries.set(sv.signerIndex, { signature: sv.signature, verified });
    votes.power += committee.validators[sv.signerIndex].votingPower;
    if (committee.isQuorum(votes.power)) return this.tryForm(committee, round, votes);
    if (pendingPower > 0n && committee.isQuorum(votes.power + pendingPower)) {
      return { qc: null, badSigners: this.verifyAhead(committee, round, votes) };
    }
    return { qc: null, badSigners: [] };
  }

  /** Checks the unverified votes as one aggregate (one by one if that fails); returns the bad. */
  private verifyAhead(committee: Committee, round: number, votes: BlockVotes): number[] {
    const message = this.messageOf(committee, round, votes.blockRoot);
    const unchecked = [...votes.entries].filter(([, e]) => !e.verified).map(([i]) => i);
    const badSigners: number[] = [];
    if (unchecked.length > 0) {
      const aggregate = this.scheme.aggregate(
        unchecked.map((i) => (votes.entries.get(i) as Entry).signature),
      );
      const pubkeys = unchecked.map((i) => committee.pubkey(i));
      if (this.scheme.fastAggregateVerify(pubkeys, message, aggregate)) {
        for (const i of unchecked) (votes.entries.get(i) as Entry).verified = true;
        if (unchecked.length === votes.entries.size) {
          // The usual case: nothing was held verified before, so that aggregate is the partial one.
          votes.partial = { signers: unchecked.sort((a, b) => a - b), signature: aggregate };
          return badSigners;
        }
      } else {
        for (const i of unchecked) this.checkOne(committee, message, votes, i, badSigners);
      }
    }
    const signers = [...votes.entries.keys()].sort((a, b) => a - b);
    votes.partial =
      signers.length > 0
        ? {
            signers,
            signature: this.scheme.aggregate(signers.map((i) => (votes.entries.get(i) as Entry).signature)),
          }
        : null;
    return badSigners;
  }

  private checkOne(
    committee: Committee,
    message: Uint8Array,
    votes: BlockVotes,
    i: number,
    bad: number[],
  ): void {
    const e = votes.entries.get(i) as Entry;
    if (this.scheme.verify(committee.pubkey(i), message, e.signature)) {
      e.verified = true;
      return;
    }
    votes.entries.delete(i);
    votes.power -= committee.validators[i].votingPower;
    bad.push(i);
  }

  private messageOf(committee: Committee, round: number, blockRoot: Uint8Array): Uint8Array {
    return signingRootOfVote(committee.chainId, { epoch: committee.epoch, round, blockRoot });
  }

  /** The aggregate of all entries, starting from the early check's partial aggregate if it still fits. */
  private aggregateOf(votes: BlockVotes, signers: number[]): Uint8Array {
    const signatureOf = (i: number): Uint8Array => (votes.entries.get(i) as Entry).signature;
    const partial = votes.partial;
    if (partial === null || !partial.signers.every((i) => votes.entries.has(i))) {
      return this.scheme.aggregate(signers.map(signatureOf));
    }
    const covered = new Set(partial.signers);
    const rest = signers.filter((i) => !covered.has(i));
    if (rest.length === 0) return partial.signature;
    return this.scheme.aggregate([partial.signature, ...rest.map(signatureOf)]);
  }

  private tryForm(committee: Committee, round: number, votes: BlockVotes): QuorumOutcome {
    const message = this.messageOf(committee, round, votes.blockRoot);
    const signers = [...votes.entries.keys()].sort((a, b) => a - b);
    const aggregate = this.aggregateOf(votes, signers);
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
        if (!(votes.entries.get(i) as Entry).verified)
          this.checkOne(committee, message, votes, i, badSigners);
      }
      votes.partial = null;
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
    votes.partial = null;
  }

  pruneBelow(minRound: number): void {
    for (const r of this.rounds.keys()) if (r < minRound) this.rounds.delete(r);
  }

  clear(): void {
    this.rounds.clear();
  }
}
