import { describe, expect, it } from "vitest";
import { sweep } from "../../../sim/sweep.ts";
import {
  JolteonSafetyRules,
  type SafetyData,
  type SafetyRules,
  type TimeoutCandidate,
  type VoteCandidate,
} from "../../../src/consensus/index.ts";
import { scenario } from "./helpers.ts";

/**
 * A DELIBERATELY BROKEN quorum rule: 2/3 of the stake instead of more than 2/3. It exists only
 * here, injected through the core's safety-rules hook, to show that the simulator catches it.
 */
class TwoThirdsQuorum implements SafetyRules {
  readonly name = "BROKEN-two-thirds-quorum";
  private readonly real = new JolteonSafetyRules();
  checkVote(data: SafetyData, candidate: VoteCandidate): string | null {
    return this.real.checkVote(data, candidate);
  }
  checkTimeout(data: SafetyData, candidate: TimeoutCandidate): string | null {
    return this.real.checkTimeout(data, candidate);
  }
  isQuorum(signedPower: bigint, totalPower: bigint): boolean {
    return signedPower * 3n >= totalPower * 2n;
  }
}

describe("the simulator catches a broken voting rule", () => {
  // Three validators, one an equivocating leader (a third of the stake) that leads three rounds
  // in a row. With the correct rule a QC needs all three, so the honest two can never certify
  // different blocks; with the broken one, two signatures make a "quorum".
  const s = scenario({
    durationMs: 5000,
    validators: [{ stake: 1 }, { stake: 1 }, { stake: 1, behaviour: "equivocator", crossDelayMs: 60 }],
    consensus: { baseTimeoutMs: 600, leaderTermRounds: 3 },
    network: { latency: { dist: "uniform", minMs: 10, maxMs: 80 } },
  });

  it("the sweep finds an agreement violation with a 2/3 (not > 2/3) quorum", () => {
    const result = sweep(s, { from: 1, to: 5 }, { hooks: { safetyRules: () => new TwoThirdsQuorum() } });
    const agreement = result.failures.filter((f) => f.invariant === "agreement");
    expect(agreement.length, JSON.stringify(result.failures)).toBeGreaterThan(0);
    expect(agreement[0].step).toBeGreaterThan(0);
  });

  it("the same sweep with the real rule holds every invariant", () => {
    const result = sweep(s, { from: 1, to: 5 });
    expect(result.failures, JSON.stringify(result.failures)).toEqual([]);
  });
});
