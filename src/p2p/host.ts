import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import {
  type GossipSub,
  type GossipsubMessage,
  gossipsub,
  type Message,
  StrictNoSign,
  TopicValidatorResult,
} from "@libp2p/gossipsub";
import { createTopicScoreParams, type TopicScoreParams } from "@libp2p/gossipsub/score";
import { identify } from "@libp2p/identify";
import type { Connection, Libp2p, PeerId, PrivateKey, Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import type { MegaseqMetrics } from "../metrics/definitions.ts";
import { type Log, silentLogger } from "../node/logger.ts";
import { DirectVoteSender } from "./direct-votes.ts";
import { P2pError } from "./errors.ts";
import { readFrames } from "./frames.ts";
import { PeerGater } from "./gater.ts";
import { type P2pLimits, type P2pLimitsOverrides, resolveLimits } from "./limits.ts";
import { contentMessageId } from "./message-id.ts";
import { loadOrCreatePeerKey } from "./peer-key.ts";
import { PeerPenalties } from "./penalties.ts";
import { RateLimiter } from "./rate-limiter.ts";
import { type ReqRespHandler, type ReqRespLimits, sendRequest, serveRequest } from "./req-resp.ts";
import { type ChainStatus, decodeStatus, encodeStatus, incompatibility } from "./status.ts";
import {
  decodeHashRequest,
  decodeRangeRequest,
  encodeHashRequest,
  encodeRangeRequest,
  type RangeRequest,
} from "./sync-codec.ts";
import { parseTopic, TOPIC_KINDS, type TopicKind, topicName } from "./topics.ts";
import { batchYamuxWindowUpdates } from "./yamux-window-updates.ts";

/** What a gossip validator decides. Reasons become metric labels: use a small fixed set. */
export type GossipVerdict<T> =
  | { result: "accept"; value: T }
  | { result: "reject"; reason: string }
  | { result: "ignore"; reason: string };

/** How a message arrived: gossip (forwarded once accepted) or the direct vote stream (never forwarded). */
export type MessageRoute = "gossip" | "direct";

/**
 * Per topic: `validate` runs before the message is forwarded (decode, chain id, epoch, known
 * signer, signature through the batched verifier); `deliver` gets the decoded value of accepted
 * messages. The `vote` handler also serves votes arriving on the direct stream (`via` "direct").
 */
export interface GossipTopicHandler<T> {
  validate(data: Uint8Array, from: string, via: MessageRoute): GossipVerdict<T> | Promise<GossipVerdict<T>>;
  deliver(value: T, from: string): void;
}

export interface P2pHostOpts {
  chainId: number;
  /** Multiaddrs to listen on, e.g. /ip4/0.0.0.0/tcp/9000. */
  listen: string[];
  /** Dialed at start (with retries) until connected once. */
  bootnodes?: string[];
  /** Dialed at start and redialed whenever the connection drops. Must end in /p2p/<peer id>. */
  staticPeers?: string[];
  /** The libp2p identity, created on first start. Ignored when modules.privateKey is given. */
  peerKeyFile?: string;
  limits?: P2pLimitsOverrides;
}

export interface P2pHostModules {
  /** This node's current status, asked at every handshake. */
  status: () => ChainStatus;
  blocksByRange?: (req: RangeRequest) => Uint8Array[] | Promise<Uint8Array[]>;
  blocksByHash?: (hashes: Uint8Array[]) => Uint8Array[] | Promise<Uint8Array[]>;
  metrics?: MegaseqMetrics;
  log?: Log;
  privateKey?: PrivateKey;
}

export const STATUS_PROTOCOL = "/megaseq/status/1";
export const blocksByRangeProtocol = (chainId: number): string => `/megaseq/${chainId}/blocks_by_range/2`;
export const blocksByHashProtocol = (chainId: number): string => `/megaseq/${chainId}/blocks_by_hash/1`;
export const voteProtocol = (chainId: number): string => `/megaseq/${chainId}/vote/1`;

type PeerListener<A extends unknown[]> = (peer: string, ...args: A) => void;

/**
 * The node's libp2p host: TCP + noise + yamux, identify, ping, gossipsub (StrictNoSign,
 * content-hash ids, per-topic validators and size limits, peer scoring), the status handshake,
 * blocks-by-range/hash, direct votes, static peers and a runtime connection gater.
 */
export class P2pHost {
  readonly chainId: number;
  readonly limits: P2pLimits;
  readonly gater: PeerGater;
  private readonly opts: P2pHostOpts;
  private readonly modules: P2pHostModules;
  private readonly log: Log;
  private readonly penalties = new PeerPenalties();
  private readonly limiter = new RateLimiter({ limit: { perSecond: 1, burst: 1 } });
  private readonly limiters = new Map<string, RateLimiter>();
  private readonly handlers = new Map<TopicKind, GossipTopicHandler<unknown>>();
  private readonly decoded = new WeakMap<Message, unknown>();
  private readonly peerStatus = new Map<string, ChainStatus>();
  private readonly redials = new Map<string, { timer?: NodeJS.Timeout; attempt: number }>();
  private readonly listeners = {
    status: [] as PeerListener<[ChainStatus]>[],
    incompatible: [] as PeerListener<[string]>[],
  };
  private libp2pNode: Libp2p<{ pubsub: GossipSub }> | undefined;
  private votes: DirectVoteSender | undefined;
  private running = false;

  constructor(opts: P2pHostOpts, modules: P2pHostModules) {
    this.opts = opts;
    this.modules = modules;
    this.chainId = opts.chainId;
    this.limits = resolveLimits(opts.limits);
    this.gater = new PeerGater();
    this.log = (modules.log ?? silentLogger).child({ module: "p2p" });
    for (const name of ["status", "blocksByRange", "blocksByHash"] as const) {
      this.limiters.set(name, new RateLimiter({ limit: this.limits[name].rate }));
    }
    // Validate addresses now, so a bad config fails before anything listens.
    for (const addr of [...opts.listen, ...(opts.bootnodes ?? []), ...(opts.staticPeers ?? [])])
      parseAddr(addr);
    for (const addr of opts.staticPeers ?? []) {
      if (peerIdOf(parseAddr(addr)) === undefined) {
        throw new P2pError("BAD_MULTIADDR", `static peer ${addr} must end in /p2p/<peer id>`);
      }
    }
  }

  private get node(): Libp2p<{ pubsub: GossipSub }> {
    if (!this.libp2pNode) throw new P2pError("NOT_STARTED", "p2p host is not started");
    return this.libp2pNode;
  }

  /** The underlying libp2p node, for tools and tests that need a raw stream. */
  get libp2p(): Libp2p {
    return this.node;
  }

  get peerId(): string {
    return this.node.peerId.toString();
  }

  multiaddrs(): string[] {
    return this.node.getMultiaddrs().map((ma) => ma.toString());
  }

  peers(): string[] {
    return this.node.getPeers().map((p) => p.toString());
  }

  statusOf(peer: string): ChainStatus | undefined {
    return this.peerStatus.get(peer);
  }

  /** Gossipsub's score of the peer: topic scores (invalid deliveries) plus our penalties. */
  score(peer: string): number {
    // The GossipSub interface does not declare getScore; the implementation has it.
    return (this.node.services.pubsub as unknown as { getScore(peer: string): number }).getScore(peer);
  }

  topicPeers(kind: TopicKind): string[] {
    return this.node.services.pubsub.getSubscribers(topicName(this.chainId, kind)).map((p) => p.toString());
  }

  onPeerStatus(listener: PeerListener<[ChainStatus]>): void {
    this.listeners.status.push(listener);
  }

  onPeerIncompatible(listener: PeerListener<[string]>): void {
    this.listeners.incompatible.push(listener);
  }

  async start(): Promise<void> {
    if (this.running) return;
    const privateKey = this.modules.privateKey ?? (await this.loadKey());
    const limits = this.limits;
    const topicScores: Record<string, TopicScoreParams> = {};
    for (const kind of TOPIC_KINDS) {
      topicScores[topicName(this.chainId, kind)] = createTopicScoreParams({
        topicWeight: 1,
        // P4: each invalid message costs the square of the (decaying) count.
        invalidMessageDeliveriesWeight: -5,
        invalidMessageDeliveriesDecay: 0.9,
        // Quiet topics (evidence, timeouts) must not punish honest mesh peers for silence.
        meshMessageDeliveriesWeight: 0,
        meshFailurePenaltyWeight: 0,
        timeInMeshWeight: 0.01,
        firstMessageDeliveriesWeight: 0.5,
      });
    }
    const largestTopic = Math.max(...Object.values(limits.topicMaxBytes));
    batchYamuxWindowUpdates();
    const node = await createLibp2p({
      privateKey,
      addresses: { listen: this.opts.listen },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: this.gater.connectionGater(),
      connectionManager: { maxConnections: limits.maxConnections },
      services: {
        identify: identify(),
        ping: ping(),
        pubsub: gossipsub({
          globalSignaturePolicy: StrictNoSign,
          msgIdFn: (msg) => contentMessageId(msg.topic, msg.data),
          allowPublishToZeroTopicPeers: true,
          ignoreDuplicatePublishError: true,
          emitSelf: false,
          heartbeatInterval: limits.heartbeatMs,
          ...meshParams(limits.gossipMeshDegree),
          // One RPC may carry several messages; anything larger is dropped undecoded.
          maxInboundDataLength: largestTopic + 64 * 1024,
          allowedTopics: TOPIC_KINDS.map((kind) => topicName(this.chainId, kind)),
          messageProcessingConcurrency: limits.gossipConcurrency,
          maxOutboundBufferSize: limits.gossipOutboundBufferBytes,
          scoreParams: {
            topics: topicScores,
            topicScoreCap: 10,
            appSpecificScore: (peer) => this.penalties.score(peer),
            appSpecificWeight: 1,
            // Devnets put every validator on one IP: do not count that against them.
            IPColocationFactorWeight: 0,
          },
        }),
      },
    });
    this.libp2pNode = node;
    this.votes = new DirectVoteSender(
      {
        protocol: voteProtocol(this.chainId),
        timeoutMs: limits.directVoteTimeoutMs,
        maxPendingBytes: limits.directVoteMaxPendingBytes,
      },
      { libp2p: node },
    );
    this.wireGossip(node.services.pubsub);
    node.services.pubsub.addEventListener("gossipsub:heartbeat", () => this.sweepScores());
    await this.registerProtocols(node);
    node.addEventListener("peer:connect", (evt) => this.onConnect(evt.detail));
    node.addEventListener("peer:disconnect", (evt) => this.onDisconnect(evt.detail));
    this.running = true;
    for (const kind of this.handlers.keys()) node.services.pubsub.subscribe(topicName(this.chainId, kind));
    for (const addr of this.opts.bootnodes ?? []) this.dialWithRetry(addr, false);
    for (const addr of this.opts.staticPeers ?? []) this.dialWithRetry(addr, true);
    this.log.info({ peerId: node.peerId.toString(), listen: this.multiaddrs() }, "p2p host started");
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const entry of this.redials.values()) clearTimeout(entry.timer);
    this.redials.clear();
    this.votes?.closeAll();
    await this.node.stop();
    this.log.info({}, "p2p host stopped");
  }

  /** Registers the validator + consumer for a topic and subscribes to it. */
  setTopicHandler<T>(kind: TopicKind, handler: GossipTopicHandler<T>): void {
    this.handlers.set(kind, handler as GossipTopicHandler<unknown>);
    if (this.running) this.node.services.pubsub.subscribe(topicName(this.chainId, kind));
  }

  /** Publishes to a topic; returns how many peers it went to. */
  async publish(kind: TopicKind, data: Uint8Array): Promise<number> {
    const max = this.limits.topicMaxBytes[kind];
    if (data.length > max) {
      throw new P2pError(
        "MESSAGE_TOO_LARGE",
        `${kind} message of ${data.length} bytes exceeds the ${max}-byte limit`,
      );
    }
    const result = await this.node.services.pubsub.publish(topicName(this.chainId, kind), data);
    this.modules.metrics?.p2p.gossipOut.inc({ topic: kind });
    this.modules.metrics?.p2p.gossipOutBytes.inc({ topic: kind }, data.length);
    return result.recipients.length;
  }

  /** Sends a vote straight to the next leader; falls back to the vote topic if that fails. */
  async sendVote(leader: string, vote: Uint8Array): Promise<"direct" | "gossip"> {
    const metrics = this.modules.metrics?.p2p.directVotes;
    if (leader !== this.peerId && !this.gater.isDenied(leader) && this.votes) {
      const sent = await this.votes.send(peerIdFromString(leader), vote);
      if (sent) {
        metrics?.inc({ direction: "out", result: "direct" });
        return "direct";
      }
    }
    metrics?.inc({ direction: "out", result: "gossip" });
    await this.publish("vote", vote);
    return "gossip";
  }

  async requestStatus(peer: string): Promise<ChainStatus> {
    const items = await this.request(
      peer,
      STATUS_PROTOCOL,
      encodeStatus(this.modules.status()),
      this.limits.status,
    );
    if (items.length !== 1) throw new P2pError("BAD_RESPONSE", "status response must be one item");
    try {
      return decodeStatus(items[0]);
    } catch (err) {
      this.penalize(peer, this.limits.rejectPenalty, "bad_status");
      throw err;
    }
  }

  /** Up to `count` blocks (each with its QC, as encoded by the provider) from `start` on. */
  async requestBlocksByRange(peer: string, req: RangeRequest): Promise<Uint8Array[]> {
    return this.request(
      peer,
      blocksByRangeProtocol(this.chainId),
      encodeRangeRequest(req),
      this.limits.blocksByRange,
    );
  }

  async requestBlocksByHash(peer: string, hashes: Uint8Array[]): Promise<Uint8Array[]> {
    return this.request(
      peer,
      blocksByHashProtocol(this.chainId),
      encodeHashRequest(hashes),
      this.limits.blocksByHash,
    );
  }

  /** Cuts every connection to the peer and refuses new ones until `unblock`. */
  async block(peer: string): Promise<void> {
    this.gater.block(peer);
    this.modules.metrics?.p2p.blockedPeers.set(this.gater.blockedPeers().length);
    this.votes?.forget(peer);
    await this.node.hangUp(peerIdFromString(peer)).catch(() => {});
  }

  /** Lifts a block and dials the peer again (at its known addresses), so a partition heals. */
  async unblock(peer: string): Promise<boolean> {
    const was = this.gater.unblock(peer);
    this.modules.metrics?.p2p.blockedPeers.set(this.gater.blockedPeers().length);
    const staticAddr = (this.opts.staticPeers ?? []).find((a) => peerIdOf(parseAddr(a)) === peer);
    if (staticAddr) this.dialWithRetry(staticAddr, true);
    else await this.node.dial(peerIdFromString(peer)).catch(() => {});
    return was;
  }

  async dial(addr: string): Promise<string> {
    const connection = await this.node.dial(parseAddr(addr));
    return connection.remotePeer.toString();
  }

  private async loadKey(): Promise<PrivateKey | undefined> {
    if (!this.opts.peerKeyFile) return undefined;
    const { key, created } = await loadOrCreatePeerKey(this.opts.peerKeyFile);
    if (created) this.log.info({ file: this.opts.peerKeyFile }, "created peer key");
    return key;
  }

  private wireGossip(pubsub: GossipSub): void {
    for (const kind of TOPIC_KINDS) {
      const topic = topicName(this.chainId, kind);
      pubsub.topicValidators.set(topic, async (from, msg) => {
        const verdict = await this.validate(kind, msg.data, from.toString(), "gossip");
        if (verdict.result === "accept") {
          this.decoded.set(msg, verdict.value);
          return TopicValidatorResult.Accept;
        }
        return verdict.result === "ignore" ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject;
      });
    }
    pubsub.addEventListener("gossipsub:message", (evt: CustomEvent<GossipsubMessage>) => {
      const { msg, propagationSource } = evt.detail;
      const parsed = parseTopic(msg.topic);
      const handler = parsed && this.handlers.get(parsed.kind);
      if (!parsed || !handler || !this.decoded.has(msg)) return;
      const value = this.decoded.get(msg);
      this.decoded.delete(msg);
      this.modules.metrics?.p2p.gossipIn.inc({ topic: parsed.kind });
      this.modules.metrics?.p2p.gossipInBytes.inc({ topic: parsed.kind }, msg.data.length);
      try {
        handler.deliver(value, propagationSource.toString());
      } catch (err) {
        this.log.error({ topic: parsed.kind, err: (err as Error).message }, "gossip consumer threw");
      }
    });
  }

  /** Size limit first (no decoding of oversize data), then the caller's validator. */
  private async validate(
    kind: TopicKind,
    data: Uint8Array,
    from: string,
    via: MessageRoute,
  ): Promise<GossipVerdict<unknown>> {
    const handler = this.handlers.get(kind);
    let verdict: GossipVerdict<unknown>;
    if (data.length > this.limits.topicMaxBytes[kind]) verdict = { result: "reject", reason: "oversize" };
    else if (!handler) verdict = { result: "ignore", reason: "no_handler" };
    else {
      try {
        verdict = await handler.validate(data, from, via);
      } catch (err) {
        this.log.debug({ topic: kind, err: (err as Error).message }, "gossip validator threw");
        verdict = { result: "reject", reason: "validator_error" };
      }
    }
    if (verdict.result === "reject") {
      this.modules.metrics?.p2p.gossipRejected.inc({ topic: kind, reason: verdict.reason });
      this.penalize(from, this.limits.rejectPenalty, verdict.reason);
    } else if (verdict.result === "ignore") {
      this.modules.metrics?.p2p.gossipIgnored.inc({ topic: kind, reason: verdict.reason });
    }
    return verdict;
  }

  /**
   * A message this host accepted unchecked (a direct vote left to the consensus core's batched
   * check) turned out invalid: counted and penalised like a rejected one.
   */
  reportInvalid(peer: string, kind: TopicKind, reason: string): void {
    this.modules.metrics?.p2p.gossipRejected.inc({ topic: kind, reason });
    this.penalize(peer, this.limits.rejectPenalty, reason);
  }

  private penalize(peer: string, amount: number, reason: string): void {
    const total = this.penalties.penalize(peer, amount);
    this.log.debug({ peer, reason, penalty: total }, "peer penalised");
    if (total >= this.limits.banPenalty && this.running) {
      this.disconnect(peer, "misbehaviour", this.limits.banMs);
    }
  }

  /**
   * Gossipsub ignores a graylisted peer but keeps its connection; we cut it and ban it for a
   * while, so a flooder stops costing us bandwidth and decoding at all.
   */
  private sweepScores(): void {
    if (!this.running) return;
    for (const peerId of this.node.getPeers()) {
      const peer = peerId.toString();
      if (this.score(peer) < this.limits.banScore) this.disconnect(peer, "misbehaviour", this.limits.banMs);
    }
  }

  private disconnect(peer: string, reason: string, banMs: number): void {
    this.gater.ban(peer, banMs);
    this.modules.metrics?.p2p.disconnects.inc({ reason });
    this.log.info({ peer, reason }, "disconnecting peer");
    this.node.hangUp(peerIdFromString(peer)).catch(() => {});
  }

  private async registerProtocols(node: Libp2p<{ pubsub: GossipSub }>): Promise<void> {
    const reqResp = async (
      protocol: string,
      name: "status" | "blocksByRange" | "blocksByHash",
      handler: ReqRespHandler,
      after?: (peer: string) => void,
    ): Promise<void> => {
      const limiter = this.limiters.get(name) ?? this.limiter;
      await node.handle(
        protocol,
        async (stream: Stream, connection: Connection) => {
          const peer = connection.remotePeer.toString();
          const result = await serveRequest(
            stream,
            peer,
            this.limits[name],
            handler,
            limiter,
            `${peer}|${name}`,
          );
          this.modules.metrics?.p2p.reqResp.inc({ protocol: name, side: "server", result });
          if (result === "bad_request") this.penalize(peer, this.limits.rejectPenalty, `bad_${name}_request`);
          after?.(peer);
        },
        { maxInboundStreams: 8 },
      );
    };

    const incompatibleByServer = new Set<string>();
    await reqResp(
      STATUS_PROTOCOL,
      "status",
      (request, peer) => {
        let remote: ChainStatus;
        try {
          remote = decodeStatus(request);
        } catch (err) {
          throw new P2pError("BAD_REQUEST", (err as Error).message);
        }
        const local = this.modules.status();
        if (incompatibility(local, remote)) incompatibleByServer.add(peer);
        return [encodeStatus(local)];
      },
      (peer) => {
        if (!incompatibleByServer.delete(peer)) return;
        // Answered first, so the other side learns why; now part.
        this.markIncompatible(peer, "wrong_chain_or_genesis");
      },
    );

    await reqResp(blocksByRangeProtocol(this.chainId), "blocksByRange", async (request) => {
      const req = decodeRangeRequest(request);
      if (req.count === 0) throw new P2pError("BAD_REQUEST", "range request for zero blocks");
      if (!this.modules.blocksByRange) throw new P2pError("NO_HANDLER", "this node serves no blocks");
      return this.modules.blocksByRange({
        ...req,
        count: Math.min(req.count, this.limits.blocksByRange.maxResponseItems),
      });
    });

    await reqResp(blocksByHashProtocol(this.chainId), "blocksByHash", async (request) => {
      const hashes = decodeHashRequest(request, this.limits.maxHashesPerRequest);
      if (!this.modules.blocksByHash) throw new P2pError("NO_HANDLER", "this node serves no blocks");
      return this.modules.blocksByHash(hashes);
    });

    await node.handle(
      voteProtocol(this.chainId),
      (stream, connection) => this.readVotes(stream, connection),
      {
        maxInboundStreams: 2,
      },
    );
  }

  /** Inbound direct votes: frames validated one at a time, so a fast sender is held back by the stream. */
  private async readVotes(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString();
    const max = this.limits.topicMaxBytes.vote;
    stream.maxReadBufferLength = 4 * (max + 4);
    const metrics = this.modules.metrics?.p2p.directVotes;
    try {
      for await (const frame of readFrames(stream, max)) {
        const handler = this.handlers.get("vote");
        if (!handler) continue;
        const verdict = await this.validate("vote", frame, peer, "direct");
        metrics?.inc({ direction: "in", result: verdict.result });
        if (verdict.result === "accept") handler.deliver(verdict.value, peer);
      }
    } catch (err) {
      if (err instanceof P2pError && err.code === "FRAME_TOO_LARGE") {
        this.modules.metrics?.p2p.gossipRejected.inc({ topic: "vote", reason: "oversize" });
        this.penalize(peer, this.limits.rejectPenalty, "oversize_vote_frame");
      }
      if (stream.status === "open") stream.abort(err as Error);
    }
  }

  private async request(
    peer: string,
    protocol: string,
    body: Uint8Array,
    limits: ReqRespLimits,
  ): Promise<Uint8Array[]> {
    const name = protocol.split("/").at(-2) ?? protocol;
    try {
      const items = await sendRequest(this.node, peerIdFromString(peer), protocol, body, limits);
      this.modules.metrics?.p2p.reqResp.inc({ protocol: name, side: "client", result: "ok" });
      return items;
    } catch (err) {
      const code = err instanceof P2pError ? err.code : "DIAL_OR_STREAM";
      this.modules.metrics?.p2p.reqResp.inc({ protocol: name, side: "client", result: code.toLowerCase() });
      if (code === "RESPONSE_TOO_LARGE" || code === "BAD_RESPONSE" || code === "FRAME_TOO_LARGE") {
        this.penalize(peer, this.limits.rejectPenalty, "bad_response");
      }
      throw err;
    }
  }

  private onConnect(peerId: PeerId): void {
    const peer = peerId.toString();
    this.modules.metrics?.p2p.peers.set(this.node.getPeers().length);
    const redial = this.redials.get(peer);
    if (redial) {
      clearTimeout(redial.timer);
      this.redials.delete(peer);
    }
    this.handshake(peer).catch((err: Error) => {
      if (!this.running) return;
      this.log.debug({ peer, err: err.message }, "status handshake failed");
    });
  }

  private onDisconnect(peerId: PeerId): void {
    const peer = peerId.toString();
    this.peerStatus.delete(peer);
    this.votes?.forget(peer);
    for (const limiter of this.limiters.values()) limiter.forget(`${peer}|`);
    if (!this.running) return;
    this.modules.metrics?.p2p.peers.set(this.node.getPeers().length);
    const staticAddr = (this.opts.staticPeers ?? []).find((a) => peerIdOf(parseAddr(a)) === peer);
    if (staticAddr && !this.gater.isDenied(peer)) this.dialWithRetry(staticAddr, true);
  }

  private async handshake(peer: string): Promise<void> {
    const remote = await this.requestStatus(peer);
    const reason = incompatibility(this.modules.status(), remote);
    if (reason) {
      this.markIncompatible(peer, reason);
      return;
    }
    this.peerStatus.set(peer, remote);
    for (const listener of this.listeners.status) listener(peer, remote);
  }

  private markIncompatible(peer: string, reason: string): void {
    if (!this.running) return;
    this.disconnect(peer, reason, this.limits.incompatibleBanMs);
    for (const listener of this.listeners.incompatible) listener(peer, reason);
  }

  /**
   * Dials with exponential backoff (0.5 s doubling to 30 s) until connected. Static peers come
   * back here on every disconnect; bootnodes only until the first success.
   */
  private dialWithRetry(addr: string, isStatic: boolean): void {
    const ma = parseAddr(addr);
    const key = peerIdOf(ma) ?? addr;
    const entry = this.redials.get(key) ?? { attempt: 0 };
    if (entry.timer) return;
    this.redials.set(key, entry);
    const attempt = (): void => {
      entry.timer = undefined;
      if (!this.running || this.gater.isDenied(key)) {
        this.redials.delete(key);
        return;
      }
      this.node.dial(ma).then(
        () => {
          this.redials.delete(key);
        },
        (err: Error) => {
          entry.attempt++;
          const delay = Math.min(30_000, 500 * 2 ** Math.min(entry.attempt, 6));
          this.log.debug({ addr, attempt: entry.attempt, delay, err: err.message, isStatic }, "dial failed");
          entry.timer = setTimeout(attempt, delay);
          entry.timer.unref();
        },
      );
    };
    attempt();
  }
}

function parseAddr(addr: string): Multiaddr {
  try {
    return multiaddr(addr);
  } catch (err) {
    throw new P2pError("BAD_MULTIADDR", `"${addr}" is not a multiaddr: ${(err as Error).message}`);
  }
}

function peerIdOf(ma: Multiaddr): string | undefined {
  return ma.getComponents().find((c) => c.name === "p2p")?.value;
}

/**
 * Gossipsub's mesh sizes for a degree (see P2pLimits.gossipMeshDegree): D = Dlo = Dhi = degree,
 * and publishing floods every topic peer, so that with degree 0 the publisher reaches all its
 * peers and nobody forwards.
 */
function meshParams(degree: number): {
  D: number;
  Dlo: number;
  Dhi: number;
  Dout: number;
  Dscore: number;
  floodPublish: true;
} {
  return {
    D: degree,
    Dlo: degree,
    Dhi: degree,
    Dout: Math.floor(degree / 3),
    Dscore: Math.floor((2 * degree) / 3),
    floodPublish: true,
  };
}
