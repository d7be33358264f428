import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { sweep } from "../../../sim/sweep.ts";
import { load, scenarioFiles, VIOLATION_DIR } from "./helpers.ts";

// These scenarios break the protocol's assumptions on purpose; the check is that they DO violate.
describe("expected-violation scenarios", () => {
  const files = scenarioFiles(VIOLATION_DIR);
  it("there are some (amnesia crash, more than one third Byzantine)", () => {
    expect(files.map((f) => basename(f))).toEqual(
      expect.arrayContaining(["amnesia-crash.yaml", "byzantine-majority.yaml"]),
    );
  });
  for (const file of files) {
    it(`${basename(file)} violates what it declares, for some seed in 1..5`, { timeout: 300_000 }, () => {
      const s = load(file);
      expect(s.expectViolation?.length).toBeGreaterThan(0);
      const result = sweep(s, { from: 1, to: 5 });
      const found = new Set(result.failures.map((f) => f.invariant));
      for (const invariant of s.expectViolation ?? [])
        expect([...found], `${invariant} not violated`).toContain(invariant);
    });
  }
});
