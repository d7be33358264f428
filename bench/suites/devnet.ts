import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { metricValue, scrapeMetrics } from "../../src/node/devnet-metrics.ts";
import { spawnNode, stopProcess } from "../../src/node/devnet-process.ts";
import { createLocalNetwork, validatorProcessOptions } from "../../src/node/local-network.ts";
import { type BenchResult, machineCpuShare, machineCpuTimes, machineInfo, progress } from "../harness.ts";

const VALIDATORS = 4;
const MEASURE_S = Number(process.env.DEVNET_BENCH_SECONDS ?? 20);
/**
 * Seconds between the first commits and the measurement: V8 is still compiling the hot paths of
 * a freshly started node (~10% of its CPU in the first seconds), and the figures are about a
 * running network.
 */
const WARMUP_S = Number(process.env.DEVNET_WARMUP_SECONDS ?? 10);
const HISTOGRAM = "megaseq_consensus_commit_latency_seconds";
/** Set: node 0 runs under V8's CPU profiler, the profile lands here when it exits. */
const PROFILE_DIR = process.env.DEVNET_PROFILE_DIR;
const CPU_METRIC = "megaseq_process_cpu_seconds_total";

/** Cumulative bucket counts of the commit-latency histogram, summed over nodes, by upper bound (s). */
function buckets(texts: string[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const text of texts) {
    for (const line of text.split("\n")) {
      const match = new RegExp(`^${HISTOGRAM}_bucket\\{le="([^"]+)"\\} (\\S+)`).exec(line);
      if (!match) continue;
      const le = match[1] === "+Inf" ? Number.POSITIVE_INFINITY : Number(match[1]);
      out.set(le, (out.get(le) ?? 0) + Number(match[2]));
    }
  }
  return out;
}

/** Percentile from histogram deltas, interpolated linearly inside the bucket that holds it. */
function histogramPercentile(before: Map<number, number>, after: Map<number, number>, p: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const total = counts[counts.length - 1];
  if (!total) return Number.NaN;
  const target = (p / 100) * total;
  let lower = 0;
  let lowerCount = 0;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i] >= target) {
      const upper = Number.isFinite(bounds[i]) ? bounds[i] : lower * 2;
      const inBucket = counts[i] - lowerCount;
      const frac = inBucket === 0 ? 1 : (target - lowerCount) / inBucket;
      return (lower + frac * (upper - lower)) * 1000;
    }
    lower = bounds[i];
    lowerCount = counts[i];
  }
  return Number.NaN;
}

async function snapshot(
  urls: string[],
): Promise<{ texts: string[]; heights: number[]; cpu: number[]; timeouts: number[] }> {
  const texts = (await Promise.all(urls.map((u) => scrapeMetrics(u, 5_000)))).map((t) => t ?? "");
  return {
    texts,
    heights: texts.map((t) => metricValue(t, "megaseq_consensus_committed_height") ?? 0),
    cpu: texts.map((t) => metricValue(t, CPU_METRIC) ?? 0),
    timeouts: texts.map((t) => metricValue(t, "megaseq_consensus_timeouts_total") ?? 0),
  };
}

/**
 * The 4-node devnet's consensus on this machine: real `megaseq node` processes on loopback with
 * BLS, empty mini-blocks (no load), measured from each node's own metrics over MEASURE_S seconds.
 */
