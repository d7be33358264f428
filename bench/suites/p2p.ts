// Gossip throughput and latency for batched transaction messages between real processes on
// loopback (StrictNoSign, content-hash ids), with 2 and 4 nodes. One gossip message carries a
// batch of ~100 transactions, as the node will send them (DESIGN §4).
import { type ChildNode, fullMesh, spawnNode } from "../../test/integration/p2p-harness.ts";
import { type BenchResult, percentile, progress } from "../harness.ts";

const TXS_PER_MESSAGE = 100;
const TX_BYTES = 120;
const MESSAGE_BYTES = TXS_PER_MESSAGE * TX_BYTES;
const LATENCY_MESSAGES = 200;
const LATENCY_INTERVAL_MS = 5;
const THROUGHPUT_MESSAGES = 400;

interface Stats {
  delivered: number;
  deliveredBytes: number;
  latencies: number[];
}

async function waitDelivered(receivers: ChildNode[], count: number, timeoutMs: number): Promise<Stats[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await Promise.all(receivers.map((n) => n.call<Stats>({ cmd: "stats" })));
    if (stats.every((s) => s.delivered >= count) || Date.now() > deadline) return stats;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function measure(n: number): Promise<Record<string, number>> {
  progress(`${n} nodes: starting processes`);
  const nodes = await Promise.all(
    Array.from({ length: n }, () => spawnNode({ chainId: 4242, genesisByte: 1, reportDeliveries: false })),
  );
  try {
    await fullMesh(nodes, ["tx"]);
    const [sender, ...receivers] = nodes;
    const reset = (): Promise<unknown> =>
      Promise.all(receivers.map((r) => r.call({ cmd: "stats", reset: true })));

    // Warm-up: JIT, mesh grafting, stream set-up.
    await sender.call({ cmd: "publishMany", kind: "tx", count: 50, bytes: MESSAGE_BYTES, intervalMs: 0 });
    await waitDelivered(receivers, 50, 30_000);

    progress(`${n} nodes: latency, ${LATENCY_MESSAGES} messages every ${LATENCY_INTERVAL_MS} ms`);
    await reset();
    await sender.call(
      {
        cmd: "publishMany",
        kind: "tx",
        count: LATENCY_MESSAGES,
        bytes: MESSAGE_BYTES,
        intervalMs: LATENCY_INTERVAL_MS,
      },
      120_000,
    );
    const paced = await waitDelivered(receivers, LATENCY_MESSAGES, 30_000);
    const latencies = paced.flatMap((s) => s.latencies);

    progress(`${n} nodes: throughput, ${THROUGHPUT_MESSAGES} messages as fast as the sender can`);
    await reset();
    const start = performance.now();
    await sender.call(
      { cmd: "publishMany", kind: "tx", count: THROUGHPUT_MESSAGES, bytes: MESSAGE_BYTES, intervalMs: 0 },
      120_000,
    );
    const flood = await waitDelivered(receivers, THROUGHPUT_MESSAGES, 60_000);
    const seconds = (performance.now() - start) / 1000;
    const delivered = Math.min(...flood.map((s) => s.delivered));
    const loaded = flood.flatMap((s) => s.latencies);
    const msgsPerS = delivered / seconds;
    progress(`${n} nodes: ${msgsPerS.toFixed(0)} msg/s, p50 ${percentile(latencies, 50).toFixed(2)} ms`);
    return {
      [`gossip_${n}n_msgs_per_s`]: msgsPerS,
      [`gossip_${n}n_txs_per_s`]: msgsPerS * TXS_PER_MESSAGE,
      [`gossip_${n}n_mb_per_s`]: (msgsPerS * MESSAGE_BYTES) / 1e6,
      [`gossip_${n}n_delivered_fraction`]: delivered / THROUGHPUT_MESSAGES,
      [`gossip_${n}n_latency_p50_ms`]: percentile(latencies, 50),
      [`gossip_${n}n_latency_p99_ms`]: percentile(latencies, 99),
      [`gossip_${n}n_loaded_latency_p50_ms`]: percentile(loaded, 50),
      [`gossip_${n}n_loaded_latency_p99_ms`]: percentile(loaded, 99),
    };
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
  }
}

export async function run(): Promise<BenchResult> {
  const two = await measure(2);
  const four = await measure(4);
  const metrics = { ...two, ...four };
  return {
    metrics,
    ratios: {
      throughput_4n_over_2n: metrics.gossip_4n_msgs_per_s / metrics.gossip_2n_msgs_per_s,
      latency_p50_4n_over_2n: metrics.gossip_4n_latency_p50_ms / metrics.gossip_2n_latency_p50_ms,
    },
    details: {
      message_bytes: MESSAGE_BYTES,
      txs_per_message: TXS_PER_MESSAGE,
      latency_phase: `${LATENCY_MESSAGES} messages, one every ${LATENCY_INTERVAL_MS} ms`,
      throughput_phase: `${THROUGHPUT_MESSAGES} messages back to back`,
    },
  };
}
