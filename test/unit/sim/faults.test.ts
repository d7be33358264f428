import { describe, expect, it } from "vitest";
import { runScenario } from "../../../sim/simulation.ts";
import { heightAt, scenario } from "./helpers.ts";

// Each fault of the network model, observed through a run of the real core.
describe("network faults in a run", () => {
  it("a 2-2 partition stops commits until it heals, then everyone catches up", () => {
    const r = runScenario(
      scenario({
        timeline: [
          {
            at: 1500,
            event: "partition",
            groups: [
              [0, 1],
              [2, 3],
            ],
          },
          { at: 3500, event: "heal" },
        ],
      }),
      1,
    );
    const s = r.timeline.heightSeries;
    for (const node of ["0", "1", "2", "3"]) {
      // Blocks certified just before the split may still commit shortly after it.
      expect(heightAt(s[node], 3400)).toBe(heightAt(s[node], 1800));
      expect(heightAt(s[node], 6000)).toBeGreaterThan(heightAt(s[node], 3400));
    }
    expect(r.timeline.bands.some((b) => b.kind === "partition" && b.fromMs === 1500 && b.toMs === 3500)).toBe(
      true,
    );
    expect(Object.values(r.invariants)).not.toContain("violated");
  });

  it("a minority partition does not stop the majority", () => {
    const r = runScenario(
      scenario({ validators: 4, timeline: [{ at: 1000, event: "partition", groups: [[0], [1, 2, 3]] }] }),
      2,
    );
    const s = r.timeline.heightSeries;
    expect(heightAt(s["0"], 6000)).toBe(heightAt(s["0"], 1300));
    // Votes for the round before the isolated node's turn go to it, so two rounds of every four
    // time out; the three others still commit.
    expect(heightAt(s["1"], 6000)).toBeGreaterThan(heightAt(s["1"], 1300) + 2);
  });

  it("a one-way block cuts only one direction", () => {
    // Node 0 hears nobody but everyone hears node 0: it can still vote and propose, but it never
    // learns of QCs, so it commits nothing while the others keep going.
    const r = runScenario(scenario({ timeline: [{ at: 0, event: "block", from: [1, 2, 3], to: [0] }] }), 3);
    expect(r.heights["0"]).toBe(0);
    expect(r.heights["1"]).toBeGreaterThan(3);
    expect(r.stats.messages.lost).toBeGreaterThan(0);
  });

  it("a crashed node is silent while down, restarts from what it persisted and catches up", () => {
    const r = runScenario(
      scenario({
        timeline: [
          { at: 1500, event: "crash", nodes: [1] },
          { at: 3500, event: "restart", nodes: [1] },
        ],
      }),
      4,
    );
    const s = r.timeline.heightSeries["1"];
    expect(heightAt(s, 3400)).toBe(heightAt(s, 1500));
    expect(r.heights["1"]).toBeGreaterThan(heightAt(s, 3400));
    expect(r.heights["1"]).toBeGreaterThanOrEqual(r.heights["0"] - 3);
    expect(r.stats.messages.toDownNode).toBeGreaterThan(0);
    expect(
      r.timeline.bands.some(
        (b) => b.kind === "crash" && b.node === 1 && b.fromMs === 1500 && b.toMs === 3500,
      ),
    ).toBe(true);
    expect(r.invariants.noDoubleSign).toBe("ok");
  });

  it("a paused node stops and then resumes with what queued up", () => {
    const r = runScenario(scenario({ timeline: [{ at: 1500, event: "pause", nodes: [3], forMs: 2000 }] }), 5);
    const s = r.timeline.heightSeries["3"];
    expect(heightAt(s, 3490)).toBe(heightAt(s, 1500));
    expect(r.heights["3"]).toBeGreaterThan(heightAt(s, 3490));
    expect(r.timeline.bands.some((b) => b.kind === "pause" && b.node === 3)).toBe(true);
  });

  it("loss drops about the configured fraction; duplication reaches the core as duplicates", () => {
    const lossy = runScenario(scenario({ network: { latency: { dist: "fixed", ms: 30 }, loss: 0.2 } }), 6);
    const m = lossy.stats.messages;
    const fraction = m.lost / (m.lost + m.delivered);
    expect(fraction).toBeGreaterThan(0.12);
    expect(fraction).toBeLessThan(0.28);
    const dup = runScenario(scenario({ network: { latency: { dist: "fixed", ms: 30 }, duplicate: 0.3 } }), 6);
    expect(dup.stats.messages.duplicated).toBeGreaterThan(50);
    expect(dup.stats.drops.duplicate ?? 0).toBeGreaterThan(20);
  });

  it("per-link latency slows commits; a faster clock fires timeouts sooner", () => {
    const fast = runScenario(scenario({ network: { latency: { dist: "fixed", ms: 20 } } }), 1);
    const slow = runScenario(scenario({ network: { latency: { dist: "fixed", ms: 100 } } }), 1);
    expect(fast.commits).toBeGreaterThan(slow.commits * 2);
    // Only node 3 leads when everyone is cut off from each other: rounds advance by timeouts.
    const cut = { timeline: [{ at: 0, event: "partition" as const, groups: [[0], [1], [2], [3]] }] };
    const normal = runScenario(scenario({ ...cut, validators: 4 }), 1);
    const skewed = runScenario(
      scenario({
        ...cut,
        validators: [
          { stake: 1, clock: { offsetMs: 0, drift: 0.4 } },
          { stake: 1 },
          { stake: 1 },
          { stake: 1 },
        ],
      }),
      1,
    );
    const timeoutsOf = (r: typeof normal, v: number): number =>
      r.timeline.timeouts.filter(([, n]) => n === v).length;
    expect(timeoutsOf(skewed, 0)).toBeGreaterThan(timeoutsOf(normal, 0));
    expect(timeoutsOf(skewed, 1)).toBe(timeoutsOf(normal, 1));
  });

  it("a silent leader and a vote withholder cost rounds but not safety", () => {
    const r = runScenario(
      scenario({
        validators: [{ stake: 1 }, { stake: 1 }, { stake: 1 }, { stake: 1, behaviour: "silent-leader" }],
      }),
      8,
    );
    expect(r.stats.timeouts).toBeGreaterThan(0);
    expect(r.commits).toBeGreaterThan(5);
    const w = runScenario(
      scenario({
        validators: [{ stake: 1 }, { stake: 1 }, { stake: 1 }, { stake: 1, behaviour: "withhold-votes" }],
      }),
      8,
    );
    expect(w.commits).toBeGreaterThan(5);
    expect(Object.values(w.invariants)).not.toContain("violated");
  });

  it("twins double-sign and get reported; honest nodes stay in agreement", () => {
    const r = runScenario(
      scenario({ validators: [{ stake: 1 }, { stake: 1 }, { stake: 1 }, { stake: 1, behaviour: "twins" }] }),
      9,
    );
    expect(r.heights["3a"]).toBeDefined();
    expect(r.heights["3b"]).toBeDefined();
    expect(r.stats.evidence).toBeGreaterThan(0);
    expect(r.invariants.agreement).toBe("ok");
    expect(r.invariants.evidence).toBe("ok");
  });
});
