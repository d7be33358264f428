/**
 * Collects verified timeouts per round (one per signer) until more than 2/3 of voting power
 * timed out, then aggregates them into a TC. The highQcRounds list follows signer index order,
 * matching the bitmap, so the TC verifies with aggregateVerify over distinct messages.
 */
import type { TimeoutCertificate } from "../types/index.ts";
import type { Committee } from "./committee.ts";
import type { SignatureScheme } from "./types.ts";

interface RoundTimeouts {
  entries: Map<number, { highQcRound: number; signature: Uint8Array }>;
  power: bigint;
  done: boolean;
}

export class TimeoutCollector {
  private readonly rounds = new Map<number, RoundTimeouts>();
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

  /** Power that has timed out in `round` so far. */
  powerAt(round: number): bigint {
    return this.rounds.get(round)?.power ?? 0n;
  }

  add(
    committee: Committee,
    round: number,
    signer: number,
    highQcRound: number,
    signature: Uint8Array,
  ): TimeoutCertificate | null {
    let rt = this.rounds.get(round);
    if (rt === undefined) {
      rt = { entries: new Map(), power: 0n, done: false };
      this.rounds.set(round, rt);
    }
    if (rt.done || rt.entries.has(signer)) return null;
    rt.entries.set(signer, { highQcRound, signature });
    rt.power += committee.validators[signer].votingPower;
    if (!committee.isQuorum(rt.power)) return null;
    rt.done = true;
    const signers = [...rt.entries.keys()].sort((a, b) => a - b);
    return {
      epoch: committee.epoch,
      round,
      highQcRounds: signers.map((i) => rt.entries.get(i)?.highQcRound ?? 0),
      signers: committee.bitmapOf(signers),
      signature: this.scheme.aggregate(
        signers.map((i) => rt.entries.get(i)?.signature ?? new Uint8Array(96)),
      ),
    };
  }

  pruneBelow(minRound: number): void {
    for (const r of this.rounds.keys()) if (r < minRound) this.rounds.delete(r);
  }

  clear(): void {
    this.rounds.clear();
  }
}
