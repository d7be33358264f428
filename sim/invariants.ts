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
  trace: TraceLine[];
}

export interface LivenessSpec {
  afterMs: number;
  withinMs: number;
  minCommits: number;
}

export interface InvariantInput {
  honest: (validator: number) => boolean;
  commits: readonly CommitRecord[];
  signed: readonly SignedRecord[];
  evidence: readonly EvidenceRecord[];
  /** Which validators received which signed messages: "signer/kind/epoch/round/digest" keys. */
  received: ReadonlyMap<number, ReadonlySet<string>>;
  liveness: LivenessSpec | undefined;
  durationMs: number;
  /** Honest validators that were running for the whole liveness window. */
  upThroughLiveness: readonly number[];
  trace: (step: number) => TraceLine[];
  /** The last step of the run: where a liveness failure is reported. */
  finalStep: number;
}

export interface InvariantResult {
  status: Record<InvariantName, InvariantStatus>;
  violations: Violation[];
}

export function signedKey(r: Pick<SignedRecord, "signer" | "kind" | "epoch" | "round">): string {
  return `${r.signer}/${r.kind}/${r.epoch}/${r.round}`;
}

/** Checks every invariant over a finished run. */
export function checkInvariants(input: InvariantInput): InvariantResult {
  const violations: Violation[] = [];
  const add = (invariant: InvariantName, step: number, atMs: number, message: string): void => {
    violations.push({ invariant, step, atMs, message, trace: input.trace(step) });
  };
  const status: Record<InvariantName, InvariantStatus> = {
    agreement: "ok",
    noDoubleSign: "ok",
    singleChain: "ok",
    liveness: "n/a",
    evidence: "n/a",
  };

  // Agreement: one block per height among honest nodes. Commits are in step order, so the first
  // conflicting one found is the earliest.
  const atHeight = new Map<number, CommitRecord>();
  for (const c of input.commits) {
    if (!input.honest(c.node)) continue;
    const first = atHeight.get(c.height);
    if (first === undefined) atHeight.set(c.height, c);
    else if (first.blockId !== c.blockId && status.agreement === "ok") {
      status.agreement = "violated";
      add(
        "agreement",
        c.step,
        c.atMs,
        `height ${c.height}: node ${first.node} committed ${short(first.blockId)}, node ${c.node} committed ${short(c.blockId)}`,
      );
    }
  }

  // Single chain: each node's commits have consecutive heights and link by parent.
  const lastOf = new Map<string, CommitRecord>();
  for (const c of input.commits) {
    if (!input.honest(c.node)) continue;
    const key = `${c.node}/${c.instance}`;
    const prev = lastOf.get(key);
    lastOf.set(key, c);
    if (prev === undefined || status.singleChain === "violated") continue;
    const broken = c.height !== prev.height + 1 || (c.parentId !== undefined && c.parentId !== prev.blockId);
    if (broken) {
      status.singleChain = "violated";
      add(
        "singleChain",
        c.step,
        c.atMs,
        `node ${c.node} committed ${short(c.blockId)} at height ${c.height} (parent ${short(c.parentId ?? "?")}) after ${short(prev.blockId)} at height ${prev.height}`,
      );
    }
  }

  // No double sign by honest validators; collect equivocations by the others for the evidence check.
  const firstSigned = new Map<string, SignedRecord>();
  const equivocations: { a: SignedRecord; b: SignedRecord }[] = [];
  for (const s of input.signed) {
    const key = signedKey(s);
    const first = firstSigned.get(key);
    if (first === undefined) {
      firstSigned.set(key, s);
      continue;
    }
    if (first.digest === s.digest) continue;
    if (input.honest(s.signer)) {
      if (status.noDoubleSign === "ok") {
        status.noDoubleSign = "violated";
        add(
          "noDoubleSign",
          s.step,
          s.atMs,
          `honest validator ${s.signer} signed two ${s.kind}s for epoch ${s.epoch} round ${s.round}: ${short(first.digest)} and ${short(s.digest)}`,
        );
      }
    } else {
      equivocations.push({ a: first, b: s });
    }
  }

  // Every equivocation that one honest node saw both halves of becomes evidence at some honest node.
  const seen = (v: number, r: SignedRecord): boolean =>
    input.received.get(v)?.has(`${signedKey(r)}/${r.digest}`) ?? false;
  const reported = new Set(
    input.evidence.filter((e) => input.honest(e.reporter)).map((e) => `${e.offender}/${e.round}`),
  );
  const checked = new Set<string>();
  for (const { a, b } of equivocations) {
    const id = `${signedKey(a)}/${a.digest}/${b.digest}`;
    if (checked.has(id)) continue;
    checked.add(id);
    const witnessed = [...input.received.keys()].some((v) => input.honest(v) && seen(v, a) && seen(v, b));
    if (!witnessed) continue;
    if (status.evidence === "n/a") status.evidence = "ok";
    if (!reported.has(`${a.signer}/${a.round}`) && status.evidence === "ok") {
      status.evidence = "violated";
      add(
        "evidence",
        b.step,
        b.atMs,
        `validator ${a.signer} signed two ${a.kind}s for round ${a.round}, an honest node received both, and no honest node reported it`,
      );
    }
  }

  // Liveness: after the faults end, every honest running node commits within the bound.
  const spec = input.liveness;
  if (spec !== undefined && spec.afterMs + spec.withinMs <= input.durationMs) {
    status.liveness = "ok";
    const deadline = spec.afterMs + spec.withinMs;
    for (const v of input.upThroughLiveness) {
      const count = input.commits.filter(
        (c) => c.node === v && c.atMs > spec.afterMs && c.atMs <= deadline,
      ).length;
      if (count < spec.minCommits) {
        status.liveness = "violated";
        add(
          "liveness",
          input.finalStep,
          deadline,
          `node ${v} committed ${count} block(s) between ${spec.afterMs} ms and ${deadline} ms; at least ${spec.minCommits} required`,
        );
        break;
      }
    }
  }

  return { status, violations };
}

function short(id: string): string {
  return id.length > 12 ? `${id.slice(0, 10)}..` : id;
}
