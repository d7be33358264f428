import { createHash } from "node:crypto";
import {
  ConsensusCore,
  type ConsensusInput,
  type ConsensusMessage,
  type ConsensusOpts,
  type CoreSnapshot,
  type DropReason,
  type Effect,
  initialSafetyData,
  type SafetyRules,
  type Signer,
} from "../src/consensus/index.ts";
import { type Block, BlockHeader, Timeout, Vote } from "../src/types/index.ts";
import { buildCommittee, type Committee } from "./committee.ts";
import { EventQueue } from "./event-queue.ts";
import { InvariantMonitor, type InvariantResult } from "./invariants.ts";
import { type LinkParams, NetworkModel } from "./network.ts";
import { Prng } from "./prng.ts";
import type { Band, SignedKind, TraceLine } from "./records.ts";
import { type Scenario, type ValidatorSpec, validatorSpecs } from "./scenario.ts";
import type { SimNode } from "./sim-node.ts";
import { expandTimeline, type FaultAction } from "./timeline.ts";
import { CachedVerifier } from "./verify-cache.ts";

type SimEvent =
  | { k: "start"; node: number }
  | { k: "deliver"; node: number; from: number; message: ConsensusMessage; signed: SignedInfo | undefined }
  | { k: "timer"; node: number; inc: number; input: ConsensusInput & { type: "timer" } }
  | { k: "ack"; node: number; inc: number; effect: Effect & { type: "persistSafety" } }
  | { k: "payload"; node: number; inc: number; epoch: number; round: number }
  | { k: "fetched"; node: number; inc: number; from: number; blocks: Block[] }
  | { k: "resume"; node: number }
  /** The core asked (a "yield" effect) to finish its put-off work once its effects have started. */
  | { k: "coreResume"; node: number; inc: number }
  | { k: "fault"; action: FaultAction };

interface SignedInfo {
  signer: number;
  kind: SignedKind;
  epoch: number;
  round: number;
  digest: string;
}

/** Test-only hooks: the way a test injects a deliberately broken rule into the real core. */
export interface SimulationHooks {
  safetyRules?: (validator: number) => SafetyRules;
  /** Stop at the first violation (sweeps looking for a failing seed). */
  stopOnViolation?: boolean;
  /** Called now and then with the fraction of virtual time done (a long run shows progress). */
  onProgress?: (fraction: number) => void;
}

export interface RunStats {
  steps: number;
  messages: {
    sent: Record<SignedKind, number>;
    delivered: number;
    lost: number;
    toDownNode: number;
    duplicated: number;
  };
  timeouts: number;
  drops: Record<string, number>;
  evidence: number;
  fetches: number;
}

export interface RunResult {
  seed: number;
  scenario: string;
  signatureScheme: string;
  safetyRules: string;
  durationMs: number;
  endedAtMs: number;
  commitLogHash: string;
  /** Highest height committed by an honest node. */
  commits: number;
  heights: Record<string, number>;
  rounds: number;
  latencyMs: { p50: number; p99: number; samples: number };
  invariants: InvariantResult["status"];
  violations: InvariantResult["violations"];
  stats: RunStats;
  wallMs: number;
  timeline: {
    heightSeries: Record<string, [number, number][]>;
    bands: Band[];
    leaders: [number, number, number][];
    timeouts: [number, number, number][];
    nodes: { label: string; behaviour: string; stake: number }[];
  };
}

const ZERO32 = new Uint8Array(32);
/** Drop reasons that mean "outside this node's window", not "judged and refused". */
const WINDOW_DROPS: ReadonlySet<DropReason> = new Set<DropReason>([
  "stale_round",
  "too_far_ahead",
  "pending_full",
  "tree_full",
  "wrong_epoch",
  "future_epoch",
  "epoch_ended",
  "not_started",
]);
const TRACE_LINES = 30;
const MAX_FETCH = 256;

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/**
 * N instances of the real consensus core in one process, on a virtual clock, over a seeded,
 * hostile network. Everything random comes from the seed; events at equal times run in the
 * order they were scheduled; so scenario + seed + code give the same run bit for bit.
 */
