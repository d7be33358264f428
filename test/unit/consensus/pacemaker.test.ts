import { describe, expect, it } from "vitest";
import { ackAll, Forge, msg, ofType } from "./forge.ts";

describe("pacemaker", () => {
  it("backs off exponentially on consecutive timeouts, caps, and resets on a QC", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(0); // base 100 ms, factor 2, cap 1000 ms
    const start = core.handle({ type: "start", nowMs: 0 });
    expect(ofType(start, "setTimer")[0]).toMatchObject({ timer: { round: 1 }, delayMs: 100 });
    const delays: number[] = [];
    let highQcRound = 0;
    for (let r = 1; r <= 6; r++) {
      const tc = f.tc(r, [
        [1, highQcRound],
        [2, highQcRound],
        [3, highQcRound],
      ]);
      const e = ackAll(
        core,
        core.handle(msg(1, { kind: "timeout", timeout: f.timeout(1, r + 1, f.genesisQc(), tc) })),
      );
      const timers = ofType(e, "setTimer").filter((t) => t.timer.round === r + 1);
      expect(timers.length).toBeGreaterThan(0);
      delays.push(timers[0].delayMs);
      highQcRound = 0;
    }
    expect(delays).toEqual([200, 400, 800, 1000, 1000, 1000]);
    // A proposal justified by a QC resets the backoff.
    const b7 = f.block(
      7,
      3,
      f.genesisQc(),
      f.tc(6, [
        [1, 0],
        [2, 0],
        [3, 0],
      ]),
    );
    ackAll(core, core.handle(msg(3, { kind: "proposal", block: b7 })));
    const b8 = f.block(8, 0, f.qc(b7, [1, 2, 3]));
    const e8 = core.handle(msg(0, { kind: "proposal", block: b8 }));
    expect(ofType(e8, "setTimer").find((t) => t.timer.round === 8)?.delayMs).toBe(100);
  });

  it("signs one timeout per round and re-broadcasts the very same message", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(0);
    core.handle({ type: "start", nowMs: 0 });
    const first = ackAll(core, core.handle({ type: "timer", nowMs: 100, timer: { epoch: 0, round: 1 } }));
    const persists = ofType(first, "persistSafety");
    expect(persists).toHaveLength(1);
    expect(persists[0].data.highestTimeoutRound).toBe(1);
    const b1 = ofType(first, "broadcast");
    expect(b1).toHaveLength(1);
    const again = ackAll(core, core.handle({ type: "timer", nowMs: 200, timer: { epoch: 0, round: 1 } }));
    expect(ofType(again, "persistSafety")).toHaveLength(0);
    const b2 = ofType(again, "broadcast");
    expect(b2).toHaveLength(1);
    expect(b2[0].message).toEqual(b1[0].message);
    // After timing out in round 1 the core refuses to vote in round 1.
    const late = ackAll(core, core.handle(msg(1, { kind: "proposal", block: f.block(1, 1, f.genesisQc()) })));
    expect(ofType(late, "sendTo")).toHaveLength(0);
    expect(core.dropCounts().safety_rule).toBe(1);
  });

  it("forms a TC from more than 2/3 of timeouts and joins after more than 1/3", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(0);
    core.handle({ type: "start", nowMs: 0 });
    const g = f.genesisQc();
    const e1 = ackAll(core, core.handle(msg(1, { kind: "timeout", timeout: f.timeout(1, 1, g) })));
    expect(ofType(e1, "broadcast")).toHaveLength(0); // 1/4 is not more than 1/3
    const e2 = ackAll(core, core.handle(msg(2, { kind: "timeout", timeout: f.timeout(2, 1, g) })));
    expect(ofType(e2, "broadcast").map((b) => b.message.kind)).toEqual(["timeout"]); // 2/4 > 1/3: join
    // Own + 1 + 2 = 3/4 > 2/3: the TC formed and the core is in round 2.
    expect(core.status().round).toBe(2);
    expect(ofType(e2, "roundEntered").map((r) => [r.round, r.via])).toEqual([[2, "tc"]]);
  });

  it("a timeout ends the leader's term early (K = 3)", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(3, { leaderTermRounds: 3 });
    const start = core.handle({ type: "start", nowMs: 0 });
    expect(ofType(start, "roundEntered")[0].leader).toBe(0); // slot 0 holds rounds 1..2
    const b1 = f.block(1, 0, f.genesisQc());
    const e1 = ackAll(core, core.handle(msg(0, { kind: "proposal", block: b1 })));
    expect(ofType(e1, "sendTo")[0].to).toBe(0); // round 2 is still validator 0's term
    // Round 2 times out: round 3 belongs to the next slot although the term had a round left.
    const tc2 = f.tc(2, [
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
    const e = ackAll(
      core,
      core.handle(msg(1, { kind: "timeout", timeout: f.timeout(1, 3, f.qc(b1, [0, 1, 2]), tc2) })),
    );
    const entered = ofType(e, "roundEntered").find((r) => r.round === 3);
    expect(entered?.leader).toBe(1);
  });
});