export async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "megaseq-devnet-bench-"));
  const children: ChildProcess[] = [];
  try {
    const net = await createLocalNetwork({
      dir,
      validators: VALIDATORS,
      chainId: 4242,
      consensus: { baseTimeoutMs: 500, maxTimeoutMs: 4_000 },
    });
    for (const v of net.validators) {
      children.push(
        spawnNode(
          { ...validatorProcessOptions(net.genesisFile, v, join(v.dataDir, "node.log")), logLevel: "warn" },
          { cpuProfileDir: v === net.validators[0] ? PROFILE_DIR : undefined },
        ),
      );
    }
    const urls = net.validators.map((v) => `http://127.0.0.1:${v.metricsPort}`);
    progress(`started ${VALIDATORS} nodes in ${dir}; waiting for commits`);
    const deadline = Date.now() + 180_000;
    for (;;) {
      const { heights } = await snapshot(urls);
      if (heights.every((h) => h >= 20)) break;
      if (Date.now() > deadline)
        throw new Error(`nodes did not commit in time (heights ${heights.join(",")})`);
      await new Promise((r) => setTimeout(r, 500));
    }
    progress(`warming up for ${WARMUP_S} s`);
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    progress(`measuring for ${MEASURE_S} s`);
    const before = await snapshot(urls);
    const machineBefore = machineCpuTimes();
    const start = performance.now();
    await new Promise((r) => setTimeout(r, MEASURE_S * 1000));
    const after = await snapshot(urls);
    const machine = machineCpuShare(machineBefore, machineCpuTimes());
    const seconds = (performance.now() - start) / 1000;
    const perNode = after.heights.map((h, i) => (h - before.heights[i]) / seconds);
    const b0 = buckets(before.texts);
    const b1 = buckets(after.texts);
    const p50 = histogramPercentile(b0, b1, 50);
    const p99 = histogramPercentile(b0, b1, 99);
    const blocksPerS = perNode.reduce((a, b) => a + b, 0) / perNode.length;
    // CPU per committed mini-block, all four processes together: what a round costs this machine,
    // a figure that the neighbours' load disturbs much less than the latency.
    const cpuSeconds = after.cpu.reduce((a, c, i) => a + c - before.cpu[i], 0);
    const blocks = after.heights[0] - before.heights[0];
    const cpuMsPerBlock = blocks > 0 ? (cpuSeconds * 1000) / blocks : Number.NaN;
    // Rounds entered through a TC (a leader that did not get its proposal through in time).
    const timeoutRounds = Math.max(...after.timeouts.map((t, i) => t - before.timeouts[i]));
    // How much of the machine the nodes had: the rest went to other processes or the hypervisor.
    const nodesCpuPct = (100 * cpuSeconds) / (seconds * machineInfo().cpus);
    progress(
      `committed ${blocksPerS.toFixed(1)} mini-blocks/s per node; commit latency p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; ${cpuMsPerBlock.toFixed(2)} CPU ms per block (4 nodes); ${timeoutRounds} rounds timed out`,
    );
    if (machine !== null) {
      progress(
        `machine: nodes ${nodesCpuPct.toFixed(0)} %, other processes ${Math.max(0, machine.busy_pct - nodesCpuPct).toFixed(0)} %, stolen by the hypervisor ${machine.steal_pct.toFixed(0)} % of all CPU time`,
      );
    }
    return {
      metrics: {
        committed_blocks_per_s: blocksPerS,
        commit_latency_p50_ms: p50,
        commit_latency_p99_ms: p99,
        cpu_ms_per_block_all_nodes: cpuMsPerBlock,
        timed_out_rounds: timeoutRounds,
      },
      ratios: { slowest_vs_fastest_node: Math.min(...perNode) / Math.max(...perNode) },
      details: {
        validators: VALIDATORS,
        measuredSeconds: seconds,
        warmupSeconds: WARMUP_S,
        perNodeBlocksPerS: perNode,
        latencySource: "per-node histogram megaseq_consensus_commit_latency_seconds, interpolated in buckets",
        // Percent of all CPUs' time over the window (Linux /proc/stat): the nodes, every other
        // process, and the time the hypervisor gave to other machines.
        nodesCpuPct,
        othersCpuPct: machine === null ? null : Math.max(0, machine.busy_pct - nodesCpuPct),
        stealPct: machine?.steal_pct ?? null,
      },
    };
  } finally {
    await Promise.all(children.map((c) => stopProcess(c, 3_000)));
    rmSync(dir, { recursive: true, force: true });
  }
}