export class Simulation {
  private readonly scenario: Scenario;
  private readonly seed: number;
  private readonly hooks: SimulationHooks;
  private readonly specs: ValidatorSpec[];
  private readonly committee: Committee;
  private readonly nodes: SimNode[] = [];
  private readonly instancesOf: number[][] = [];
  private readonly queue = new EventQueue<SimEvent>();
  private readonly net: NetworkModel;
  private readonly netRng: Prng;
  private readonly monitor: InvariantMonitor;
  private readonly held = new Map<number, SimEvent[]>();
  private readonly blocks = new Map<string, Block>();
  private readonly heightOf = new Map<string, number>([[hex(ZERO32), 0]]);
  private readonly proposedAt = new Map<string, number>();
  private readonly latencies: number[] = [];
  private readonly traceRing: { step: number; at: number; text: () => string }[] = [];
  private readonly bands: Band[] = [];
  private readonly openBands = new Map<string, Band>();
  private readonly leaders = new Map<number, [number, number]>();
  private readonly timeoutMarks: [number, number, number][] = [];
  private readonly stats: RunStats = {
    steps: 0,
    messages: {
      sent: { proposal: 0, vote: 0, timeout: 0 },
      delivered: 0,
      lost: 0,
      toDownNode: 0,
      duplicated: 0,
    },
    timeouts: 0,
    drops: {},
    evidence: 0,
    fetches: 0,
  };
  private now = 0;
  private step = 0;
  private maxRound = 0;
  private faultsEndMs = 0;

  constructor(opts: { scenario: Scenario; seed: number }, hooks: SimulationHooks = {}) {
    this.scenario = opts.scenario;
    this.seed = opts.seed;
    this.hooks = hooks;
    this.specs = validatorSpecs(opts.scenario);
    const committee = buildCommittee(
      opts.scenario.signatureScheme,
      this.specs.map((v) => v.stake),
    );
    this.committee = {
      ...committee,
      scheme: new CachedVerifier(
        committee.scheme,
        committee.validators.map((v) => v.pubkey),
      ),
    };
    const n = this.specs.length;
    const net = opts.scenario.network;
    const defaults: LinkParams = {
      latency: net.latency,
      loss: net.loss,
      duplicate: net.duplicate,
      reorder: net.reorder,
      reorderDelayMs: net.reorderDelayMs,
    };
    this.net = new NetworkModel({ validators: n, defaults });
    this.netRng = new Prng(opts.seed, "network");
    this.monitor = new InvariantMonitor({
      honest: (v) => this.specs[v].behaviour === "honest",
      trace: () => this.traceLines(),
    });
    if (net.loss > 0) this.openBand("loss", undefined, `loss ${net.loss}`);
    this.createNodes();
    const timeline = expandTimeline(opts.scenario, opts.seed, n);
    this.faultsEndMs = timeline.faultsEndMs;
    for (const node of this.nodes) this.queue.push(0, { k: "start", node: node.id });
    for (const t of timeline.actions) this.queue.push(t.at, { k: "fault", action: t.action });
  }

  /** Runs to the scenario's end (or the first violation when asked) and returns the result. */
  run(): RunResult {
    const started = performance.now();
    const end = this.scenario.durationMs;
    for (;;) {
      const at = this.queue.peekTime();
      if (at === undefined || at > end) break;
      const item = this.queue.pop();
      if (item === undefined) break;
      this.now = item.at;
      this.step++;
      this.dispatch(item.event);
      if (this.hooks.stopOnViolation && this.monitor.violated) break;
      if (this.hooks.onProgress !== undefined && (this.step & 0x3ff) === 0)
        this.hooks.onProgress(this.now / end);
    }
    this.stats.steps = this.step;
    return this.finish(performance.now() - started);
  }

  // ---- set-up ----

