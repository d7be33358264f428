import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { SCENARIO_DIR, VIOLATION_DIR } from "./helpers.ts";

const run = promisify(execFile);
const BIN = join(import.meta.dirname, "../../../bin/megaseq.js");

async function megaseq(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { maxBuffer: 32 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("megaseq sim run", () => {
  const dir = mkdtempSync(join(tmpdir(), "sim-cli-"));

  it(
    "prints one JSON object with the summary, and writes an offline HTML report",
    { timeout: 300_000 },
    async () => {
      const report = join(dir, "out.html");
      const r = await megaseq([
        "sim",
        "run",
        join(SCENARIO_DIR, "split-2-2-heal.yaml"),
        "--seed",
        "3",
        "--json",
        "--report",
        report,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.seed).toBe(3);
      expect(out.commitLogHash).toMatch(/^[0-9a-f]{64}$/);
      expect(out.commits).toBeGreaterThan(0);
      expect(out.latencyMs.p50).toBeGreaterThan(0);
      expect(out.latencyMs.p99).toBeGreaterThanOrEqual(out.latencyMs.p50);
      expect(out.signatureScheme).toBe("insecure-test-hash");
      expect(Object.keys(out.heights)).toEqual(["0", "1", "2", "3"]);
      expect(out.rounds).toBeGreaterThan(0);
      expect(out.stats.messages.sent.vote).toBeGreaterThan(0);
      expect(out.invariants).toEqual({
        agreement: "ok",
        noDoubleSign: "ok",
        singleChain: "ok",
        liveness: "ok",
        evidence: "n/a",
      });
      const html = readFileSync(report, "utf8");
      expect(html).toContain("<svg");
      expect(html).toContain("insecure-test-hash");
      expect(html).toContain("partition");
      // Self-contained: nothing is fetched from anywhere.
      expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    },
  );

  it(
    "sweeps a seed range and lists failures; exits non-zero on a violation",
    { timeout: 300_000 },
    async () => {
      const ok = await megaseq([
        "sim",
        "run",
        join(SCENARIO_DIR, "leader-isolation.yaml"),
        "--seeds",
        "1..2",
        "--json",
      ]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ runs: 2, failures: [] });
      expect(ok.stderr).toContain("leader-isolation");
      const bad = await megaseq([
        "sim",
        "run",
        join(VIOLATION_DIR, "byzantine-majority.yaml"),
        "--seeds",
        "1..2",
        "--json",
      ]);
      expect(bad.code).not.toBe(0);
      const out = JSON.parse(bad.stdout);
      expect(out.runs).toBe(2);
      expect(out.failures[0]).toMatchObject({ seed: 1, invariant: "agreement" });
      expect(out.failures[0].step).toBeGreaterThan(0);
      const one = await megaseq([
        "sim",
        "run",
        join(VIOLATION_DIR, "byzantine-majority.yaml"),
        "--seed",
        "1",
      ]);
      expect(one.code).not.toBe(0);
      expect(one.stdout).toMatch(/VIOLATION agreement \(seed 1, step \d+/);
    },
  );

  it("explains a bad scenario file", { timeout: 300_000 }, async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "name: x\ndurationMs: -5\nvalidators: 4\ntimeline:\n  - { at: 1, event: explode }\n");
    const r = await megaseq(["sim", "run", file, "--json"]);
    expect(r.code).not.toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.error.code).toBe("SCENARIO_INVALID");
    expect(out.error.message).toContain("durationMs");
    expect(out.error.message).toMatch(/timeline\[0\]\.event: expected one of/);
    const seeds = await megaseq([
      "sim",
      "run",
      join(SCENARIO_DIR, "split-2-2-heal.yaml"),
      "--seeds",
      "9..1",
      "--json",
    ]);
    expect(JSON.parse(seeds.stdout).error.code).toBe("BAD_SEED_RANGE");
  });
});
