/**
 * A minimal in-test network for the consensus core: N cores, a virtual clock, a seeded PRNG for
 * delays/drops/reordering, immediate fsync acks, and optional Byzantine behaviours implemented
 * OUTSIDE the core (a double voter and an equivocating proposer re-sign with the node's key).
 * The full simulator lives in sim/; this is only enough to check core properties.
 */

import {
  BlsScheme,
  BlsSigner,
  ConsensusCore,
  type ConsensusInput,
  type ConsensusModules,
  type ConsensusOpts,
  type Effect,
  type Evidence,
  InsecureTestScheme,
  initialSafetyData,
  insecureTestCommittee,
  type SafetyData,
  type SafetyRules,
  type SignatureScheme,
  type Signer,
  type ValidatorInfo,
} from "../../../src/consensus/index.ts";
import { secretKeyFromSeed } from "../../../src/crypto/index.ts";
import {
  type Block,
  BlockHeader,
  Justification,
  MiniBlockPayload,
  type SignedVote,
  signingRootOfHeader,
  signingRootOfVote,
} from "../../../src/types/index.ts";

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface NetOpts {
  powers: (number | bigint)[];
  seed: number;
  /** Probability that one message delivery is lost. */
  dropRate?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  byzantine?: { doubleVoters?: number[]; equivocatingProposers?: number[]; silent?: number[] };
  leaderTermRounds?: number;
  reputationWindow?: number;
  epochLengthRounds?: number;
  baseTimeoutMs?: number;
  safetyRules?: SafetyRules;
  /** "bls" runs real BLS12-381 signatures (slow: keep such runs short). */
  scheme?: "insecure" | "bls";
  /** Links (from -> to) that drop everything while `partitioned(now)` is true. */
  partition?: { until: number; groups: number[][] };
  limits?: ConsensusOpts["limits"];
}

interface Event {
  at: number;
  seq: number;
  to: number;
  input: ConsensusInput;
}

export class Net {
  readonly cores: ConsensusCore[] = [];
  readonly validators: ValidatorInfo[];
  readonly signers: Signer[];
  readonly scheme: SignatureScheme;
  readonly commits: string[][] = [];
  readonly commitRounds: number[][] = [];
  readonly evidence: Evidence[][] = [];
  readonly persisted: (SafetyData | null)[] = [];
  readonly effects: Effect[][] = [];
  readonly opts: NetOpts;
  readonly rand: () => number;
  now = 0;
  private queue: Event[] = [];
  private seq = 0;
  private timers: Map<string, number>[] = [];
  private committedBlocks: Block[][] = [];
  private readonly byz: Set<number>;

  constructor(opts: NetOpts) {
    this.opts = opts;
    this.rand = prng(opts.seed);
    const committee = insecureTestCommittee(opts.powers);
    if (opts.scheme === "bls") {
      const signers = opts.powers.map(
        (_, i) => new BlsSigner(secretKeyFromSeed(new Uint8Array(32).fill(i + 1))),
      );
      this.signers = signers;
      this.validators = committee.validators.map((v, i) => ({ ...v, pubkey: signers[i].pubkey }));
      this.scheme = new BlsScheme();
    } else {
      this.validators = committee.validators;
      this.signers = committee.signers;
      this.scheme = new InsecureTestScheme();
    }
    this.byz = new Set([
      ...(opts.byzantine?.doubleVoters ?? []),
      ...(opts.byzantine?.equivocatingProposers ?? []),
      ...(opts.byzantine?.silent ?? []),
    ]);
    for (let i = 0; i < this.validators.length; i++) {
      this.cores.push(this.makeCore(i));
      this.commits.push([]);
      this.commitRounds.push([]);
      this.evidence.push([]);
      this.persisted.push(null);
      this.effects.push([]);
      this.timers.push(new Map());
      this.committedBlocks.push([]);
    }
  }

  coreOpts(i: number): ConsensusOpts {
    return {
      chainId: 4242,
      epoch: 0,
      validators: this.validators,
      selfIndex: i,
      timing: { baseTimeoutMs: this.opts.baseTimeoutMs ?? 200, backoffFactor: 1.5, maxTimeoutMs: 5000 },
      leaderTermRounds: this.opts.leaderTermRounds ?? 1,
      reputationWindow: this.opts.reputationWindow ?? 0,
      epochLengthRounds: this.opts.epochLengthRounds ?? 0,
      limits: this.opts.limits,
    };
  }