  private createNodes(): void {
    const singles = this.specs.map((s, v) => ({ s, v })).filter((x) => !isDual(x.s.behaviour));
    const halfOf = new Map(singles.map((x, i) => [x.v, i < Math.ceil(singles.length / 2) ? 0 : 1]));
    for (const [v, spec] of this.specs.entries()) {
      const dual = isDual(spec.behaviour);
      const ids: number[] = [];
      for (let instance = 0; instance < (dual ? 2 : 1); instance++) {
        const id = this.nodes.length;
        ids.push(id);
        this.nodes.push({
          id,
          validator: v,
          instance,
          label: dual ? `${v}${instance === 0 ? "a" : "b"}` : `${v}`,
          behaviour: spec.behaviour,
          dual,
          half: dual ? instance : (halfOf.get(v) ?? 0),
          core: this.newCore(v, undefined),
          up: true,
          pausedUntil: 0,
          incarnation: 0,
          durable: { safety: null, snapshot: undefined },
          clock: spec.clock,
          known: new Set(),
          bestKnown: undefined,
          bestKnownRound: -1,
          committed: new Set(),
          commitLog: [],
          height: 0,
          round: 0,
          heightSeries: [[0, 0]],
        });
      }
      this.instancesOf.push(ids);
    }
  }

  private coreOpts(v: number): ConsensusOpts {
    const c = this.scenario.consensus;
    return {
      chainId: 1,
      epoch: 1,
      validators: this.committee.validators,
      selfIndex: v,
      timing: {
        baseTimeoutMs: c.baseTimeoutMs,
        backoffFactor: c.backoffFactor,
        maxTimeoutMs: c.maxTimeoutMs,
      },
      leaderTermRounds: c.leaderTermRounds,
      reputationWindow: c.reputationWindow,
      epochLengthRounds: 0,
    };
  }

  private newCore(v: number, node: SimNode | undefined): ConsensusCore {
    const signer: Signer = this.committee.signers[v];
    const safetyRules = this.hooks.safetyRules?.(v);
    const durable = node?.durable;
    const restored =
      durable !== undefined && (durable.safety !== null || durable.snapshot !== undefined)
        ? {
            safety: durable.safety ?? initialSafetyData(this.coreOpts(v).epoch),
            ...(durable.snapshot ? { snapshot: durable.snapshot } : {}),
          }
        : undefined;
    return new ConsensusCore(this.coreOpts(v), {
      scheme: this.committee.scheme,
      signer,
      ...(safetyRules ? { safetyRules } : {}),
      ...(restored ? { restored } : {}),
    });
  }

  // ---- the event loop ----

  private dispatch(e: SimEvent): void {
    if (e.k === "fault") {
      this.applyFault(e.action);
      return;
    }
    const node = this.nodes[e.node];
    if (e.k === "resume") {
      const held = this.held.get(node.id) ?? [];
      this.held.delete(node.id);
      this.closeBand(`pause/${node.id}`);
      for (const h of held) this.queue.push(this.now, h);
      return;
    }
    if (!node.up) {
      if (e.k === "deliver") this.stats.messages.toDownNode++;
      return;
    }
    if ("inc" in e && e.inc !== node.incarnation) return;
    if (node.pausedUntil > this.now) {
      const held = this.held.get(node.id) ?? [];
      if (held.length === 0) this.held.set(node.id, held);
      held.push(e);
      return;
    }
    const nowMs = this.localTime(node);
    switch (e.k) {
      case "start":
        this.feed(node, { type: "start", nowMs });
        break;
      case "deliver":
        this.stats.messages.delivered++;
        if (e.message.kind === "proposal" && e.signed !== undefined)
          this.learnBlock(node, e.signed.digest, e.signed.round);
        {
          const effects = this.feed(node, {
            type: "message",
            nowMs,
            from: e.from,
            message: e.message,
            ...this.hostChecks(node, e.from, e.message),
          });
          // A node owes evidence only for messages it took in: one dropped as outside its window
          // (stale, too far ahead, bounded buffers full) may rightly be forgotten.
          const outOfWindow = effects.some(
            (x) => x.type === "dropped" && x.input === "message" && WINDOW_DROPS.has(x.reason),
          );
          if (!outOfWindow && e.signed !== undefined && this.monitor.tracksReceipt(e.signed.signer)) {
            this.monitor.onReceived(node.validator, `${node.id}/${node.incarnation}`, e.signed);
          }
        }
        break;
      case "timer":
        this.feed(node, { ...e.input, nowMs });
        break;
      case "ack":
        node.durable.safety = e.effect.data;
        this.feed(node, { type: "safetyPersisted", nowMs, seq: e.effect.seq });
        break;
      case "payload":
        this.feed(node, {
          type: "payload",
          nowMs,
          epoch: e.epoch,
          round: e.round,
          // Two instances of one key must build different blocks: that is what equivocation is.
          payload: {
            timestampUs: Math.floor(nowMs * 1000),
            l1OriginNumber: 0,
            l1OriginHash: ZERO32,
            deposits: [],
            txs: node.dual ? [Uint8Array.of(node.instance + 1)] : [],
          },
          stateBlockNumber: 0,
          stateRoot: ZERO32,
        });
        break;
      case "coreResume":
        this.feed(node, { type: "resume", nowMs });
        break;
      case "fetched":
        for (const b of e.blocks)
          this.learnBlock(node, hex(BlockHeader.hashTreeRoot(b.header)), b.header.round);
        this.feed(node, { type: "blocksFetched", nowMs, from: e.from, blocks: e.blocks });
        break;
    }
  }

