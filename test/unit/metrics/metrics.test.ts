import { afterEach, describe, expect, it } from "vitest";
import {
  createMetrics,
  HealthChecks,
  MetricsServer,
  methodLabel,
  minPeersCheck,
  parseHostPort,
  progressCheck,
} from "../../../src/metrics/index.ts";

const REQUIRED = [
  "megaseq_consensus_round",
  "megaseq_consensus_committed_height",
  "megaseq_consensus_commit_latency_seconds",
  "megaseq_consensus_votes_total",
  "megaseq_consensus_qcs_formed_total",
  "megaseq_consensus_tcs_formed_total",
  "megaseq_consensus_timeouts_total",
  "megaseq_consensus_leader_failures_total",
  "megaseq_p2p_peers",
  "megaseq_p2p_gossip_messages_in_total",
  "megaseq_p2p_gossip_messages_out_total",
  "megaseq_p2p_gossip_rejected_total",
  "megaseq_mempool_size_txs",
  "megaseq_execution_txs_total",
  "megaseq_execution_gas_total",
  "megaseq_storage_write_latency_seconds",
  "megaseq_l1_follower_lag_blocks",
  "megaseq_bls_verify_duration_seconds",
  "megaseq_bls_batch_size",
  "megaseq_rpc_requests_total",
  "megaseq_rpc_errors_total",
];

describe("metric definitions", () => {
  it("defines every metric the node needs, all named megaseq_<area>_...", async () => {
    const { registry } = createMetrics({ processMetrics: false });
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    for (const name of REQUIRED) expect(names).toContain(name);
    for (const name of names) expect(name).toMatch(/^megaseq_[a-z0-9]+_[a-z0-9_]+$/);
  });

  it("keeps two registries apart", async () => {
    const a = createMetrics({ processMetrics: false });
    const b = createMetrics({ processMetrics: false });
    a.metrics.consensus.round.set(7);
    expect(await a.registry.getSingleMetricAsString("megaseq_consensus_round")).toContain(
      "megaseq_consensus_round 7",
    );
    expect(await b.registry.getSingleMetricAsString("megaseq_consensus_round")).toContain(
      "megaseq_consensus_round 0",
    );
  });

  it("maps unknown RPC methods to one label value", () => {
    const known = new Set(["eth_chainId"]);
    expect(methodLabel("eth_chainId", known)).toBe("eth_chainId");
    expect(methodLabel("x".repeat(500), known)).toBe("unknown");
  });
});

describe("health checks", () => {
  it("reports every registered check and fails if one fails", () => {
    const health = new HealthChecks();
    let peers = 0;
    health.register(
      "peers",
      minPeersCheck(() => peers),
    );
    expect(health.report().ok).toBe(false);
    peers = 2;
    expect(health.report()).toEqual({
      ok: true,
      checks: { peers: { ok: true, detail: "2 peers (need 1)" } },
    });
    health.register("boom", () => {
      throw new Error("nope");
    });
    const report = health.report();
    expect(report.ok).toBe(false);
    expect(report.checks.boom.detail).toContain("nope");
  });

  it("progress check fails when the value stalls longer than allowed", () => {
    let now = 1_000;
    let round = 1;
    const check = progressCheck(
      () => round,
      500,
      () => now,
    );
    now += 400;
    expect(check().ok).toBe(true);
    now += 200;
    expect(check().ok).toBe(false);
    round = 2;
    expect(check().ok).toBe(true);
  });
});

describe("metrics server", () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it("serves /metrics and /health over HTTP", async () => {
    const { registry, metrics } = createMetrics();
    const health = new HealthChecks();
    let peers = 0;
    health.register(
      "peers",
      minPeersCheck(() => peers),
    );
    server = new MetricsServer({ address: "127.0.0.1:0" }, { registry, health });
    const { port } = await server.start();
    metrics.p2p.gossipRejected.inc({ topic: "tx", reason: "decode" });
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toContain('megaseq_p2p_gossip_rejected_total{topic="tx",reason="decode"} 1');
    expect(text).toContain("megaseq_process_cpu_seconds_total");
    const sick = await fetch(`http://127.0.0.1:${port}/health`);
    expect(sick.status).toBe(503);
    peers = 1;
    const well = await fetch(`http://127.0.0.1:${port}/health`);
    expect(well.status).toBe(200);
    expect(((await well.json()) as { ok: boolean }).ok).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
  });

  it("rejects a malformed address with a typed error", () => {
    expect(() => parseHostPort("localhost")).toThrow(/host:port/);
    expect(parseHostPort("[::1]:9100")).toEqual({ host: "::1", port: 9100 });
  });
});
