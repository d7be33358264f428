import { CodedError } from "../src/util/coded-error.ts";
import type { InvariantName } from "./invariants.ts";
import type { Scenario } from "./scenario.ts";
import { runScenario, type SimulationHooks } from "./simulation.ts";

export class SeedRangeError extends CodedError<"BAD_SEED_RANGE" | "BAD_SEED"> {}

export interface SweepFailure {
  seed: number;
  invariant: InvariantName;
  step: number;
  message: string;
}

export interface SweepResult {
  scenario: string;
  signatureScheme: string;
  runs: number;
  seeds: { from: number; to: number };
  failures: SweepFailure[];
  /** Distinct commit-log hashes seen: a sweep where every seed gives the same run is suspicious. */
  distinctRuns: number;
  wallMs: number;
}

const MAX_SEEDS = 1_000_000;

/** Parses "A..B" (inclusive) into a range of non-negative 32-bit seeds. */
export function parseSeedRange(text: string): { from: number; to: number } {
  const m = /^(\d+)\.\.(\d+)$/.exec(text.trim());
  if (!m) throw new SeedRangeError("BAD_SEED_RANGE", `--seeds expects A..B (e.g. 1..200), got "${text}"`);
  const from = Number(m[1]);
  const to = Number(m[2]);
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to > 0xffffffff) {
    throw new SeedRangeError("BAD_SEED_RANGE", `seeds must be integers in 0..4294967295, got "${text}"`);
  }
  if (to < from) throw new SeedRangeError("BAD_SEED_RANGE", `--seeds ${text}: the end is before the start`);
  if (to - from + 1 > MAX_SEEDS)
    throw new SeedRangeError("BAD_SEED_RANGE", `--seeds ${text}: at most ${MAX_SEEDS} seeds per sweep`);
  return { from, to };
}

export function parseSeed(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) > 0xffffffff) {
    throw new SeedRangeError("BAD_SEED", `--seed expects an integer in 0..4294967295, got "${text}"`);
  }
  return Number(text);
}

/**
 * Runs one scenario over a range of seeds; each failing seed is listed with the first invariant
 * it broke and the step, so `sim run <file> --seed N` replays exactly that run.
 */
export function sweep(
  scenario: Scenario,
  range: { from: number; to: number },
  opts: { hooks?: SimulationHooks; onRun?: (done: number, total: number, failures: number) => void } = {},
): SweepResult {
  const started = performance.now();
  const failures: SweepFailure[] = [];
  const hashes = new Set<string>();
  let scheme = "";
  const total = range.to - range.from + 1;
  for (let seed = range.from; seed <= range.to; seed++) {
    const result = runScenario(scenario, seed, { stopOnViolation: true, ...opts.hooks });
    scheme = result.signatureScheme;
    hashes.add(result.commitLogHash);
    for (const v of result.violations)
      failures.push({ seed, invariant: v.invariant, step: v.step, message: v.message });
    opts.onRun?.(seed - range.from + 1, total, failures.length);
  }
  return {
    scenario: scenario.name,
    signatureScheme: scheme,
    runs: total,
    seeds: range,
    failures,
    distinctRuns: hashes.size,
    wallMs: Math.round(performance.now() - started),
  };
}