  /**
   * What the node's host does before a proposal reaches the core: one sent by its proposer over
   * its own (authenticated) connection has only its certificates verified, and goes in with
   * `signatureUnchecked` (docs/consensus.md, "Proposals from their proposer"). Here every link
   * is such a connection. Anything else goes in unverified: the core checks it all.
   */
  private hostChecks(
    node: SimNode,
    from: number,
    message: ConsensusMessage,
  ): { verified?: boolean; signatureUnchecked?: boolean } {
    if (message.kind !== "proposal" || message.block.header.proposerIndex !== from) return {};
    const check = node.core.gossipCheck(message, true);
    if (check.verdict !== "verify") return {};
    const scheme = this.committee.scheme;
    const valid = check.checks.every((c) =>
      c.kind === "multiMessage"
        ? scheme.aggregateVerify(c.publicKeys, c.messages, c.signature)
        : c.publicKeys.length === 1
          ? scheme.verify(c.publicKeys[0], c.messages[0], c.signature)
          : scheme.fastAggregateVerify(c.publicKeys, c.messages[0], c.signature),
    );
    return valid ? { verified: true, signatureUnchecked: true } : {};
  }

  private localTime(node: SimNode): number {
    return Math.max(0, node.clock.offsetMs + this.now * (1 + node.clock.drift));
  }

  private feed(node: SimNode, input: ConsensusInput): Effect[] {
    const effects = node.core.handle(input);
    for (const effect of effects) this.run1(node, effect);
    return effects;
  }

