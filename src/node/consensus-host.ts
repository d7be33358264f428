import type {
  CommittedBlock,
  ConsensusCore,
  ConsensusInput,
  ConsensusMessage,
  CoreSnapshot,
  Effect,
  Evidence,
  SignatureCheck,
} from "../consensus/index.ts";
import { type BlsVerifier, type SignatureSet, SyncBlsVerifier } from "../crypto/index.ts";
import type { MegaseqMetrics } from "../metrics/index.ts";
import type { GossipVerdict, MessageRoute, P2pHost } from "../p2p/host.ts";
import type { MiniBlockPayload, QuorumCertificate } from "../types/index.ts";
import { decodeCatchUpItems } from "./catch-up-wire.ts";
import { decodeConsensusMessage, encodeConsensusMessage } from "./consensus-wire.ts";
import { type Log, silentLogger } from "./logger.ts";
import type { SafetyFile } from "./safety-file.ts";

/** Blocks asked for in one catch-up request (the p2p layer caps answers at 64 items). */
const FETCH_BATCH = 64;

/** What the leader puts in its mini-block, asked for when the core requests a payload. */
export interface PayloadSource {
  build(req: { epoch: number; round: number; parentRoot: Uint8Array }): Promise<{
    payload: MiniBlockPayload;
    stateBlockNumber: number;
    stateRoot: Uint8Array;
  }>;
}

export interface ConsensusHostOpts {
  selfIndex: number | null;
  /** libp2p peer id of each validator index (from genesis); votes go straight to the leader's. */
  validatorPeers: ReadonlyMap<number, string>;
}

export interface ConsensusHostModules {
  core: ConsensusCore;
  p2p: P2pHost;
  safety: SafetyFile;
  payloads: PayloadSource;
  /**
   * Committed blocks, oldest first, in commit order, with the core's snapshot taken right after
   * they committed and the wall-clock time (ms) the core decided it. Called after the vote the
   * same step released has left (see execute).
   */
  onCommit: (
    blocks: CommittedBlock[],
    qc: QuorumCertificate,
    snapshot: CoreSnapshot,
    decidedAtMs: number,
  ) => void;
  /** The core switched to `epoch` (after the `epochChanged` effect). */
  onEpochChanged?: (epoch: number) => void;
  /** The core entered `round` (after the `roundEntered` effect). */
  onRoundEntered?: (round: number) => void;
  onEvidence?: (evidence: Evidence) => void;
  /**
   * Checks the signatures of gossiped messages before they are forwarded (all sets of one message
   * in one batch). Default: on the calling thread (SyncBlsVerifier).
   */
  verifier?: BlsVerifier;
  metrics?: MegaseqMetrics;
  log?: Log;
  now?: () => number;
}

/** A consensus message that passed the gossip validator; `verified`: its signatures were checked. */
interface Admitted {
  message: ConsensusMessage;
  verified: boolean;
  /** A proposal from its proposer's own connection: only its certificates were verified. */
  signatureUnchecked?: boolean;
}

/**
 * Drives the pure consensus core with the real world: wall clock and timers, libp2p, the safety
 * file, the payload builder and the commit pipeline. Inputs are processed one at a time, and the
 * effects of each input are executed in order, except that safety writes start first; a
 * persistSafety effect is written and fsynced (on libuv's thread pool, one write at a time)
 * before its ack is fed back, and the core releases the vote or timeout it guards only on that
 * ack, so nothing signed leaves before the data that makes it safe is on disk. Commits decided
 * while a vote waits for its write are applied after that vote has left: the vote is on the
 * round's critical path, the commit log, execution and metrics are not, and the event loop must
 * be free to take the write's completion as soon as it lands.
 */
export class ConsensusHost {
  private readonly opts: ConsensusHostOpts;
  private readonly modules: ConsensusHostModules;
  private readonly log: Log;
  private readonly now: () => number;
  private readonly queue: ConsensusInput[] = [];
  private readonly peerToValidator = new Map<string, number>();
  private readonly verifier: BlsVerifier;
  private timer: NodeJS.Timeout | undefined;
  /** A safety write on its way to disk, and the newest one waiting behind it (it supersedes older ones). */
  private writing = false;
  private nextWrite: { seq: number; data: Extract<Effect, { type: "persistSafety" }>["data"] } | null = null;
  private draining = false;
  private stopped = false;
  /** Commits decided while a vote waited for its safety write, in commit order (see execute). */
  private readonly pendingCommits: {
    blocks: CommittedBlock[];
    qc: QuorumCertificate;
    snapshot: CoreSnapshot;
    decidedAtMs: number;
  }[] = [];

