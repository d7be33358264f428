import type { CommitRecord, EvidenceRecord, SignedRecord, TraceLine } from "./records.ts";

export type InvariantName = "agreement" | "noDoubleSign" | "singleChain" | "liveness" | "evidence";
export type InvariantStatus = "ok" | "violated" | "n/a";
export const INVARIANTS: readonly InvariantName[] = [
  "agreement",
  "noDoubleSign",
  "singleChain",
  "liveness",
  "evidence",
];

export interface Violation {
  invariant: InvariantName;
  /** The simulation step (event number) at which it became visible. */
  step: number;
  atMs: number;
  message: string;
  /** The last events before the step. */
  trace: TraceLine[];
}

export interface LivenessSpec {
  afterMs: number;
  withinMs: number;
  minCommits: number;
}

export interface InvariantResult {
  status: Record<InvariantName, InvariantStatus>;
  violations: Violation[];
}

function signedKey(r: Pick<SignedRecord, "signer" | "kind" | "epoch" | "round">): string {
  return `${r.signer}/${r.kind}/${r.epoch}/${r.round}`;
}

/**
 * Watches a run as it happens: agreement, single chain and double signing are checked at the
 * step they break (so the trace shows what led there); evidence and liveness at the end.
 */
export class InvariantMonitor {
  private readonly honest: (validator: number) => boolean;
  private readonly trace: () => TraceLine[];
  private readonly status: Record<InvariantName, InvariantStatus> = {
    agreement: "ok",
    noDoubleSign: "ok",
    singleChain: "ok",
    liveness: "n/a",
    evidence: "n/a",
  };
  private readonly violations: Violation[] = [];
  private readonly blockAtHeight = new Map<number, CommitRecord>();
  private readonly lastCommitOf = new Map<string, CommitRecord>();
  private readonly firstSigned = new Map<string, SignedRecord>();
  /** Byzantine equivocations: two signed messages of one signer for one key. */
  private readonly equivocations: { a: SignedRecord; b: SignedRecord }[] = [];
  /** Which honest node incarnations received which Byzantine-signed messages ("key/digest"). */
  private readonly received = new Map<string, Set<string>>();
  private readonly reported = new Set<string>();
  private readonly commitTimes = new Map<number, number[]>();

  constructor(opts: { honest: (validator: number) => boolean; trace: () => TraceLine[] }) {
    this.honest = opts.honest;
    this.trace = opts.trace;
  }

  onCommit(c: CommitRecord): void {
    if (!this.honest(c.node)) return;
    const times = this.commitTimes.get(c.node) ?? [];
    if (times.length === 0) this.commitTimes.set(c.node, times);
    times.push(c.atMs);
    const first = this.blockAtHeight.get(c.height);
    if (first === undefined) this.blockAtHeight.set(c.height, c);
    else if (first.blockId !== c.blockId) {
      this.violate(
        "agreement",
        c.step,
        c.atMs,
        `height ${c.height}: node ${first.node} committed ${short(first.blockId)}, node ${c.node} committed ${short(c.blockId)}`,
      );
    }
    const key = `${c.node}/${c.instance}`;
    const prev = this.lastCommitOf.get(key);
    this.lastCommitOf.set(key, c);
    if (prev !== undefined) {
      const broken =
        c.height !== prev.height + 1 || (c.parentId !== undefined && c.parentId !== prev.blockId);
      if (broken) {
        this.violate(
          "singleChain",
          c.step,
          c.atMs,
          `node ${c.node} committed ${short(c.blockId)} at height ${c.height} (parent ${short(c.parentId ?? "?")}) after ${short(prev.blockId)} at height ${prev.height}`,
        );
      }
    }
  }

  /** A signed message left a node (its first send; copies to many peers are one record). */
  onSigned(s: SignedRecord): void {
    const key = signedKey(s);
    const first = this.firstSigned.get(key);
    if (first === undefined) {
      this.firstSigned.set(key, s);
      return;
    }
    if (first.digest === s.digest) return;
    if (this.honest(s.signer)) {
      this.violate(
        "noDoubleSign",
        s.step,
        s.atMs,
        `honest validator ${s.signer} signed two ${s.kind}s for epoch ${s.epoch} round ${s.round}: ${short(first.digest)} and ${short(s.digest)}`,
      );
    } else if (!this.equivocations.some((e) => signedKey(e.a) === key && e.b.digest === s.digest)) {
      this.equivocations.push({ a: first, b: s });
    }
  }

  /** Whether deliveries of this signer's messages need recording (only Byzantine ones do). */
  tracksReceipt(signer: number): boolean {
    return !this.honest(signer);
  }

  /**
   * An honest node received a Byzantine-signed message. `witness` names the node's incarnation:
   * a node that crashed between the two halves of an equivocation could not have reported it.
   */
  onReceived(
    receiver: number,
    witness: string,
    s: Pick<SignedRecord, "signer" | "kind" | "epoch" | "round" | "digest">,
  ): void {
    if (!this.honest(receiver) || this.honest(s.signer)) return;
    const id = `${signedKey(s)}/${s.digest}`;
    const set = this.received.get(id) ?? new Set<string>();
    if (set.size === 0) this.received.set(id, set);
    set.add(witness);
  }

  onEvidence(e: EvidenceRecord): void {
    if (this.honest(e.reporter)) this.reported.add(`${e.offender}/${e.kind}/${e.round}`);
  }

  /** Closes the run: evidence and liveness, then the verdict. */
  finish(opts: {
    liveness: LivenessSpec | undefined;
    durationMs: number;
    upThroughLiveness: number[];
    finalStep: number;
  }): InvariantResult {
    for (const { a, b } of this.equivocations) {
      const seenA = this.received.get(`${signedKey(a)}/${a.digest}`);
      const seenB = this.received.get(`${signedKey(b)}/${b.digest}`);
      const witnessed = seenA !== undefined && seenB !== undefined && [...seenA].some((v) => seenB.has(v));
      if (!witnessed) continue;
      if (this.status.evidence === "n/a") this.status.evidence = "ok";
      if (!this.reported.has(`${a.signer}/${a.kind}/${a.round}`)) {
        this.violate(
          "evidence",
          b.step,
          b.atMs,
          `validator ${a.signer} signed two ${a.kind}s for round ${a.round}, an honest node received both, and no honest node reported it`,
        );
      }
    }
    const spec = opts.liveness;
    if (spec !== undefined && spec.afterMs + spec.withinMs <= opts.durationMs) {
      this.status.liveness = "ok";
      const deadline = spec.afterMs + spec.withinMs;
      for (const v of opts.upThroughLiveness) {
        const count = (this.commitTimes.get(v) ?? []).filter((t) => t > spec.afterMs && t <= deadline).length;
        if (count < spec.minCommits) {
          this.violate(
            "liveness",
            opts.finalStep,
            deadline,
            `node ${v} committed ${count} block(s) between ${spec.afterMs} ms and ${deadline} ms; at least ${spec.minCommits} required`,
          );
          break;
        }
      }
    }
    return { status: { ...this.status }, violations: [...this.violations] };
  }

  /** True once any invariant broke (a sweep may stop a run early). */
  get violated(): boolean {
    return this.violations.length > 0;
  }

  private violate(invariant: InvariantName, step: number, atMs: number, message: string): void {
    if (this.status[invariant] === "violated") return;
    this.status[invariant] = "violated";
    this.violations.push({ invariant, step, atMs, message, trace: this.trace() });
  }
}

function short(id: string): string {
  return id.length > 12 ? `${id.slice(0, 10)}..` : id;
}
