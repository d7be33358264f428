/**
 * Every bound the server enforces. Past any of them the client gets a JSON-RPC error (or, for a
 * WebSocket message over maxBodyBytes, a 1009 close), never a crash, and no per-client memory
 * grows beyond them.
 */
export interface RpcLimits {
  /** HTTP request body and WebSocket message size. */
  maxBodyBytes: number;
  /** Requests in one batch. */
  maxBatchLength: number;
  /** Serialized response size; batch items past it become errors. */
  maxResponseBytes: number;
  /** Open TCP connections (HTTP keep-alive and WebSocket together). */
  maxConnections: number;
  /** Live subscriptions on one WebSocket connection. */
  maxSubscriptionsPerConnection: number;
  /** Requests being served at once on one WebSocket connection. */
  maxInflightPerConnection: number;
  /** Per-IP token bucket: refill per second and capacity. Each request (each batch item) costs one. */
  ratePerSecond: number;
  rateBurst: number;
  /** eth_getLogs and log filters: blocks per query, logs per answer. */
  maxLogBlockRange: number;
  maxLogResults: number;
  /** Installed filters (all clients) and their idle expiry. */
  maxFilters: number;
  filterTimeoutMs: number;
  /** Hashes a pending-transaction filter keeps between polls (oldest dropped first). */
  maxFilterBuffer: number;
  /** A WebSocket whose unsent bytes exceed this is a slow consumer and is dropped. */
  maxWsBufferedBytes: number;
  /** Raw transaction size. */
  maxTxBytes: number;
  /** realtime_ / eth_sendRawTransactionSync waits: default and ceiling. */
  defaultSyncTimeoutMs: number;
  maxSyncTimeoutMs: number;
  /** eth_feeHistory block count. */
  maxFeeHistoryBlocks: number;
}

export const DEFAULT_LIMITS: RpcLimits = {
  maxBodyBytes: 5 * 1024 * 1024,
  maxBatchLength: 100,
  maxResponseBytes: 25 * 1024 * 1024,
  maxConnections: 512,
  maxSubscriptionsPerConnection: 128,
  maxInflightPerConnection: 64,
  ratePerSecond: 2000,
  rateBurst: 4000,
  maxLogBlockRange: 10_000,
  maxLogResults: 10_000,
  maxFilters: 1024,
  filterTimeoutMs: 5 * 60_000,
  maxFilterBuffer: 10_000,
  maxWsBufferedBytes: 16 * 1024 * 1024,
  maxTxBytes: 128 * 1024,
  defaultSyncTimeoutMs: 10_000,
  maxSyncTimeoutMs: 60_000,
  maxFeeHistoryBlocks: 1024,
};