  constructor(opts: ConsensusHostOpts, modules: ConsensusHostModules) {
    this.opts = opts;
    this.modules = modules;
    this.log = (modules.log ?? silentLogger).child({ module: "consensus" });
    this.now = modules.now ?? Date.now;
    this.refreshValidatorPeers();
    this.verifier = modules.verifier ?? new SyncBlsVerifier();
  }

  /**
   * Re-reads `opts.validatorPeers` (the caller changed it for a new epoch's set): which peer is
   * which validator decides whose direct votes skip the gossip check and who pays for a bad one.
   */
  refreshValidatorPeers(): void {
    this.peerToValidator.clear();
    for (const [index, peer] of this.opts.validatorPeers) this.peerToValidator.set(peer, index);
  }

  /** Registers the gossip handlers; call before the p2p host starts so it subscribes at once. */
  attach(): void {
    const { p2p } = this.modules;
    for (const kind of ["proposal", "vote", "timeout"] as const) {
      p2p.setTopicHandler<Admitted>(kind, {
        validate: (data, from, via) => this.validate(kind, data, from, via),
        deliver: (admitted, from) =>
          this.onNetworkMessage(admitted.message, from, admitted.verified, admitted.signatureUnchecked),
      });
    }
  }

  /**
   * The gossip validator: decode, then the core's cheap checks (epoch, known signer, certificate
   * shape and quorum, stale rounds), then every signature of the message in one batch. What passes
   * reaches the core as verified, so nothing is checked twice. Direct votes from the validator
   * that signed them skip the pairing here: the core checks the votes of a round as one aggregate
   * at quorum (one pairing for all), and a bad one found there costs that peer (see execute).
   */
  private async validate(
    kind: "proposal" | "vote" | "timeout",
    data: Uint8Array,
    fromPeer: string,
    via: MessageRoute,
  ): Promise<GossipVerdict<Admitted>> {
    let message: ConsensusMessage;
    try {
      message = decodeConsensusMessage(kind, data);
    } catch {
      return { result: "reject", reason: "malformed" };
    }
    // libp2p's noise handshake authenticates the sending peer, and the genesis binds validators'
    // peer ids to their keys: a proposal its proposer sent us itself needs no signature pairing
    // to know whose it is (~1 of the 3 Miller loops of the check). Relayed proposals, those of
    // validators without a known peer id, and all proposals when this node forwards gossip (a
    // mesh: what it forwards must be checked, or a bad proposer signature would cost this node
    // its peers' score) are checked in full.
    const fromProposer =
      message.kind === "proposal" &&
      this.modules.p2p.limits.gossipMeshDegree === 0 &&
      this.peerToValidator.get(fromPeer) === message.block.header.proposerIndex;
    const check = this.modules.core.gossipCheck(message, fromProposer);
    if (check.verdict === "reject") return { result: "reject", reason: check.reason };
    if (check.verdict === "ignore") {
      // The core cannot check a next-epoch message yet, but it tells it this node is behind.
      if (check.reason === "future_epoch") this.onNetworkMessage(message, fromPeer, false);
      return { result: "ignore", reason: check.reason };
    }
    if (
      message.kind === "vote" &&
      via === "direct" &&
      this.peerToValidator.get(fromPeer) === message.vote.signerIndex
    ) {
      return { result: "accept", value: { message, verified: false } };
    }
    if (!(await this.verifySets(kind, check.checks))) return { result: "reject", reason: "bad_signature" };
    return { result: "accept", value: { message, verified: true, signatureUnchecked: fromProposer } };
  }

  private async verifySets(kind: string, checks: SignatureCheck[]): Promise<boolean> {
    if (checks.length === 0) return true;
    const bls = this.modules.metrics?.bls;
    const started = performance.now();
    const ok = await this.verifier.verifySignatureSets(checks.map(toSignatureSet));
    bls?.verifyDuration.observe({ kind: `gossip_${kind}` }, (performance.now() - started) / 1000);
    bls?.batchSize.observe(checks.length);
    if (!ok) bls?.verifyFailures.inc();
    return ok;
  }

  /** Starts the core: from here on it proposes, votes and times out. */
  start(): void {
    const { core } = this.modules;
    this.submit({ type: "start", nowMs: this.now() });
    this.log.info({ status: statusFields(core) }, "consensus started");
  }