  makeCore(i: number, restored?: ConsensusModules["restored"]): ConsensusCore {
    const modules: ConsensusModules = { scheme: this.scheme, signer: this.signers[i] };
    if (this.opts.safetyRules !== undefined) modules.safetyRules = this.opts.safetyRules;
    if (restored !== undefined) modules.restored = restored;
    return new ConsensusCore(this.coreOpts(i), modules);
  }

  isHonest(i: number): boolean {
    return !this.byz.has(i);
  }

  private push(at: number, to: number, input: ConsensusInput): void {
    const ev = { at, seq: this.seq++, to, input };
    // Keep the queue sorted by (at, seq); the networks here are small.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const q = this.queue[mid];
      if (q.at < at || (q.at === at && q.seq < ev.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, ev);
  }

  private delay(): number {
    const min = this.opts.minDelayMs ?? 1;
    const max = this.opts.maxDelayMs ?? 10;
    return min + Math.floor(this.rand() * (max - min + 1));
  }

  private cut(from: number, to: number, at: number): boolean {
    const p = this.opts.partition;
    if (p !== undefined && at < p.until) {
      const gf = p.groups.findIndex((g) => g.includes(from));
      const gt = p.groups.findIndex((g) => g.includes(to));
      if (gf !== gt) return true;
    }
    return this.rand() < (this.opts.dropRate ?? 0);
  }

  private deliver(from: number, to: number, input: ConsensusInput): void {
    if (this.cut(from, to, this.now)) return;
    this.push(this.now + this.delay(), to, input);
  }

  start(): void {
    for (let i = 0; i < this.cores.length; i++) this.push(0, i, { type: "start", nowMs: 0 });
  }

  /** Runs until virtual time `untilMs` or until the queue is empty. */
  run(untilMs: number): void {
    while (this.queue.length > 0 && this.queue[0].at <= untilMs) {
      const ev = this.queue.shift() as Event;
      this.now = ev.at;
      if (ev.input.type === "timer") {
        const key = `${ev.input.timer.epoch}/${ev.input.timer.round}`;
        if (this.timers[ev.to].get(key) !== ev.at) continue; // replaced or cancelled
        this.timers[ev.to].delete(key);
      }
      const input = { ...ev.input, nowMs: this.now } as ConsensusInput;
      const effects = this.cores[ev.to].handle(input);
      this.apply(ev.to, effects);
    }
    this.now = untilMs;
  }

  /** Simulates a crash + restart that keeps the persisted safety data and the committed tip. */
  restart(i: number): void {
    const snapshot = this.cores[i].snapshot();
    const safety = this.persisted[i];
    this.timers[i].clear();
    this.queue = this.queue.filter((e) => e.to !== i);
    this.cores[i] = this.makeCore(i, { safety: safety ?? initialSafetyData(snapshot.epoch), snapshot });
    this.push(this.now, i, { type: "start", nowMs: this.now });
  }

  private apply(i: number, effects: Effect[]): void {
    for (const e of effects) {
      this.effects[i].push(e);
      switch (e.type) {
        case "broadcast":
          this.onBroadcast(i, e);
          break;
        case "sendTo":
          if (this.opts.byzantine?.silent?.includes(i)) break;
          this.deliver(i, e.to, { type: "message", nowMs: 0, from: i, message: e.message });
          if (e.message.kind === "vote" && this.opts.byzantine?.doubleVoters?.includes(i)) {
            this.doubleVote(i, e.to, e.message.vote);
          }
          break;
        case "persistSafety":
          this.persisted[i] = e.data;
          this.push(this.now, i, { type: "safetyPersisted", nowMs: 0, seq: e.seq });
          break;
        case "yield":
          this.push(this.now, i, { type: "resume", nowMs: 0 });
          break;
        case "commit":
          for (const b of e.blocks) {
            this.commits[i].push(Buffer.from(b.root).toString("hex"));
            this.commitRounds[i].push(b.block.header.round);
            this.committedBlocks[i].push(b.block);
          }
          break;
        case "setTimer": {
          const at = this.now + e.delayMs;
          this.timers[i].set(`${e.timer.epoch}/${e.timer.round}`, at);
          this.push(at, i, { type: "timer", nowMs: 0, timer: e.timer });
          break;
        }
        case "requestPayload": {
          const payload: MiniBlockPayload = {
            timestampUs: this.now * 1000,
            l1OriginNumber: 1,
            l1OriginHash: new Uint8Array(32),
            deposits: [],
            txs: [Uint8Array.of(i, e.round & 0xff, (e.round >> 8) & 0xff)],
          };
          this.push(this.now, i, {
            type: "payload",
            nowMs: 0,
            epoch: e.epoch,
            round: e.round,
            payload,
            stateBlockNumber: 0,
            stateRoot: new Uint8Array(32),
          });
          break;
        }
        case "fetchBlocks": {
          const peer = e.from;
          const committed = this.committedBlocks[peer].filter(
            (b) => b.header.epoch === e.epoch && b.header.round > e.afterRound,
          );
          const tree = this.cores[peer].blocksForFetch(e.epoch, e.afterRound, null);
          const blocks = [...committed, ...tree].slice(0, 256);
          const qc = this.cores[peer].fetchQc(e.epoch);
          this.deliver(peer, i, {
            type: "blocksFetched",
            nowMs: 0,
            from: peer,
            blocks,
            ...(qc === null ? {} : { qc }),
          });
          break;
        }
        case "evidence":
          this.evidence[i].push(e.evidence);
          break;
        default:
          break;
      }
    }
  }

  private onBroadcast(i: number, e: Extract<Effect, { type: "broadcast" }>): void {
    if (this.opts.byzantine?.silent?.includes(i)) return;
    const n = this.cores.length;
    const others = [...Array(n).keys()].filter((j) => j !== i);
    if (e.message.kind === "proposal" && this.opts.byzantine?.equivocatingProposers?.includes(i)) {
      const twin = this.twinProposal(i, e.message.block);
      others.forEach((j, k) => {
        const block = k % 2 === 0 ? (e.message.kind === "proposal" ? e.message.block : twin) : twin;
        this.deliver(i, j, { type: "message", nowMs: 0, from: i, message: { kind: "proposal", block } });
      });
      return;
    }
    for (const j of others) this.deliver(i, j, { type: "message", nowMs: 0, from: i, message: e.message });
  }

  /** A second, different proposal for the same round signed with the proposer's key. */
  private twinProposal(i: number, block: Block): Block {
    const payload: MiniBlockPayload = { ...block.payload, txs: [...block.payload.txs, Uint8Array.of(0xee)] };
    const header: BlockHeader = {
      ...block.header,
      payloadRoot: MiniBlockPayload.hashTreeRoot(payload),
      justifyRoot: Justification.hashTreeRoot(block.justify),
    };
    return { ...block, header, payload, signature: this.signers[i].sign(signingRootOfHeader(4242, header)) };
  }

  /** A conflicting vote for a random other block root, sent to everyone but the real recipient. */
  private doubleVote(i: number, realTo: number, sv: SignedVote): void {
    const blockRoot = new Uint8Array(32);
    for (let k = 0; k < 32; k++) blockRoot[k] = Math.floor(this.rand() * 256);
    const vote = { ...sv.vote, blockRoot };
    const forged: SignedVote = {
      vote,
      signerIndex: i,
      signature: this.signers[i].sign(signingRootOfVote(4242, vote)),
    };
    for (let j = 0; j < this.cores.length; j++) {
      if (j === i) continue;
      const to = j === realTo ? j : j;
      this.deliver(i, to, { type: "message", nowMs: 0, from: i, message: { kind: "vote", vote: forged } });
    }
  }

  /** Honest nodes' commit logs are prefixes of one another. */
  agreement(): { ok: boolean; detail: string } {
    const honest = [...this.cores.keys()].filter((i) => this.isHonest(i));
    for (const a of honest) {
      for (const b of honest) {
        const la = this.commits[a];
        const lb = this.commits[b];
        const n = Math.min(la.length, lb.length);
        for (let k = 0; k < n; k++) {
          if (la[k] !== lb[k]) return { ok: false, detail: `nodes ${a} and ${b} differ at height ${k}` };
        }
      }
    }
    return { ok: true, detail: "" };
  }

  minHonestHeight(): number {
    return Math.min(
      ...[...this.cores.keys()].filter((i) => this.isHonest(i)).map((i) => this.commits[i].length),
    );
  }
}

export { BlockHeader };