  private run1(node: SimNode, effect: Effect): void {
    switch (effect.type) {
      case "broadcast":
        this.send(node, effect.message, undefined);
        break;
      case "sendTo":
        this.send(node, effect.message, effect.to);
        break;
      case "persistSafety":
        // The ack comes after the simulated fsync; a crash before it loses the write.
        this.queue.push(this.now + this.scenario.network.diskMs, {
          k: "ack",
          node: node.id,
          inc: node.incarnation,
          effect,
        });
        break;
      case "commit":
        this.onCommit(node, effect);
        break;
      case "setTimer": {
        const delay = effect.delayMs / (1 + node.clock.drift);
        this.queue.push(this.now + delay, {
          k: "timer",
          node: node.id,
          inc: node.incarnation,
          input: { type: "timer", nowMs: 0, timer: effect.timer },
        });
        break;
      }
      case "requestPayload":
        this.queue.push(this.now, {
          k: "payload",
          node: node.id,
          inc: node.incarnation,
          epoch: effect.epoch,
          round: effect.round,
        });
        break;
      case "fetchBlocks":
        this.onFetch(node, effect);
        break;
      case "evidence": {
        const ev = effect.evidence;
        const round =
          ev.kind === "vote"
            ? ev.evidence.voteA.round
            : ev.kind === "proposal"
              ? ev.evidence.headerA.round
              : ev.evidence.timeoutA.round;
        this.stats.evidence++;
        this.monitor.onEvidence({
          reporter: node.validator,
          offender: ev.evidence.validatorIndex,
          kind: ev.kind,
          round,
          atMs: this.now,
        });
        this.trace(
          () =>
            `n${node.label} evidence: ${ev.kind} equivocation by ${ev.evidence.validatorIndex} in round ${round}`,
        );
        break;
      }
      case "dropped":
        this.stats.drops[effect.reason] = (this.stats.drops[effect.reason] ?? 0) + 1;
        break;
      case "roundEntered":
        node.round = effect.round;
        if (effect.round > this.maxRound) this.maxRound = effect.round;
        if (!this.leaders.has(effect.round) && node.behaviour === "honest") {
          this.leaders.set(effect.round, [this.now, effect.leader]);
        }
        break;
      case "epochChanged":
        break;
      case "yield":
        this.queue.push(this.now, { k: "coreResume", node: node.id, inc: node.incarnation });
        break;
    }
  }

  // ---- messages ----

  private send(node: SimNode, sent: ConsensusMessage, to: number | undefined): void {
    if (sent.kind === "proposal" && node.behaviour === "silent-leader") return;
    const message =
      sent.kind === "proposal" && node.behaviour === "bad-proposal-signature"
        ? this.misSigned(node, sent)
        : sent;
    if (message.kind === "vote" && node.behaviour === "withhold-votes") return;
    const signed = this.describe(message);
    if (signed.signer === node.validator) {
      this.stats.messages.sent[signed.kind]++;
      this.monitor.onSigned({ ...signed, instance: node.instance, atMs: this.now, step: this.step });
      if (message.kind === "proposal") {
        this.learnBlock(node, signed.digest, signed.round);
        if (!this.blocks.has(signed.digest)) this.blocks.set(signed.digest, message.block);
        if (!this.proposedAt.has(signed.digest)) this.proposedAt.set(signed.digest, this.now);
        this.trace(() => `n${node.label} proposes round ${signed.round} block ${signed.digest.slice(0, 8)}`);
      } else if (message.kind === "timeout") {
        this.stats.timeouts++;
        if (node.behaviour === "honest") this.timeoutMarks.push([this.now, node.validator, signed.round]);
        this.trace(() => `n${node.label} times out round ${signed.round}`);
      } else {
        this.trace(
          () =>
            `n${node.label} votes round ${signed.round} for ${hex(message.kind === "vote" ? message.vote.vote.blockRoot : ZERO32).slice(0, 8)}${to !== undefined ? ` to ${to}` : ""}`,
        );
      }
    }
    const targets =
      to === undefined
        ? this.instancesOf.flatMap((ids, v) => (v === node.validator ? [] : ids))
        : (this.instancesOf[to] ?? []);
    for (const id of targets) {
      const dst = this.nodes[id];
      const extra = this.extraDelay(node, dst);
      if (extra === null) continue;
      const delays = this.net.plan(node.validator, dst.validator, this.netRng);
      if (delays.length === 0) this.stats.messages.lost++;
      if (delays.length > 1) this.stats.messages.duplicated++;
      for (const d of delays) {
        this.queue.push(this.now + d + extra, {
          k: "deliver",
          node: id,
          from: node.validator,
          message,
          signed,
        });
      }
    }
  }

  /** The same block (same root), its signature made over another message: well formed, never valid. */
  private misSigned(node: SimNode, proposal: ConsensusMessage & { kind: "proposal" }): ConsensusMessage {
    const signature = this.committee.signers[node.validator].sign(new Uint8Array(64).fill(0xee));
    return { kind: "proposal", block: { ...proposal.block, signature } };
  }