  /** Stops consensus; commits already decided are still handed over (the commit log closes after). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.applyPendingCommits();
  }

  submit(input: ConsensusInput): void {
    if (this.stopped) return;
    this.queue.push(input);
    if (this.draining) return;
    this.draining = true;
    let released = false;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        if (next.type === "safetyPersisted") released = true;
        this.execute(this.modules.core.handle(next));
      }
    } finally {
      this.draining = false;
    }
    // Whatever waited for a write has left now (or nothing waits): apply the commits held back.
    if (released || !this.writing) this.applyPendingCommits();
  }

  private applyPendingCommits(): void {
    for (let c = this.pendingCommits.shift(); c !== undefined; c = this.pendingCommits.shift()) {
      this.modules.onCommit(c.blocks, c.qc, c.snapshot, c.decidedAtMs);
    }
  }

  private onNetworkMessage(
    message: ConsensusMessage,
    fromPeer: string,
    verified: boolean,
    signatureUnchecked = false,
  ): void {
    const from = this.peerToValidator.get(fromPeer) ?? signerOf(message);
    if (message.kind === "vote") this.modules.metrics?.consensus.votes.inc({ direction: "in" });
    if (message.kind === "proposal") this.modules.metrics?.consensus.proposals.inc({ direction: "in" });
    this.submit({ type: "message", nowMs: this.now(), from, message, verified, signatureUnchecked });
  }

  /**
   * Safety data only grows (within an epoch; a new epoch's record supersedes the old epoch's), so
   * when writes queue up only the newest is written, and its ack releases everything held before.
   */
  private persist(seq: number, data: Extract<Effect, { type: "persistSafety" }>["data"]): void {
    if (this.writing) {
      this.nextWrite = { seq, data };
      return;
    }
    this.writing = true;
    this.modules.safety.saveAsync(data).then(
      () => {
        this.writing = false;
        const next = this.nextWrite;
        this.nextWrite = null;
        if (next !== null) this.persist(next.seq, next.data);
        this.submit({ type: "safetyPersisted", nowMs: this.now(), seq });
      },
      (error: unknown) => {
        // Without durable safety data this node must not sign anything more: stop consensus.
        this.log.fatal({ err: String(error) }, "safety data could not be written; consensus stopped");
        this.stop();
      },
    );
  }

  private execute(effects: Effect[]): void {
    const m = this.modules.metrics?.consensus;
    for (const effect of effects) if (effect.type === "persistSafety") this.persist(effect.seq, effect.data);
    for (const effect of effects) {
      switch (effect.type) {
        case "persistSafety":
          break; // started above

        case "broadcast":
          if (effect.message.kind === "vote") m?.votes.inc({ direction: "out" });
          if (effect.message.kind === "proposal") m?.proposals.inc({ direction: "out" });
          this.publish(effect.message);
          break;
        case "sendTo":
          this.sendTo(effect.to, effect.message);
          break;
        case "setTimer": {
          // One live round timer: the core drops timers of rounds it has left anyway.
          if (this.timer) clearTimeout(this.timer);
          const timer = effect.timer;
          this.timer = setTimeout(
            () => this.submit({ type: "timer", nowMs: this.now(), timer }),
            effect.delayMs,
          );
          break;
        }
        case "requestPayload":
          this.modules.payloads.build(effect).then(
            (built) =>
              this.submit({
                type: "payload",
                nowMs: this.now(),
                epoch: effect.epoch,
                round: effect.round,
                ...built,
              }),
            (error: unknown) =>
              this.log.error({ err: String(error), round: effect.round }, "payload build failed"),
          );
          break;
        case "fetchBlocks":
          this.fetch(effect);
          break;
        case "commit":
          // The snapshot and the time are taken now: they belong to the decision, however late the
          // blocks are applied.
          this.pendingCommits.push({
            blocks: effect.blocks,
            qc: effect.qc,
            snapshot: this.modules.core.snapshot(),
            decidedAtMs: this.now(),
          });
          if (!this.writing) this.applyPendingCommits();
          break;
        case "evidence":
          m?.evidence.inc({ kind: effect.evidence.kind });
          this.log.warn(
            { kind: effect.evidence.kind, epoch: effect.evidence.epoch },
            "equivocation detected",
          );
          this.modules.onEvidence?.(effect.evidence);
          break;
        case "dropped":
          this.log.debug({ reason: effect.reason, input: effect.input, from: effect.from }, "input dropped");
          this.penalizeUncheckedVote(effect);
          break;
        case "yield":
          // After the effects above have started (the safety write first of all): the core
          // finishes what it put off, e.g. signing the vote that write guards.
          this.queue.push({ type: "resume", nowMs: this.now() });
          break;
        case "roundEntered":
          m?.round.set(effect.round);
          if (effect.via === "tc") m?.timeouts.inc();
          this.modules.onRoundEntered?.(effect.round);
          this.log.debug({ round: effect.round, leader: effect.leader, via: effect.via }, "round entered");
          break;
        case "epochChanged":
          m?.epoch.set(effect.epoch);
          this.modules.onEpochChanged?.(effect.epoch);
          this.log.info({ epoch: effect.epoch, validators: effect.validators.length }, "epoch changed");
          break;
      }
    }
  }

