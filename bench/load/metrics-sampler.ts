// Samples one node's Prometheus metrics while a load runs: consensus rounds, timeouts, executed
// transactions and the pool's size over time, so a run shows where throughput went (rounds per
// second x transactions per round) instead of one figure at the end; and the CPU time each process
// spent, which on a shared machine says more than wall-clock rates.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const WATCHED = {
  round: "megaseq_consensus_round",
  committed: "megaseq_consensus_committed_height",
  timeouts: "megaseq_consensus_timeouts_total",
  executed: "megaseq_execution_txs_total",
  pool: "megaseq_mempool_size_txs",
} as const;

type Watched = keyof typeof WATCHED;
export type MetricsSample = Record<Watched, number> & { atMs: number };

/** Sums every series of each watched metric in a Prometheus text exposition. */
export function parseWatched(text: string, atMs: number): MetricsSample {
  const out = { atMs, round: 0, committed: 0, timeouts: 0, executed: 0, pool: 0 };
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    for (const key of Object.keys(WATCHED) as Watched[]) {
      const name = WATCHED[key];
      if (line.startsWith(name) && (line[name.length] === " " || line[name.length] === "{")) {
        out[key] += Number(line.slice(line.lastIndexOf(" ") + 1)) || 0;
      }
    }
  }
  return out;
}

export interface MetricsSampler {
  /** Stops sampling and returns the samples taken (the first is taken at start). */
  stop(): Promise<MetricsSample[]>;
}

export function sampleMetrics(metricsUrl: string, everyMs = 250): MetricsSampler {
  const samples: MetricsSample[] = [];
  let stopped = false;
  const take = async (): Promise<void> => {
    try {
      const text = await (await fetch(`${metricsUrl}/metrics`)).text();
      samples.push(parseWatched(text, Date.now()));
    } catch {
      // A missed sample only thins the timeline.
    }
  };
  const loop = (async (): Promise<void> => {
    while (!stopped) {
      await take();
      await new Promise((r) => setTimeout(r, everyMs));
    }
    await take();
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

export interface LoadSummary {
  seconds: number;
  rounds: number;
  rounds_per_s: number;
  committed_blocks: number;
  timeouts: number;
  executed_txs: number;
  txs_per_committed_block: number;
  max_pool: number;
}

/** Rates between the first and last sample. */
export function summarize(samples: MetricsSample[]): LoadSummary | undefined {
  if (samples.length < 2) return undefined;
  const a = samples[0];
  const b = samples[samples.length - 1];
  const seconds = (b.atMs - a.atMs) / 1000;
  const committed = b.committed - a.committed;
  const executed = b.executed - a.executed;
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  return {
    seconds: r2(seconds),
    rounds: b.round - a.round,
    rounds_per_s: r2((b.round - a.round) / Math.max(seconds, 1e-9)),
    committed_blocks: committed,
    timeouts: b.timeouts - a.timeouts,
    executed_txs: executed,
    txs_per_committed_block: r2(executed / Math.max(committed, 1)),
    max_pool: Math.max(...samples.map((s) => s.pool)),
  };
}

/** One line per sample: time since start, rounds, executed txs and pool size since the previous. */
export function timeline(samples: MetricsSample[]): string[] {
  const lines: string[] = [];
  for (let i = 1; i < samples.length; i++) {
    const p = samples[i - 1];
    const s = samples[i];
    lines.push(
      `+${s.atMs - samples[0].atMs}ms rounds +${s.round - p.round} commits +${s.committed - p.committed} timeouts +${s.timeouts - p.timeouts} executed +${s.executed - p.executed} pool ${s.pool}`,
    );
  }
  return lines;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); 0 if unreadable. */
export function processCpuSeconds(pid: number | undefined, thread?: number): number {
  if (pid === undefined) return 0;
  try {
    const path = thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`;
    const stat = readFileSync(path, "utf8");
    // Fields after the command name (which may hold spaces), 1-based field 14 = utime, 15 = stime.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export interface CpuUsed {
  /** Each node process, all threads. */
  nodes: number[];
  /** Each node's main thread (the event loop: consensus, admission, execution, RPC, libp2p). */
  nodesMain: number[];
  /** All nodes' threads other than the main one, by thread name (workers, libuv pool, GC). */
  otherThreads: Record<string, number>;
  generator: number;
}

/** CPU seconds of every thread of a process but the main one, by thread id: [name, seconds]. */
function threadCpu(pid: number | undefined): Map<string, [string, number]> {
  const out = new Map<string, [string, number]>();
  if (pid === undefined) return out;
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    if (tid === String(pid)) continue;
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
      out.set(tid, [name, processCpuSeconds(pid, Number(tid))]);
    } catch {
      // The thread ended.
    }
  }
  return out;
}

/** CPU seconds of each node process and of this (load generator) process between start and stop. */
export function cpuMeter(pids: (number | undefined)[]): () => CpuUsed {
  const nodes0 = pids.map((pid) => processCpuSeconds(pid));
  const main0 = pids.map((pid) => processCpuSeconds(pid, pid));
  const threads0 = pids.map(threadCpu);
  const self0 = process.cpuUsage();
  return () => {
    const self = process.cpuUsage(self0);
    const r2 = (x: number): number => Math.round(x * 100) / 100;
    const otherThreads: Record<string, number> = {};
    pids.forEach((pid, i) => {
      for (const [tid, [name, seconds]] of threadCpu(pid)) {
        const used = seconds - (threads0[i].get(tid)?.[1] ?? 0);
        otherThreads[name] = r2((otherThreads[name] ?? 0) + used);
      }
    });
    return {
      nodes: pids.map((pid, i) => r2(processCpuSeconds(pid) - nodes0[i])),
      nodesMain: pids.map((pid, i) => r2(processCpuSeconds(pid, pid) - main0[i])),
      otherThreads,
      generator: r2((self.user + self.system) / 1e6),
    };
  };
}

/**
 * Bytes carried by the TCP connections touching `ports` (the nodes' p2p ports) since the meter
 * started, from `ss -tin` (Linux): both ends of a connection count what they received, so the sum
 * is the traffic in both directions. Connections closed in between are not counted.
 */
export function tcpBytesMeter(ports: number[]): () => number {
  const read = (): Map<string, number> => {
    const out = new Map<string, number>();
    let text = "";
    try {
      text = execFileSync("ss", ["-tinH", "state", "established"], { encoding: "utf8" });
    } catch {
      return out;
    }
    const lines = text.split("\n");
    const wanted = new Set(ports.map(String));
    for (let i = 0; i < lines.length - 1; i++) {
      const cols = lines[i].trim().split(/\s+/);
      if (cols.length < 4 || lines[i].startsWith("\t") || lines[i].startsWith(" ")) continue;
      const local = cols[cols.length - 2];
      const peer = cols[cols.length - 1];
      const portOf = (a: string): string => a.slice(a.lastIndexOf(":") + 1);
      if (!wanted.has(portOf(local)) && !wanted.has(portOf(peer))) continue;
      const m = /bytes_received:(\d+)/.exec(lines[i + 1]);
      if (m) out.set(`${local} ${peer}`, Number(m[1]));
    }
    return out;
  };
  const before = read();
  return () => {
    let total = 0;
    for (const [key, bytes] of read()) total += bytes - (before.get(key) ?? 0);
    return total;
  };
}