  /**
   * Two-instance validators: who hears which instance, and how late (null: never).
   * - split-brain: instance k talks, both ways, only with half k of the single-instance
   *   validators and with instance k of the other two-instance ones (the Twins paper's worlds).
   * - equivocator: both instances hear everyone; instance k reaches its own half at once and
   *   the other half `crossDelayMs` later, so every node sees both of its proposals.
   * - twins: both instances hear and reach everyone.
   */
  private extraDelay(src: SimNode, dst: SimNode): number | null {
    const sameSide = (dual: SimNode, other: SimNode): boolean =>
      other.dual ? other.instance === dual.instance : other.half === dual.half;
    if (src.behaviour === "split-brain" && !sameSide(src, dst)) return null;
    if (dst.behaviour === "split-brain" && !sameSide(dst, src)) return null;
    if (src.behaviour === "equivocator" && !sameSide(src, dst))
      return this.specs[src.validator].crossDelayMs ?? 150;
    return 0;
  }

  private connected(src: SimNode, dst: SimNode): boolean {
    return this.extraDelay(src, dst) !== null;
  }

  private describe(message: ConsensusMessage): SignedInfo {
    switch (message.kind) {
      case "proposal": {
        const h = message.block.header;
        return {
          signer: h.proposerIndex,
          kind: "proposal",
          epoch: h.epoch,
          round: h.round,
          digest: hex(BlockHeader.hashTreeRoot(h)),
        };
      }
      case "vote": {
        const v = message.vote;
        return {
          signer: v.signerIndex,
          kind: "vote",
          epoch: v.vote.epoch,
          round: v.vote.round,
          digest: hex(Vote.hashTreeRoot(v.vote)),
        };
      }
      case "timeout": {
        const t = message.timeout;
        return {
          signer: t.signerIndex,
          kind: "timeout",
          epoch: t.timeout.epoch,
          round: t.timeout.round,
          digest: hex(Timeout.hashTreeRoot(t.timeout)),
        };
      }
    }
  }

  private learnBlock(node: SimNode, root: string, round: number): void {
    node.known.add(root);
    if (round > node.bestKnownRound) {
      node.bestKnownRound = round;
      node.bestKnown = root;
    }
  }

  // ---- catch-up: a peer answers from the blocks it has ----

  private onFetch(node: SimNode, effect: Effect & { type: "fetchBlocks" }): void {
    this.stats.fetches++;
    const peer = (this.instancesOf[effect.from] ?? [])
      .map((id) => this.nodes[id])
      .find((p) => p.up && this.connected(node, p));
    if (peer === undefined || peer.pausedUntil > this.now) return;
    const there = this.net.plan(node.validator, peer.validator, this.netRng);
    const back = this.net.plan(peer.validator, node.validator, this.netRng);
    if (there.length === 0 || back.length === 0) return;
    const chain: Block[] = [];
    let cursor = effect.toRoot !== null ? hex(effect.toRoot) : peer.bestKnown;
    while (cursor !== undefined && peer.known.has(cursor)) {
      const block = this.blocks.get(cursor);
      if (block === undefined || block.header.round <= effect.afterRound) break;
      chain.push(block);
      cursor = hex(block.header.parentRoot);
    }
    chain.reverse();
    const blocks = chain.slice(0, MAX_FETCH);
    this.queue.push(this.now + there[0] + back[0], {
      k: "fetched",
      node: node.id,
      inc: node.incarnation,
      from: effect.from,
      blocks,
    });
  }

  // ---- commits ----

  private onCommit(node: SimNode, effect: Effect & { type: "commit" }): void {
    for (const { root, block } of effect.blocks) {
      const id = hex(root);
      if (node.committed.has(id)) continue;
      node.committed.add(id);
      const parentId = hex(block.header.parentRoot);
      const height = (this.heightOf.get(parentId) ?? node.height) + 1;
      if (!this.heightOf.has(id)) this.heightOf.set(id, height);
      if (!this.blocks.has(id)) this.blocks.set(id, block);
      node.height = height;
      node.commitLog.push(`${height}:${id}`);
      node.heightSeries.push([this.now, height]);
      const proposed = this.proposedAt.get(id);
      if (proposed !== undefined && node.behaviour === "honest") this.latencies.push(this.now - proposed);
      this.monitor.onCommit({
        node: node.validator,
        instance: node.instance,
        height,
        blockId: id,
        parentId,
        round: block.header.round,
        atMs: this.now,
        step: this.step,
      });
      this.trace(
        () => `n${node.label} commits height ${height} block ${id.slice(0, 8)} (round ${block.header.round})`,
      );
    }
  }

