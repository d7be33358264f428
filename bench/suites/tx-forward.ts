// The realtime submission's own hops, in one process, quiet and with a busy event loop:
// forwarding one raw tx to a peer and getting its answer back (tx_forward/1: a libp2p stream and
// a multistream-select negotiation per request; tx_forward/2: one long-lived stream per peer),
// and recovering one tx's sender (the admission's DecodeQueue: one event-loop turn to gather,
// then the recovery workers; vs inline on the main thread).
// The busy variant keeps the event loop occupied by 1 ms tasks back to back, as a validator's
// consensus work does: every extra event-loop turn or round trip on the path then costs a task.
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import type { Libp2p } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { createLibp2p } from "libp2p";
import { BatchTxDecoder } from "../../src/execution/batch-decoder.ts";
import { fastDecodeExecTx } from "../../src/execution/fast-decode.ts";
import { hexToBytes } from "../../src/execution/hex.ts";
import { DecodeQueue } from "../../src/mempool/decode-queue.ts";
import { RateLimiter } from "../../src/p2p/rate-limiter.ts";
import { type ReqRespLimits, sendRequest, serveRequest } from "../../src/p2p/req-resp.ts";
import { DEFAULT_TX_FORWARD_LIMITS, handleTxForward, TxForwardClient } from "../../src/p2p/tx-forward.ts";
import { type BenchResult, machineInfo, percentile, progress } from "../harness.ts";
import { loadAccounts, signNativeTransfers } from "../load/accounts.ts";

const CHAIN = 31_378;
const V1 = `/megaseq/${CHAIN}/tx_forward/1`;
const V1_LIMITS: ReqRespLimits = {
  maxRequestBytes: 128 * 1024,
  maxResponseItems: 1,
  maxItemBytes: 512 * 1024,
  maxResponseBytes: 512 * 1024,
  timeoutMs: 5_000,
  rate: { perSecond: 1e6, burst: 1e6 },
};
const RECEIPT = new Uint8Array(600).fill(7);

async function node(): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  });
}

/** Keeps the event loop busy with `taskMs` synchronous tasks, one per turn, until stopped. */
function busyLoop(taskMs: number): () => void {
  let stopped = false;
  const task = (): void => {
    if (stopped) return;
    const until = performance.now() + taskMs;
    while (performance.now() < until) {
      // spin: stands for consensus work (BLS, gossip, execution) on a validator's main thread
    }
    setImmediate(task);
  };
  setImmediate(task);
  return () => {
    stopped = true;
  };
}

async function timeEach(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const us: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    us.push((performance.now() - t0) * 1000);
  }
  return us;
}

const p = (xs: number[], q: number): number => Math.round(percentile(xs, q));

export async function run(): Promise<BenchResult> {
  const n = Number(process.env.TX_FORWARD_N ?? 400);
  const [account] = loadAccounts(1, 9);
  const [rawHex] = await signNativeTransfers(CHAIN, [account], 1);
  const raw = hexToBytes(rawHex);
  const [server, client] = await Promise.all([node(), node()]);
  const decoder = new BatchTxDecoder({ workers: 2 });
  const metrics: Record<string, number> = {};
  try {
    const limiter = new RateLimiter({ limit: V1_LIMITS.rate });
    await server.handle(V1, async (stream, connection) => {
      await serveRequest(stream, connection.remotePeer.toString(), V1_LIMITS, () => [RECEIPT], limiter, "k");
    });
    await handleTxForward(server, CHAIN, async () => RECEIPT, {
      ...DEFAULT_TX_FORWARD_LIMITS,
      rate: { perSecond: 1e6, burst: 1e6 },
    });
    await client.dial(server.getMultiaddrs()[0]);
    const forwarder = new TxForwardClient({ chainId: CHAIN }, { libp2p: () => client });
    const v1 = (): Promise<unknown> => sendRequest(client, server.peerId, V1, raw, V1_LIMITS);
    const v2 = (): Promise<unknown> => forwarder.forward(server.peerId, raw);
    // The node's admission path: gathered for one event-loop turn, then recovered on a worker.
    const queue = new DecodeQueue({}, { decoder });
    const viaWorkers = (): Promise<unknown> => queue.decode(raw);
    const inline = async (): Promise<unknown> => fastDecodeExecTx(raw);
    for (const f of [v1, v2, viaWorkers, inline]) await timeEach(20, f);

    for (const [label, taskMs] of [
      ["quiet", 0],
      ["busy", 1],
    ] as const) {
      progress(`${label}: ${n} round trips each`);
      const stop = taskMs > 0 ? busyLoop(taskMs) : () => {};
      try {
        // Interleaved in slices, so that both see the same machine.
        const a: number[] = [];
        const b: number[] = [];
        const w: number[] = [];
        const i: number[] = [];
        for (let s = 0; s < 4; s++) {
          a.push(...(await timeEach(n / 4, v1)));
          b.push(...(await timeEach(n / 4, v2)));
          w.push(...(await timeEach(n / 4, viaWorkers)));
          i.push(...(await timeEach(n / 4, inline)));
        }
        metrics[`forward_stream_per_tx_p50_us_${label}`] = p(a, 50);
        metrics[`forward_stream_per_tx_p99_us_${label}`] = p(a, 99);
        metrics[`forward_long_lived_p50_us_${label}`] = p(b, 50);
        metrics[`forward_long_lived_p99_us_${label}`] = p(b, 99);
        metrics[`recover_via_workers_p50_us_${label}`] = p(w, 50);
        metrics[`recover_inline_p50_us_${label}`] = p(i, 50);
      } finally {
        stop();
      }
    }
    forwarder.close();
  } finally {
    await decoder.close();
    await Promise.all([client.stop(), server.stop()]);
  }
  const ratio = (x: string, y: string): number =>
    Math.round((metrics[x] / Math.max(1, metrics[y])) * 100) / 100;
  return {
    metrics,
    ratios: {
      forward_stream_per_tx_over_long_lived_quiet: ratio(
        "forward_stream_per_tx_p50_us_quiet",
        "forward_long_lived_p50_us_quiet",
      ),
      forward_stream_per_tx_over_long_lived_busy: ratio(
        "forward_stream_per_tx_p50_us_busy",
        "forward_long_lived_p50_us_busy",
      ),
      recover_workers_over_inline_quiet: ratio(
        "recover_via_workers_p50_us_quiet",
        "recover_inline_p50_us_quiet",
      ),
      recover_workers_over_inline_busy: ratio(
        "recover_via_workers_p50_us_busy",
        "recover_inline_p50_us_busy",
      ),
    },
    details: { ...machineInfo(), roundTripsEach: n, receiptBytes: RECEIPT.length, txBytes: raw.length },
  };
}
