import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/**
 * Every metric the node exports, grouped by area. Names follow `megaseq_<area>_<what>_<unit>`.
 * Labels only ever take values from small fixed sets (topics, reasons, known RPC methods), so that
 * remote input cannot grow the number of series.
 */
export interface MegaseqMetrics {
  consensus: ReturnType<typeof consensusMetrics>;
  p2p: ReturnType<typeof p2pMetrics>;
  mempool: ReturnType<typeof mempoolMetrics>;
  execution: ReturnType<typeof executionMetrics>;
  storage: ReturnType<typeof storageMetrics>;
  l1: ReturnType<typeof l1Metrics>;
  bls: ReturnType<typeof blsMetrics>;
  rpc: ReturnType<typeof rpcMetrics>;
}

// Consensus latencies are milliseconds-scale (target p50 < 30 ms): the buckets start at 1 ms and
// are 5 ms apart between 10 and 50 ms, so a percentile read from them is within a few ms.
const LATENCY_BUCKETS_S = [
  0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.045, 0.05, 0.06, 0.075, 0.1,
  0.15, 0.25, 0.5, 1, 2.5, 5, 10,
];
const FAST_BUCKETS_S = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

function consensusMetrics(registers: Registry[]) {
  return {
    round: new Gauge({ name: "megaseq_consensus_round", help: "Current consensus round", registers }),
    epoch: new Gauge({ name: "megaseq_consensus_epoch", help: "Current epoch", registers }),
    committedHeight: new Gauge({
      name: "megaseq_consensus_committed_height",
      help: "Height of the highest committed mini-block",
      registers,
    }),
    commitLatency: new Histogram({
      name: "megaseq_consensus_commit_latency_seconds",
      help: "Time from proposal creation to commit of a mini-block",
      buckets: LATENCY_BUCKETS_S,
      registers,
    }),
    votes: new Counter({
      name: "megaseq_consensus_votes_total",
      help: "Votes sent and received",
      labelNames: ["direction"] as const,
      registers,
    }),
    proposals: new Counter({
      name: "megaseq_consensus_proposals_total",
      help: "Proposals made (direction=out) and received (direction=in)",
      labelNames: ["direction"] as const,
      registers,
    }),
    qcsFormed: new Counter({
      name: "megaseq_consensus_qcs_formed_total",
      help: "Quorum certificates this node aggregated",
      registers,
    }),
    tcsFormed: new Counter({
      name: "megaseq_consensus_tcs_formed_total",
      help: "Timeout certificates this node aggregated",
      registers,
    }),
    timeouts: new Counter({
      name: "megaseq_consensus_timeouts_total",
      help: "Local round timeouts that fired",
      registers,
    }),
    leaderFailures: new Counter({
      name: "megaseq_consensus_leader_failures_total",
      help: "Rounds whose leader produced no certified proposal",
      registers,
    }),
    evidence: new Counter({
      name: "megaseq_consensus_evidence_total",
      help: "Equivocation evidence detected",
      labelNames: ["kind"] as const,
      registers,
    }),
  };
}

function p2pMetrics(registers: Registry[]) {
  return {
    peers: new Gauge({ name: "megaseq_p2p_peers", help: "Connected peers", registers }),
    blockedPeers: new Gauge({
      name: "megaseq_p2p_blocked_peers",
      help: "Peers blocked by the connection gater",
      registers,
    }),
    gossipIn: new Counter({
      name: "megaseq_p2p_gossip_messages_in_total",
      help: "Gossip messages accepted and delivered, per topic kind",
      labelNames: ["topic"] as const,
      registers,
    }),
    gossipInBytes: new Counter({
      name: "megaseq_p2p_gossip_in_bytes_total",
      help: "Bytes of accepted gossip messages, per topic kind",
      labelNames: ["topic"] as const,
      registers,
    }),
    gossipOut: new Counter({
      name: "megaseq_p2p_gossip_messages_out_total",
      help: "Gossip messages this node published, per topic kind",
      labelNames: ["topic"] as const,
      registers,
    }),
    gossipOutBytes: new Counter({
      name: "megaseq_p2p_gossip_out_bytes_total",
      help: "Bytes of gossip messages this node published, per topic kind",
      labelNames: ["topic"] as const,
      registers,
    }),
    gossipRejected: new Counter({
      name: "megaseq_p2p_gossip_rejected_total",
      help: "Gossip messages rejected (sender penalised), per topic kind and reason",
      labelNames: ["topic", "reason"] as const,
      registers,
    }),
    gossipIgnored: new Counter({
      name: "megaseq_p2p_gossip_ignored_total",
      help: "Gossip messages ignored (not forwarded, no penalty), per topic kind and reason",
      labelNames: ["topic", "reason"] as const,
      registers,
    }),
    directVotes: new Counter({
      name: "megaseq_p2p_direct_votes_total",
      help: "Votes over the direct stream protocol, by direction and result",
      labelNames: ["direction", "result"] as const,
      registers,
    }),
    reqResp: new Counter({
      name: "megaseq_p2p_reqresp_requests_total",
      help: "Request/response exchanges, by protocol, side and result",
      labelNames: ["protocol", "side", "result"] as const,
      registers,
    }),
    disconnects: new Counter({
      name: "megaseq_p2p_disconnects_total",
      help: "Peers this node disconnected, by reason",
      labelNames: ["reason"] as const,
      registers,
    }),
  };
}

