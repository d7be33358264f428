import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadScenario, parseScenario, ScenarioError } from "../../../sim/scenario.ts";

function errorOf(fn: () => unknown): ScenarioError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ScenarioError) return error;
    throw error;
  }
  throw new Error("expected a ScenarioError");
}

describe("scenario schema", () => {
  it("fills defaults", () => {
    const s = parseScenario({ name: "x", durationMs: 1000, validators: 4 });
    expect(s.signatureScheme).toBe("test");
    expect(s.network.loss).toBe(0);
    expect(s.timeline).toEqual([]);
  });

  it("names the key path and the expected form", () => {
    const e = errorOf(() =>
      parseScenario({
        name: "x",
        durationMs: 1000,
        validators: 4,
        network: { loss: 2 },
        timeline: [{ at: 10, event: "crsh", nodes: [1] }],
      }),
    );
    expect(e.code).toBe("SCENARIO_INVALID");
    expect(e.message).toContain("network.loss:");
    expect(e.message).toMatch(/timeline\[0\]\.event: expected one of "partition", .*"crash"/);
  });

  it("rejects validators that do not exist and events after the end", () => {
    const e = errorOf(() =>
      parseScenario({
        name: "x",
        durationMs: 1000,
        validators: 4,
        timeline: [
          { at: 10, event: "crash", nodes: [4] },
          { at: 2000, event: "heal" },
        ],
      }),
    );
    expect(e.message).toContain("timeline[0].nodes[0]: validator 4 does not exist");
    expect(e.message).toContain("timeline[1].at: at 2000 is after durationMs 1000");
  });

  it("rejects unknown keys", () => {
    const e = errorOf(() => parseScenario({ name: "x", durationMs: 1000, validators: 4, duration: 5 }));
    expect(e.message).toContain("duration");
  });

  it("reports unreadable files and bad YAML clearly", () => {
    const dir = mkdtempSync(join(tmpdir(), "sim-scenario-"));
    expect(errorOf(() => loadScenario(join(dir, "missing.yaml"))).code).toBe("SCENARIO_NOT_FOUND");
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "name: [unclosed\n");
    expect(errorOf(() => loadScenario(bad)).code).toBe("SCENARIO_YAML");
  });
});
