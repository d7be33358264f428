import type { ReqRespLimits } from "./req-resp.ts";
import { STATUS_BYTES } from "./status.ts";
import { RANGE_REQUEST_BYTES } from "./sync-codec.ts";
import { DEFAULT_TOPIC_MAX_BYTES, type TopicKind } from "./topics.ts";

/** Every bound the host enforces on what peers send it. */
export interface P2pLimits {
  topicMaxBytes: Record<TopicKind, number>;
  /** Application penalty per rejected gossip message, bad vote frame or broken response. */
  rejectPenalty: number;
  /** Penalty total at which a peer is disconnected and banned for `banMs`. */
  banPenalty: number;
  banMs: number;
  /** Gossipsub score under which a peer is disconnected and banned (gossipsub graylists at -80). */
  banScore: number;
  /** How long a peer on another chain or genesis stays refused. */
  incompatibleBanMs: number;
  status: ReqRespLimits;
  blocksByRange: ReqRespLimits;
  blocksByHash: ReqRespLimits;
  maxHashesPerRequest: number;
  directVoteTimeoutMs: number;
  directVoteMaxPendingBytes: number;
  maxConnections: number;
  /** Gossipsub heartbeat: mesh maintenance and gossip emission period. */
  heartbeatMs: number;
  /**
   * Gossipsub mesh degree (D = Dlo = Dhi). 0, the default: no mesh; whoever publishes sends to
   * every peer on the topic and nobody forwards. That fits a validator committee, where every
   * validator dials every other (genesis lists them all): each message reaches each validator
   * once, where a full mesh of n delivered it up to n - 1 times (measured on the 4-node devnet:
   * 12-20% less CPU per committed block, and lower commit latency). A peer not connected to a
   * message's origin still gets it, through gossipsub's IHAVE/IWANT at the next heartbeat. For a
   * sparse network of peers set it to gossipsub's usual 6.
   */
  gossipMeshDegree: number;
  /**
   * Unsent gossip bytes queued for one peer. Gossipsub has no backpressure and yamux buffers
   * without limit by default, so a peer that stops reading would grow our memory; past this
   * bound its stream is reset instead.
   */
  gossipOutboundBufferBytes: number;
  /** Gossip messages validated concurrently; the rest wait in the stream (bounded by yamux windows). */
  gossipConcurrency: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_P2P_LIMITS: P2pLimits = {
  topicMaxBytes: { ...DEFAULT_TOPIC_MAX_BYTES },
  rejectPenalty: 10,
  banPenalty: 200,
  banMs: 10 * 60_000,
  banScore: -80,
  incompatibleBanMs: 60_000,
  status: {
    maxRequestBytes: STATUS_BYTES,
    maxResponseItems: 1,
    maxItemBytes: STATUS_BYTES,
    maxResponseBytes: STATUS_BYTES,
    timeoutMs: 5_000,
    rate: { perSecond: 1, burst: 5 },
  },
  blocksByRange: {
    maxRequestBytes: RANGE_REQUEST_BYTES,
    maxResponseItems: 64,
    maxItemBytes: 4 * MiB,
    maxResponseBytes: 16 * MiB,
    timeoutMs: 10_000,
    rate: { perSecond: 5, burst: 20 },
  },
  blocksByHash: {
    maxRequestBytes: 64 * 32,
    maxResponseItems: 64,
    maxItemBytes: 4 * MiB,
    maxResponseBytes: 16 * MiB,
    timeoutMs: 10_000,
    rate: { perSecond: 5, burst: 20 },
  },
  maxHashesPerRequest: 64,
  directVoteTimeoutMs: 2_000,
  directVoteMaxPendingBytes: 256 * 1024,
  maxConnections: 128,
  heartbeatMs: 700,
  gossipMeshDegree: 0,
  gossipOutboundBufferBytes: 32 * MiB,
  gossipConcurrency: 32,
};

/** Overrides of some limits; topic sizes may be given for some topics only. */
export type P2pLimitsOverrides = Partial<Omit<P2pLimits, "topicMaxBytes">> & {
  topicMaxBytes?: Partial<Record<TopicKind, number>>;
};

export function resolveLimits(overrides: P2pLimitsOverrides = {}): P2pLimits {
  return {
    ...DEFAULT_P2P_LIMITS,
    ...overrides,
    topicMaxBytes: { ...DEFAULT_P2P_LIMITS.topicMaxBytes, ...overrides.topicMaxBytes },
  };
}
