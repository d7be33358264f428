import { parseScenario } from "../../sim/scenario.ts";
import { runScenario } from "../../sim/simulation.ts";
import { type BenchResult, median, progress } from "../harness.ts";

/**
 * Simulator speed: consensus rounds per wall-clock second for N = 4, 16, 64, 100 validators of
 * the real core over a calm WAN-like network with the insecure test signature scheme. Virtual
 * durations shrink with N so the suite stays in minutes; each figure is a median of 3 runs.
 */
const SIZES: { n: number; durationMs: number }[] = [
  { n: 4, durationMs: 30_000 },
  { n: 16, durationMs: 10_000 },
  { n: 64, durationMs: 3_000 },
  { n: 100, durationMs: 2_000 },
];

export async function run(): Promise<BenchResult> {
  const metrics: Record<string, number> = {};
  const details: Record<string, unknown> = {};
  for (const { n, durationMs } of SIZES) {
    const scenario = parseScenario({
      name: `bench-n${n}`,
      validators: n,
      durationMs,
      consensus: { baseTimeoutMs: 1000 },
      network: { latency: { dist: "uniform", minMs: 20, maxMs: 80 } },
    });
    const rates: number[] = [];
    const cpuRates: number[] = [];
    const runs: { rounds: number; commits: number; wallMs: number; steps: number }[] = [];
    for (let seed = 1; seed <= 3; seed++) {
      const cpu0 = process.cpuUsage();
      const r = runScenario(scenario, seed);
      const cpu = process.cpuUsage(cpu0);
      rates.push(r.rounds / (r.wallMs / 1000));
      // CPU time too: on a shared machine wall time mostly measures the neighbours.
      cpuRates.push(r.rounds / ((cpu.user + cpu.system) / 1e6));
      runs.push({ rounds: r.rounds, commits: r.commits, wallMs: r.wallMs, steps: r.stats.steps });
      if (Object.values(r.invariants).includes("violated"))
        throw new Error(`n=${n} seed ${seed} violated an invariant`);
    }
    metrics[`rounds_per_wall_s_n${n}`] = Math.round(median(rates) * 10) / 10;
    metrics[`rounds_per_cpu_s_n${n}`] = Math.round(median(cpuRates) * 10) / 10;
    details[`n${n}`] = { virtualMs: durationMs, runs };
    progress(
      `n=${n}: ${metrics[`rounds_per_wall_s_n${n}`]} rounds per wall second (${runs.map((r) => r.rounds).join(", ")} rounds)`,
    );
  }
  // 60 virtual seconds of 4 nodes: the "a few seconds" figure of the issue.
  const s60 = parseScenario({
    name: "bench-n4-60s",
    validators: 4,
    durationMs: 60_000,
    network: { latency: { dist: "uniform", minMs: 20, maxMs: 80 } },
  });
  const cpu60 = process.cpuUsage();
  const r60 = runScenario(s60, 1);
  const used60 = process.cpuUsage(cpu60);
  metrics.wall_s_n4_60_virtual_s = Math.round(r60.wallMs) / 1000;
  metrics.cpu_s_n4_60_virtual_s = Math.round((used60.user + used60.system) / 1000) / 1000;
  progress(
    `4 nodes, 60 virtual s: ${metrics.wall_s_n4_60_virtual_s} s wall, ${metrics.cpu_s_n4_60_virtual_s} s CPU, ${r60.rounds} rounds`,
  );
  return {
    metrics,
    ratios: {
      n16_vs_n4: Math.round((metrics.rounds_per_wall_s_n16 / metrics.rounds_per_wall_s_n4) * 1000) / 1000,
      n100_vs_n4: Math.round((metrics.rounds_per_wall_s_n100 / metrics.rounds_per_wall_s_n4) * 1000) / 1000,
    },
    details,
  };
}
