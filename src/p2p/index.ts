export { P2pError, type P2pErrorCode } from "./errors.ts";
export { encodeFrame, readFrames } from "./frames.ts";
export { PeerGater } from "./gater.ts";
export {
  blocksByHashProtocol,
  blocksByRangeProtocol,
  type GossipTopicHandler,
  type GossipVerdict,
  type MessageRoute,
  P2pHost,
  type P2pHostModules,
  type P2pHostOpts,
  STATUS_PROTOCOL,
  voteProtocol,
} from "./host.ts";
export { DEFAULT_P2P_LIMITS, type P2pLimits, type P2pLimitsOverrides, resolveLimits } from "./limits.ts";
export { contentMessageId } from "./message-id.ts";
export { loadOrCreatePeerKey, readPeerKey } from "./peer-key.ts";
export { PeerPenalties } from "./penalties.ts";
export { type RateLimit, RateLimiter } from "./rate-limiter.ts";
export type { ReqRespLimits } from "./req-resp.ts";
export { type ChainStatus, decodeStatus, encodeStatus, incompatibility, STATUS_BYTES } from "./status.ts";
export type { RangeRequest } from "./sync-codec.ts";
export { DEFAULT_TOPIC_MAX_BYTES, parseTopic, TOPIC_KINDS, type TopicKind, topicName } from "./topics.ts";