function mempoolMetrics(registers: Registry[]) {
  return {
    size: new Gauge({ name: "megaseq_mempool_size_txs", help: "Transactions in the mempool", registers }),
    bytes: new Gauge({
      name: "megaseq_mempool_size_bytes",
      help: "Bytes of transactions in the mempool",
      registers,
    }),
    admitted: new Counter({
      name: "megaseq_mempool_admitted_total",
      help: "Transactions admitted, by source (rpc or gossip)",
      labelNames: ["source"] as const,
      registers,
    }),
    rejected: new Counter({
      name: "megaseq_mempool_rejected_total",
      help: "Transactions refused, by reason",
      labelNames: ["reason"] as const,
      registers,
    }),
  };
}

function executionMetrics(registers: Registry[]) {
  return {
    txs: new Counter({
      name: "megaseq_execution_txs_total",
      help: "Transactions executed (rate() gives tx/s)",
      registers,
    }),
    gas: new Counter({
      name: "megaseq_execution_gas_total",
      help: "Gas used by executed transactions (rate() gives gas/s)",
      registers,
    }),
    evmBlockHeight: new Gauge({
      name: "megaseq_execution_evm_block_height",
      help: "Number of the latest executed EVM block",
      registers,
    }),
    miniBlockDuration: new Histogram({
      name: "megaseq_execution_mini_block_duration_seconds",
      help: "Time to execute one committed mini-block",
      buckets: FAST_BUCKETS_S,
      registers,
    }),
  };
}

function storageMetrics(registers: Registry[]) {
  return {
    writeLatency: new Histogram({
      name: "megaseq_storage_write_latency_seconds",
      help: "Latency of a storage write batch, by kind",
      labelNames: ["kind"] as const,
      buckets: FAST_BUCKETS_S,
      registers,
    }),
    writeBytes: new Counter({
      name: "megaseq_storage_write_bytes_total",
      help: "Bytes written to storage",
      registers,
    }),
  };
}

function l1Metrics(registers: Registry[]) {
  return {
    followerLag: new Gauge({
      name: "megaseq_l1_follower_lag_blocks",
      help: "L1 head minus the last L1 block the follower processed",
      registers,
    }),
    headBlock: new Gauge({ name: "megaseq_l1_head_block", help: "Latest L1 block number seen", registers }),
    rpcErrors: new Counter({
      name: "megaseq_l1_rpc_errors_total",
      help: "Failed L1 RPC calls (retried with backoff)",
      registers,
    }),
    evidenceSubmitted: new Counter({
      name: "megaseq_l1_evidence_submitted_total",
      help: "Evidence submissions to the Slashing contract, by result",
      labelNames: ["result"] as const,
      registers,
    }),
  };
}

function blsMetrics(registers: Registry[]) {
  return {
    verifyDuration: new Histogram({
      name: "megaseq_bls_verify_duration_seconds",
      help: "Time of one BLS verification call (single, aggregate or batch)",
      labelNames: ["kind"] as const,
      buckets: FAST_BUCKETS_S,
      registers,
    }),
    batchSize: new Histogram({
      name: "megaseq_bls_batch_size",
      help: "Signatures per batched verification",
      buckets: BATCH_BUCKETS,
      registers,
    }),
    verifyFailures: new Counter({
      name: "megaseq_bls_verify_failures_total",
      help: "Signatures that failed verification",
      registers,
    }),
  };
}

function rpcMetrics(registers: Registry[]) {
  return {
    requests: new Counter({
      name: "megaseq_rpc_requests_total",
      help: "JSON-RPC requests by method (unknown methods are counted as 'unknown')",
      labelNames: ["method"] as const,
      registers,
    }),
    errors: new Counter({
      name: "megaseq_rpc_errors_total",
      help: "JSON-RPC error responses by method and error code",
      labelNames: ["method", "code"] as const,
      registers,
    }),
    duration: new Histogram({
      name: "megaseq_rpc_request_duration_seconds",
      help: "JSON-RPC request handling time by method",
      labelNames: ["method"] as const,
      buckets: FAST_BUCKETS_S,
      registers,
    }),
    connections: new Gauge({
      name: "megaseq_rpc_ws_connections",
      help: "Open WebSocket connections",
      registers,
    }),
  };
}

export function defineMetrics(registry: Registry): MegaseqMetrics {
  const registers = [registry];
  return {
    consensus: consensusMetrics(registers),
    p2p: p2pMetrics(registers),
    mempool: mempoolMetrics(registers),
    execution: executionMetrics(registers),
    storage: storageMetrics(registers),
    l1: l1Metrics(registers),
    bls: blsMetrics(registers),
    rpc: rpcMetrics(registers),
  };
}

/**
 * Maps a method name to a metric label: known methods keep their name, anything else becomes
 * "unknown", so a client sending random method names cannot create new series.
 */
export function methodLabel(method: string, known: ReadonlySet<string>): string {
  return known.has(method) ? method : "unknown";
}
