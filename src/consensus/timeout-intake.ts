/**
 * Signed timeouts as they arrive (and this node's own): checked, their certificates absorbed
 * (a re-broadcast still helps a lagging node), equivocation reported, then collected until more
 * than 2/3 of power forms a TC. More than 1/3 makes this node time out too (Bracha-style join).
 */
import { signingRootOfTimeout, type TimeoutMessage } from "../types/index.ts";
import { admitSigned } from "./admit-signed.ts";
import type { CoreParts } from "./core-parts.ts";
import type { CoreState } from "./core-state.ts";
import type { ConsensusInput } from "./types.ts";

export class TimeoutIntake {
  private readonly s: CoreState;
  private readonly p: CoreParts;

  constructor(state: CoreState, parts: CoreParts) {
    this.s = state;
    this.p = parts;
  }

  onTimeoutMessage(
    tm: TimeoutMessage,
    from: number,
    verified: boolean,
    input: ConsensusInput | "message",
  ): void {
    const s = this.s;
    const t = tm.timeout;
    if (!admitSigned(s, this.p, t.epoch, tm.signerIndex, from, input)) return;
    if (t.round === 0 || t.round <= s.committedRound) {
      s.drop("stale_round", input, from);
      return;
    }
    if (t.round > s.round + s.limits.maxRoundsAhead) {
      s.drop("too_far_ahead", input, from);
      return;
    }
    if (t.highQcRound !== tm.highQc.round || tm.highQc.round >= t.round || tm.highQc.epoch !== t.epoch) {
      s.drop("invalid_block", input, from, "timeout does not match its high QC");
      return;
    }
    if (
      !verified &&
      !s.modules.scheme.verify(
        s.committee.pubkey(tm.signerIndex),
        signingRootOfTimeout(s.opts.chainId, t),
        tm.signature,
      )
    ) {
      s.drop("bad_signature", input, from);
      return;
    }
    if (verified) this.p.certificates.trust(tm.highQc, tm.lastTc);
    const seen = s.timeoutSeen.observe(tm.signerIndex, t.round, {
      rootHex: String(t.highQcRound),
      message: t,
      signature: tm.signature,
      verified: true,
    });
    if (seen.kind === "full") {
      s.drop("pending_full", input, from);
      return;
    }
    if (seen.kind === "same") {
      // Re-broadcasts are normal; the certificates they carry may still help a lagging node.
      this.absorbCertificates(tm, from, input);
      s.drop("duplicate", input, from);
      return;
    }
    if (seen.kind === "conflict") {
      if (s.timeoutSeen.markEmitted(tm.signerIndex, t.round)) {
        s.out.push({
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
      s.drop("duplicate", input, from, "equivocating timeout");
      return;
    }
    if (!this.absorbCertificates(tm, from, input)) return;
    if (t.round < s.round) {
      s.drop("stale_round", input, from);
      return;
    }
    if (!s.timeouts.hasRound(t.round) && s.timeouts.roundsHeld() >= s.limits.maxPendingRounds) {
      s.drop("pending_full", input, from);
      return;
    }
    const tc = s.timeouts.add(s.committee, t.round, tm.signerIndex, t.highQcRound, tm.signature);
    if (tc !== null) {
      s.committee.trustTc(tc); // our own aggregate of verified timeouts
      this.p.certificates.processTc(tc);
      return;
    }
    // Bracha-style join: more than 1/3 timed out, so at least one honest node did; follow them
    // (a timeout restored by a restart is sent and counted then too).
    if (
      t.round === s.round &&
      (s.timeoutSentRound !== s.round || s.restoredTimeoutRound === s.round) &&
      s.committee.isOneThird(s.timeouts.powerAt(t.round))
    ) {
      this.p.rounds.localTimeout();
    }
  }

  /** Processes the high QC and last TC a timeout carries; false (and counted) when invalid. */
  private absorbCertificates(tm: TimeoutMessage, from: number, input: ConsensusInput | "message"): boolean {
    const s = this.s;
    const qcCheck = this.p.certificates.processQc(tm.highQc, from);
    if (qcCheck !== "ok") {
      s.drop("bad_certificate", input, from, `timeout high qc: ${qcCheck}`);
      return false;
    }
    if (s.committee.epoch !== tm.timeout.epoch) return false; // its QC ended the epoch
    if (tm.lastTc.length === 1) {
      const tcCheck = this.p.certificates.processTc(tm.lastTc[0]);
      if (tcCheck !== "ok") {
        s.drop("bad_certificate", input, from, `timeout last tc: ${tcCheck}`);
        return false;
      }
    }
    return true;
  }
}
