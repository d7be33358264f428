import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { ProgressBar } from "../../../sim/progress.ts";
import { renderReport } from "../../../sim/report.ts";
import { loadScenario } from "../../../sim/scenario.ts";
import { type RunResult, runScenario } from "../../../sim/simulation.ts";
import { parseSeed, parseSeedRange, type SweepResult, sweep } from "../../../sim/sweep.ts";
import { action, printResult } from "../output.ts";

interface RunOptions {
  json?: boolean;
  seed: string;
  seeds?: string;
  report?: string;
}

/** `megaseq sim run <scenario.yaml>`: one seeded run, or a sweep over a seed range. */
export function register(program: Command): void {
  const sim = program.command("sim").description("deterministic network simulator of the consensus core");
  sim
    .command("run")
    .description("run a scenario file (sim/scenarios/*.yaml) with one seed, or sweep a seed range")
    .argument("<scenario>", "scenario YAML file")
    .option("--seed <n>", "seed of the run", "1")
    .option("--seeds <A..B>", "sweep seeds A to B (inclusive) and list the failing ones")
    .option("--report <file.html>", "write a self-contained HTML report of the run (with --seed)")
    .option("--json", "print one JSON object")
    .action(
      action((file: string, opts: RunOptions) => {
        const scenario = loadScenario(file);
        if (opts.seeds !== undefined) {
          const range = parseSeedRange(opts.seeds);
          const bar = new ProgressBar(`sim ${scenario.name}`, range.to - range.from + 1);
          const result = sweep(scenario, range, {
            onRun: (done, _t, failures) => bar.update(done, `${failures} failing`),
          });
          bar.done();
          printResult(opts, result, humanSweep(result));
          if (result.failures.length > 0) process.exitCode = 1;
          return;
        }
        const seed = parseSeed(opts.seed);
        const bar = new ProgressBar(`sim ${scenario.name} seed ${seed}`, 100);
        const result = runScenario(scenario, seed, {
          onProgress: (f) => bar.update(Math.floor(f * 100), "% virtual time"),
        });
        if (result.wallMs > 1000) {
          bar.update(100);
          bar.done();
        }
        if (opts.report !== undefined) writeFileSync(opts.report, renderReport(result));
        const { timeline: _timeline, ...summary } = result;
        printResult(
          opts,
          { ...summary, ...(opts.report !== undefined ? { report: opts.report } : {}) },
          humanRun(result, opts.report),
        );
        if (result.violations.length > 0) process.exitCode = 1;
      }),
    );
}

function humanRun(r: RunResult, report: string | undefined): string {
  const lines = [
    `scenario ${r.scenario}, seed ${r.seed}, signature scheme ${r.signatureScheme}, ${r.durationMs} virtual ms in ${r.wallMs} wall ms`,
    `commits ${r.commits}, rounds ${r.rounds}, timeouts ${r.stats.timeouts}, commit latency p50 ${r.latencyMs.p50} ms p99 ${r.latencyMs.p99} ms`,
    `heights ${Object.entries(r.heights)
      .map(([k, v]) => `${k}:${v}`)
      .join(" ")}`,
    `invariants ${Object.entries(r.invariants)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")}`,
    `commitLogHash ${r.commitLogHash}`,
  ];
  for (const v of r.violations) {
    lines.push(`VIOLATION ${v.invariant} (seed ${r.seed}, step ${v.step}, ${v.atMs} ms): ${v.message}`);
    for (const t of v.trace) lines.push(`  #${t.step} ${t.atMs} ms  ${t.text}`);
  }
  if (report !== undefined) lines.push(`report written to ${report}`);
  return lines.join("\n");
}

function humanSweep(r: SweepResult): string {
  const lines = [
    `scenario ${r.scenario}: ${r.runs} runs (seeds ${r.seeds.from}..${r.seeds.to}), ${r.failures.length} failure(s), ${r.distinctRuns} distinct runs, ${r.wallMs} ms`,
  ];
  for (const f of r.failures) lines.push(`  seed ${f.seed}: ${f.invariant} at step ${f.step}: ${f.message}`);
  if (r.failures.length > 0)
    lines.push(`replay one with: megaseq sim run <scenario> --seed ${r.failures[0].seed} --report out.html`);
  return lines.join("\n");
}
