import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { sweep } from "../../../sim/sweep.ts";
import { load, SCENARIO_DIR, scenarioFiles } from "./helpers.ts";

/** Seeds per shipped scenario: 10 scenarios x 23 = 230 seeds in all. */
export const SEEDS_PER_SCENARIO = 23;

/** Sweeps half (`part` 0 or 1) of the shipped scenarios; every invariant must hold for every seed. */
export function describeScenarioSweep(part: number): void {
  const files = scenarioFiles(SCENARIO_DIR);
  describe(`shipped scenarios, part ${part + 1} of 2`, () => {
    it("at least 8 scenarios ship", () => {
      expect(files.length).toBeGreaterThanOrEqual(8);
    });
    files.forEach((file, i) => {
      if (i % 2 !== part) return;
      it(`${basename(file)}: ${SEEDS_PER_SCENARIO} seeds hold every invariant`, { timeout: 600_000 }, () => {
        const s = load(file);
        expect(s.expectViolation).toBeUndefined();
        const result = sweep(s, { from: 1, to: SEEDS_PER_SCENARIO });
        expect(result.failures, `failing seeds (replay with megaseq sim run ${file} --seed N):`).toEqual([]);
        expect(result.distinctRuns).toBe(SEEDS_PER_SCENARIO);
      });
    });
  });
}