  // ---- faults ----

  private applyFault(action: FaultAction): void {
    this.trace(() => `fault: ${describeFault(action)}`);
    switch (action.a) {
      case "partition":
        this.net.partition(action.groups);
        break;
      case "block":
        this.net.blockOneWay(action.from, action.to);
        break;
      case "heal":
        this.net.heal();
        break;
      case "isolate-leader": {
        const current = this.leaders.get(this.maxRound);
        const leader = current?.[1] ?? 0;
        this.net.partition([[leader], this.specs.map((_, i) => i).filter((i) => i !== leader)]);
        break;
      }
      case "crash":
        for (const v of action.nodes)
          for (const id of this.instancesOf[v]) this.crash(this.nodes[id], action.amnesia);
        break;
      case "restart":
        for (const v of action.nodes) for (const id of this.instancesOf[v]) this.restart(this.nodes[id]);
        break;
      case "pause":
        for (const v of action.nodes) {
          for (const id of this.instancesOf[v]) {
            const node = this.nodes[id];
            if (!node.up) continue;
            node.pausedUntil = Math.max(node.pausedUntil, this.now + action.forMs);
            this.openBand("pause", v, `node ${v} paused`, `pause/${id}`);
            this.queue.push(node.pausedUntil, { k: "resume", node: id });
          }
        }
        break;
      case "network":
        this.net.setDefaults(action.set);
        if (action.set.loss !== undefined) {
          this.closeBand("loss");
          if (action.set.loss > 0) this.openBand("loss", undefined, `loss ${action.set.loss}`);
        }
        break;
      case "link":
        this.net.addOverride({ from: action.from, to: action.to, params: action.set });
        break;
      case "gst":
        break;
    }
    if (this.net.anyBlocked()) this.openBand("partition", undefined, describeFault(action));
    else this.closeBand("partition");
  }

  private crash(node: SimNode, amnesia: boolean): void {
    if (!node.up) return;
    node.up = false;
    node.incarnation++;
    node.pausedUntil = 0;
    this.held.delete(node.id);
    // The block tree is verifiable data from peers, kept as a node keeps its block store; the
    // safety data is only what the disk acknowledged, and an amnesia crash loses even that.
    node.durable.snapshot = snapshotOf(node.core);
    if (amnesia) node.durable.safety = null;
    this.openBand(
      "crash",
      node.validator,
      `node ${node.label} ${amnesia ? "amnesia crash" : "crashed"}`,
      `crash/${node.id}`,
    );
  }

  private restart(node: SimNode): void {
    if (node.up) return;
    // What the node persisted survives; its block tree is rebuilt from what it had committed.
    node.core = this.newCore(node.validator, node);
    node.up = true;
    this.closeBand(`crash/${node.id}`);
    this.queue.push(this.now, { k: "start", node: node.id });
  }

  private openBand(kind: Band["kind"], node: number | undefined, label: string, key: string = kind): void {
    if (this.openBands.has(key)) return;
    const band: Band = {
      kind,
      label,
      fromMs: this.now,
      toMs: Number.NaN,
      ...(node !== undefined ? { node } : {}),
    };
    this.openBands.set(key, band);
    this.bands.push(band);
  }

  private closeBand(key: string): void {
    const band = this.openBands.get(key);
    if (band === undefined) return;
    band.toMs = this.now;
    this.openBands.delete(key);
  }

  // ---- trace ----

  private trace(text: () => string): void {
    if (this.traceRing.length >= TRACE_LINES) this.traceRing.shift();
    this.traceRing.push({ step: this.step, at: this.now, text });
  }

