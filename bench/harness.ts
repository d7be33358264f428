import { readFileSync } from "node:fs";
import os from "node:os";

/** What every bench suite returns; run.ts wraps it into the JSON line of DESIGN.md §5. */
export interface BenchResult {
  metrics: Record<string, number>;
  ratios: Record<string, number>;
  /** Extra figures (tables, per-size curves) that no check reads but people do. */
  details?: Record<string, unknown>;
}

export type BenchSuite = () => Promise<BenchResult>;

/** Progress goes to stderr so that stdout's last line stays the JSON result. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export function median(values: number[]): number {
  if (values.length === 0) throw new Error("median of nothing");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) throw new Error("percentile of nothing");
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/**
 * Times `fn` over `iterations` calls, `samples` times, and returns the median seconds per call.
 * Medians, because these machines are shared and one sample can be slowed by a neighbour.
 */
export async function secondsPerOp(
  fn: () => unknown | Promise<unknown>,
  opts: { iterations: number; samples?: number; warmup?: number },
): Promise<number> {
  const samples = opts.samples ?? 5;
  for (let i = 0; i < (opts.warmup ?? Math.min(opts.iterations, 10)); i++) await fn();
  const perOp: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < opts.iterations; i++) await fn();
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    perOp.push(elapsed / opts.iterations);
  }
  return median(perOp);
}

export function machineInfo(): { cpus: number; node: string } {
  return { cpus: os.availableParallelism(), node: process.version };
}

/** Cumulative CPU time of the whole machine (Linux /proc/stat, in clock ticks); null elsewhere. */
export interface MachineCpuTimes {
  busy: number;
  steal: number;
  total: number;
}

export function machineCpuTimes(): MachineCpuTimes | null {
  let line: string | undefined;
  try {
    line = readFileSync("/proc/stat", "utf8").split("\n")[0];
  } catch {
    return null;
  }
  // cpu user nice system idle iowait irq softirq steal guest guest_nice
  const f = (line ?? "").trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 8 || f.some((x) => !Number.isFinite(x))) return null;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, total: busy + idle + iowait + steal };
}

/**
 * What the machine did between two samples, in percent of all its CPUs' time: busy (every
 * process, this bench's included) and stolen by the hypervisor. Next to a timing, these say how
 * much of the machine was really there for it.
 */
export function machineCpuShare(
  a: MachineCpuTimes | null,
  b: MachineCpuTimes | null,
): { busy_pct: number; steal_pct: number } | null {
  if (a === null || b === null || b.total <= a.total) return null;
  const total = b.total - a.total;
  return { busy_pct: (100 * (b.busy - a.busy)) / total, steal_pct: (100 * (b.steal - a.steal)) / total };
}
