import { describe, expect, it } from "vitest";
import { parseScenario } from "../../../sim/scenario.ts";
import { runScenario } from "../../../sim/simulation.ts";

/**
 * The critical path of a round in the steady state, on the real core in the simulator (no CPU
 * model): proposal hop, the voters' fsync, vote hop. The next leader reserved its round with its
 * vote, so its proposal leaves as soon as the QC forms: one fsync per round, not two.
 */
describe("core: round pacing", () => {
  it("a fault-free round costs two hops and ONE fsync; a commit about two rounds", () => {
    const hopMs = 1.2;
    const diskMs = 3.6;
    const scenario = parseScenario({
      name: "pacing",
      validators: 4,
      durationMs: 2000,
      consensus: { baseTimeoutMs: 500, maxTimeoutMs: 4000 },
      network: { latency: { dist: "fixed", ms: hopMs }, diskMs },
    });
    const result = runScenario(scenario, 1);
    expect(result.violations).toEqual([]);
    const roundMs = scenario.durationMs / result.rounds;
    // Two fsyncs per round would be 2 * (hop + disk) = 9.6 ms.
    expect(roundMs).toBeLessThan(2 * hopMs + diskMs + 0.5);
    expect(roundMs).toBeGreaterThan(2 * hopMs + diskMs - 0.5);
    expect(result.latencyMs.p50).toBeLessThan(2 * (2 * hopMs + diskMs) + 2 * hopMs);
  });
});