  private traceLines(): TraceLine[] {
    return this.traceRing.map((t) => ({ step: t.step, atMs: round2(t.at), text: t.text() }));
  }

  // ---- the result ----

  private finish(wallMs: number): RunResult {
    const end = this.scenario.durationMs;
    for (const band of this.bands) if (Number.isNaN(band.toMs)) band.toMs = Math.min(this.now, end);
    const live = this.scenario.liveness;
    const afterMs = live?.afterMs ?? this.faultsEndMs;
    const honestUp = this.nodes
      .filter(
        (n) =>
          n.behaviour === "honest" &&
          n.up &&
          !this.bands.some((b) => b.node === n.validator && b.kind !== "loss" && b.toMs > afterMs),
      )
      .map((n) => n.validator);
    const verdict = this.monitor.finish({
      liveness: live ? { afterMs, withinMs: live.withinMs, minCommits: live.minCommits } : undefined,
      durationMs: end,
      upThroughLiveness: honestUp,
      finalStep: this.step,
    });
    const hash = createHash("sha256");
    for (const node of this.nodes) hash.update(`${node.label}|${node.commitLog.join(",")}\n`);
    const heights: Record<string, number> = {};
    const heightSeries: Record<string, [number, number][]> = {};
    for (const node of this.nodes) {
      heights[node.label] = node.height;
      heightSeries[node.label] = node.heightSeries;
    }
    const honestHeights = this.nodes.filter((n) => n.behaviour === "honest").map((n) => n.height);
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const pct = (p: number): number =>
      sorted.length === 0
        ? 0
        : round2(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]);
    return {
      seed: this.seed,
      scenario: this.scenario.name,
      signatureScheme: this.committee.scheme.name,
      safetyRules: this.hooks.safetyRules ? this.hooks.safetyRules(0).name : "jolteon-2chain",
      durationMs: end,
      endedAtMs: round2(this.now),
      commitLogHash: hash.digest("hex"),
      commits: Math.max(0, ...honestHeights),
      heights,
      rounds: this.maxRound,
      latencyMs: { p50: pct(0.5), p99: pct(0.99), samples: sorted.length },
      invariants: verdict.status,
      violations: verdict.violations,
      stats: this.stats,
      wallMs: round2(wallMs),
      timeline: {
        heightSeries,
        bands: this.bands,
        leaders: [...this.leaders.entries()].map(([round, [at, leader]]) => [round, round2(at), leader]),
        timeouts: this.timeoutMarks.map(([at, v, r]) => [round2(at), v, r]),
        nodes: this.nodes.map((n) => ({
          label: n.label,
          behaviour: n.behaviour,
          stake: this.specs[n.validator].stake,
        })),
      },
    };
  }
}

function snapshotOf(core: ConsensusCore): CoreSnapshot | undefined {
  try {
    return core.snapshot();
  } catch {
    return undefined;
  }
}

function isDual(b: string): boolean {
  return b === "twins" || b === "equivocator" || b === "split-brain";
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function describeFault(a: FaultAction): string {
  switch (a.a) {
    case "partition":
      return `partition ${a.groups.map((g) => `{${g.join(",")}}`).join(" ")}`;
    case "block":
      return `block ${a.from.join(",")} -> ${a.to.join(",")}`;
    case "crash":
      return `${a.amnesia ? "amnesia crash" : "crash"} ${a.nodes.join(",")}`;
    case "restart":
      return `restart ${a.nodes.join(",")}`;
    case "pause":
      return `pause ${a.nodes.join(",")} for ${a.forMs} ms`;
    case "network":
      return `network ${JSON.stringify(a.set)}`;
    case "link":
      return `link ${a.from.join(",")} -> ${a.to.join(",")} ${JSON.stringify(a.set)}`;
    default:
      return a.a;
  }
}

/** Convenience: one run of a scenario with a seed. */
export function runScenario(scenario: Scenario, seed: number, hooks: SimulationHooks = {}): RunResult {
  return new Simulation({ scenario, seed }, hooks).run();
}
