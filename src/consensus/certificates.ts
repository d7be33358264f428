/**
 * Quorum and timeout certificates as they arrive (in proposals, timeouts, fetch answers, or
 * formed here): verified once, then they advance the high QC / last TC, commits and the round.
 */
import type { QuorumCertificate, TimeoutCertificate } from "../types/index.ts";
import type { CertCheck } from "./committee.ts";
import type { CoreParts } from "./core-parts.ts";
import type { CoreState } from "./core-state.ts";

export class Certificates {
  private readonly s: CoreState;
  private readonly p: CoreParts;

  constructor(state: CoreState, parts: CoreParts) {
    this.s = state;
    this.p = parts;
  }

  /** Certificates the host verified with the message that carries them (input `verified`). */
  trust(qc: QuorumCertificate, tc: readonly TimeoutCertificate[]): void {
    this.s.committee.trustQc(qc);
    for (const t of tc) this.s.committee.trustTc(t);
  }

  /** Verifies a QC and lets it advance high QC, commits and the round. */
  processQc(qc: QuorumCertificate, from: number | null): CertCheck {
    const s = this.s;
    const check = s.committee.checkQc(qc);
    if (check !== "ok") return check;
    if (qc.round > s.highQc.round) s.highQc = qc;
    const node = s.tree.get(qc.blockRoot);
    if (node === undefined) {
      if (qc.round > s.committedRound) this.p.catchUp.requestFetch(from, qc.blockRoot, qc.round);
    } else {
      this.p.commits.tryCommit(node, qc);
      // The commit may have ended the epoch (and switched to the next): this QC is history now.
      if (s.committee.epoch !== qc.epoch) return "ok";
    }
    this.p.rounds.enterRound(qc.round + 1, "qc");
    return "ok";
  }

  processTc(tc: TimeoutCertificate): CertCheck {
    const s = this.s;
    const check = s.committee.checkTc(tc);
    if (check !== "ok") return check;
    if (s.lastTc === null || tc.round > s.lastTc.round) s.lastTc = tc;
    this.p.rounds.enterRound(tc.round + 1, "tc");
    return "ok";
  }
}
