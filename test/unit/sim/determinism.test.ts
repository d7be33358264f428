import { describe, expect, it } from "vitest";
import { runScenario } from "../../../sim/simulation.ts";
import { scenario } from "./helpers.ts";

describe("simulation determinism", () => {
  const s = scenario({
    durationMs: 5000,
    network: {
      latency: { dist: "normal", meanMs: 40, stdMs: 15 },
      loss: 0.05,
      duplicate: 0.05,
      reorder: 0.1,
    },
    timeline: [
      { at: 1000, event: "partition", groups: [[0], [1, 2, 3]] },
      { at: 2000, event: "heal" },
      { at: 2500, event: "crash", nodes: [2] },
      { at: 3000, event: "restart", nodes: [2] },
    ],
  });

  it("same scenario and seed give the same run, bit for bit", () => {
    const a = runScenario(s, 7);
    const b = runScenario(s, 7);
    expect(a.commits).toBeGreaterThan(5);
    expect(b.commitLogHash).toBe(a.commitLogHash);
    const strip = (r: typeof a): unknown => ({ ...r, wallMs: 0 });
    expect(JSON.stringify(strip(b))).toBe(JSON.stringify(strip(a)));
  });

  it("different seeds give different runs", () => {
    const hashes = new Set([1, 2, 3].map((seed) => runScenario(s, seed).commitLogHash));
    expect(hashes.size).toBe(3);
  });
});

describe("signature schemes", () => {
  it("runs real BLS when the scenario asks for it, and says so", { timeout: 120_000 }, () => {
    const r = runScenario(scenario({ durationMs: 1500, signatureScheme: "bls" }), 1);
    expect(r.signatureScheme).toBe("bls12-381-min-pk");
    expect(r.commits).toBeGreaterThan(3);
    expect(r.stats.drops.bad_signature ?? 0).toBe(0);
    expect(runScenario(scenario({ durationMs: 1500 }), 1).signatureScheme).toBe("insecure-test-hash");
  });
});
