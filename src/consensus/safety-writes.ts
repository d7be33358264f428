/**
 * The safety-write pipeline. Every change to the safety data is a `persistSafety` effect with a
 * sequence number; what must not happen before the write is durable (sending a vote or a
 * timeout) is held until the host acks that seq. Work that may overlap the write (signing the
 * vote) is deferred behind a `yield` effect and run on `resume`.
 */
import type { CoreState } from "./core-state.ts";
import type { ConsensusInput, SafetyData } from "./types.ts";

interface HeldRelease {
  seq: number;
  release: () => void;
}

export function cloneSafety(d: SafetyData): SafetyData {
  // Records written before proposalReservedRound existed lack it: their proposals were covered
  // by lastVotedRound, which maybePropose checks anyway.
  return { ...d, proposalReservedRound: d.proposalReservedRound ?? 0 };
}

export class SafetyWrites {
  private readonly s: CoreState;
  private persistSeq = 0;
  /** Highest persist seq the host acknowledged (durable). */
  private ackedSeq = 0;
  private held: HeldRelease[] = [];
  /** Put off until the host feeds {type:"resume"} (see defer). */
  private deferred: (() => void)[] = [];

  constructor(state: CoreState) {
    this.s = state;
  }

  /** Updates safety data and holds `release` until the host acks the write; returns its seq. */
  persist(data: SafetyData, release: (() => void) | null): number {
    this.s.safety = data;
    const seq = ++this.persistSeq;
    this.s.out.push({ type: "persistSafety", seq, data: cloneSafety(data) });
    if (release !== null) this.held.push({ seq, release });
    return seq;
  }

  /** Runs `release` now when write `seq` is already durable, else when the host acks it. */
  afterDurable(seq: number, release: () => void): void {
    if (this.ackedSeq >= seq) release();
    else this.held.push({ seq, release });
  }

  /** Work that may wait until the effects already returned have started (see the "yield" effect). */
  defer(work: () => void): void {
    if (this.deferred.length === 0) this.s.out.push({ type: "yield" });
    this.deferred.push(work);
  }

  onResume(): void {
    const work = this.deferred;
    this.deferred = [];
    for (const w of work) w();
  }

  onSafetyPersisted(input: Extract<ConsensusInput, { type: "safetyPersisted" }>): void {
    if (input.seq > this.persistSeq || input.seq < 1) {
      this.s.drop("unexpected_ack", input, null);
      return;
    }
    if (input.seq > this.ackedSeq) this.ackedSeq = input.seq;
    const ready = this.held.filter((h) => h.seq <= input.seq);
    this.held = this.held.filter((h) => h.seq > input.seq);
    for (const h of ready) h.release();
  }
}