  /**
   * Only direct votes reach the core unchecked, and only from the validator that signed them, so
   * a bad signature the core finds on a message input from `from` is that peer's (see validate).
   */
  private penalizeUncheckedVote(effect: Extract<Effect, { type: "dropped" }>): void {
    if (effect.reason !== "bad_signature" || effect.input !== "message" || effect.from === null) return;
    if (effect.from === this.opts.selfIndex) return;
    if (effect.detail !== undefined && effect.detail !== `vote of ${effect.from}`) return;
    const peer = this.opts.validatorPeers.get(effect.from);
    if (peer !== undefined) this.modules.p2p.reportInvalid(peer, "vote", "bad_signature");
  }

  private publish(message: ConsensusMessage): void {
    this.modules.p2p.publish(message.kind, encodeConsensusMessage(message)).catch((error: unknown) => {
      // No subscribed peer yet (start-up, partition): the round timer recovers.
      this.log.debug({ err: String(error), kind: message.kind }, "publish failed");
    });
  }

  private sendTo(to: number, message: ConsensusMessage): void {
    if (to === this.opts.selfIndex) {
      this.queue.push({ type: "message", nowMs: this.now(), from: to, message, verified: true });
      return;
    }
    if (message.kind !== "vote") {
      this.publish(message);
      return;
    }
    this.modules.metrics?.consensus.votes.inc({ direction: "out" });
    const peer = this.opts.validatorPeers.get(to);
    const bytes = encodeConsensusMessage(message);
    if (peer === undefined) {
      this.publish(message);
      return;
    }
    this.modules.p2p.sendVote(peer, bytes).catch((error: unknown) => {
      this.log.debug({ err: String(error), to }, "vote send failed");
    });
  }

  private fetch(effect: Extract<Effect, { type: "fetchBlocks" }>): void {
    const peer = this.opts.validatorPeers.get(effect.from);
    if (peer === undefined) return;
    this.modules.p2p
      .requestBlocksByRange(peer, {
        epoch: BigInt(effect.epoch),
        start: BigInt(effect.afterRound),
        count: FETCH_BATCH,
      })
      .then((items) => {
        const { blocks, qc } = decodeCatchUpItems(items);
        this.submit({
          type: "blocksFetched",
          nowMs: this.now(),
          from: effect.from,
          blocks,
          ...(qc === null ? {} : { qc }),
        });
      })
      .catch((error: unknown) =>
        this.log.debug({ err: String(error), from: effect.from }, "block fetch failed"),
      );
  }
}

function signerOf(message: ConsensusMessage): number {
  switch (message.kind) {
    case "proposal":
      return message.block.header.proposerIndex;
    case "vote":
      return message.vote.signerIndex;
    case "timeout":
      return message.timeout.signerIndex;
  }
}

function statusFields(core: ConsensusCore): Record<string, unknown> {
  const s = core.status();
  return { epoch: s.epoch, round: s.round, committedRound: s.committedRound, scheme: s.schemeName };
}

function toSignatureSet(check: SignatureCheck): SignatureSet {
  switch (check.kind) {
    case "single":
      return {
        type: "single",
        publicKey: check.publicKeys[0],
        message: check.messages[0],
        signature: check.signature,
      };
    case "aggregate":
      return {
        type: "aggregate",
        publicKeys: check.publicKeys,
        message: check.messages[0],
        signature: check.signature,
      };
    case "multiMessage":
      return {
        type: "multiMessage",
        publicKeys: check.publicKeys,
        messages: check.messages,
        signature: check.signature,
      };
  }
}
