/**
 * Round pacing: enter round r (via QC(r-1), TC(r-1) or start), arm the round timer with backoff,
 * and when it fires sign this node's timeout once (re-broadcast after, never re-signed).
 */
import { signingRootOfTimeout, type Timeout, type TimeoutMessage } from "../types/index.ts";
import type { CoreParts } from "./core-parts.ts";
import type { CoreState } from "./core-state.ts";
import { leaderForRound } from "./round-leader.ts";
import type { ConsensusInput, SafetyData } from "./types.ts";

export class RoundPacer {
  private readonly s: CoreState;
  private readonly p: CoreParts;

  constructor(state: CoreState, parts: CoreParts) {
    this.s = state;
    this.p = parts;
  }

  onStart(): void {
    const s = this.s;
    if (s.started) {
      s.drop("duplicate", "start", null);
      return;
    }
    s.started = true;
    this.enterRound(s.highQc.round + 1, "start");
  }

  enterRound(round: number, via: "qc" | "tc" | "start"): void {
    const s = this.s;
    if (round <= s.round || s.epochEnded !== null) return;
    s.round = round;
    if (via === "qc") s.consecutiveTimeouts = 0;
    else if (via === "tc") s.consecutiveTimeouts += 1;
    s.votes.pruneBelow(round - 1);
    s.timeouts.pruneBelow(round - 1);
    if (round % 16 === 0) {
      // Amortized: the records are also capped in number, so pruning need not run every round.
      const keepFrom = round - s.limits.maxRoundsAhead;
      s.voteSeen.pruneBelow(keepFrom);
      s.proposalSeen.pruneBelow(keepFrom);
      s.timeoutSeen.pruneBelow(keepFrom);
    }
    for (const r of s.pendingProposals.keys()) if (r < round) s.pendingProposals.delete(r);
    const leader = leaderForRound(s, round);
    s.out.push({ type: "roundEntered", epoch: s.committee.epoch, round, leader: leader ?? -1, via });
    s.out.push({
      type: "setTimer",
      timer: { epoch: s.committee.epoch, round },
      delayMs: this.timeoutMs(),
    });
    if (leader === null && s.highQc.round > s.committedRound) {
      this.p.catchUp.requestFetch(null, s.highQc.blockRoot, s.highQc.round);
    }
    this.p.proposer.maybePropose();
    const pending = s.pendingProposals.get(round);
    if (pending !== undefined) {
      s.pendingProposals.delete(round);
      this.p.proposalIntake.onProposal(pending.block, pending.from, pending.checks, "live");
    }
  }

  onTimer(input: Extract<ConsensusInput, { type: "timer" }>): void {
    const s = this.s;
    const { timer } = input;
    if (timer.epoch !== s.committee.epoch || timer.round !== s.round || s.epochEnded !== null) {
      s.drop("stale_timer", input, null);
      return;
    }
    s.fetchInFlight = null;
    if (s.tree.get(s.highQc.blockRoot) === undefined && s.highQc.round > s.committedRound) {
      this.p.catchUp.requestFetch(null, s.highQc.blockRoot, s.highQc.round);
    }
    this.localTimeout();
    s.out.push({ type: "setTimer", timer, delayMs: this.timeoutMs() });
  }

  /** Signs (once) or re-broadcasts this node's timeout for the current round. */
  localTimeout(): void {
    const s = this.s;
    if (s.self === null || s.modules.signer === undefined) return;
    const round = s.round;
    const last = s.safety.lastTimeout;
    if (last !== null && last.timeout.epoch === s.committee.epoch && last.timeout.round === round) {
      // Sent already (or durable since before a restart): send it again; until its write is
      // acked it is neither (the ack sends it). A restored one is also counted here, once.
      if (s.timeoutSentRound === round) {
        s.out.push({ type: "broadcast", message: { kind: "timeout", timeout: last } });
        if (s.restoredTimeoutRound === round) {
          s.restoredTimeoutRound = 0;
          this.p.timeoutIntake.onTimeoutMessage(last, s.self, true, "message");
        }
      }
      return;
    }
    const lastTcRound = s.lastTc !== null && s.lastTc.round === round - 1 ? s.lastTc.round : 0;
    const reason = s.rules.checkTimeout(s.safety, {
      epoch: s.committee.epoch,
      round,
      highQcRound: s.highQc.round,
      lastTcRound,
    });
    if (reason !== null) {
      s.drop("safety_rule", "timer", null, `timeout refused: ${reason}`);
      return;
    }
    const timeout: Timeout = { epoch: s.committee.epoch, round, highQcRound: s.highQc.round };
    const signature = s.modules.signer.sign(signingRootOfTimeout(s.opts.chainId, timeout));
    const message: TimeoutMessage = {
      timeout,
      signerIndex: s.self,
      signature,
      highQc: s.highQc,
      lastTc: lastTcRound > 0 && s.lastTc !== null ? [s.lastTc] : [],
    };
    const next: SafetyData = {
      ...s.safety,
      lastVotedRound: Math.max(s.safety.lastVotedRound, round),
      oneChainRound: Math.max(s.safety.oneChainRound, s.highQc.round),
      highestTimeoutRound: round,
      lastTimeout: message,
    };
    this.p.writes.persist(next, () => {
      s.timeoutSentRound = round;
      s.out.push({ type: "broadcast", message: { kind: "timeout", timeout: message } });
      this.p.timeoutIntake.onTimeoutMessage(message, s.self as number, true, "message");
    });
  }

  private timeoutMs(): number {
    const t = this.s.opts.timing;
    const ms = t.baseTimeoutMs * t.backoffFactor ** Math.min(this.s.consecutiveTimeouts, 64);
    return Math.min(t.maxTimeoutMs, Math.round(ms));
  }
}
