import { describe, expect, it } from "vitest";
import {
  type BlockSummary,
  buildRotation,
  insecureTestCommittee,
  leaderFor,
  placeTerm,
} from "../../../src/consensus/index.ts";
import { Net } from "./harness.ts";

function summary(
  round: number,
  slot: number,
  termStart: number,
  failed: [number, number] = [0, 0],
): BlockSummary {
  return {
    root: new Uint8Array(32),
    epoch: 0,
    round,
    proposerIndex: 0,
    slot,
    termStart,
    failedFrom: failed[0],
    failedTo: failed[1],
  };
}

describe("leader schedule", () => {
  it("weights leadership by stake and spreads it out", () => {
    const { validators } = insecureTestCommittee([30, 10, 10, 50]);
    const rotation = buildRotation(validators);
    expect(rotation.length).toBe(10); // gcd-reduced weights 3,1,1,5
    const count = (i: number): number => rotation.filter((x) => x === i).length;
    expect([count(0), count(1), count(2), count(3)]).toEqual([3, 1, 1, 5]);
    // Smooth round robin: the heaviest validator never leads three slots in a row.
    for (let s = 0; s < rotation.length; s++) {
      const run = [0, 1, 2].map((k) => rotation[(s + k) % rotation.length]);
      expect(run.every((x) => x === 3)).toBe(false);
    }
    // Zero-power validators never lead.
    expect(buildRotation(insecureTestCommittee([1, 0, 1]).validators)).not.toContain(1);
  });

  it("caps the rotation for huge stakes while keeping every validator", () => {
    const { validators } = insecureTestCommittee([10n ** 24n, 1n, 10n ** 20n]);
    const rotation = buildRotation(validators);
    expect(rotation.length).toBeLessThanOrEqual(4096 + 3);
    for (const i of [0, 1, 2]) expect(rotation).toContain(i);
  });

  it("places K-round terms and starts a new term after a timeout", () => {
    const genesis = summary(0, 0, 0);
    expect(placeTerm(genesis, 1, 3)).toMatchObject({ slot: 0, termStart: 0 });
    const r2 = summary(2, 0, 0);
    expect(placeTerm(r2, 3, 3)).toMatchObject({ slot: 1, termStart: 3 }); // term of 3 rounds over
    // TC at round 3 after parent round 2: the failed round 3 was slot 1; round 4 gets slot 2.
    expect(placeTerm(r2, 4, 3)).toEqual({ slot: 2, termStart: 4, failedFrom: 1, failedTo: 2 });
    // K = 1 is classic rotation: slot == round.
    let s = genesis;
    for (let r = 1; r <= 5; r++) {
      const p = placeTerm(s, r, 1);
      expect(p.slot).toBe(r);
      s = summary(r, p.slot, p.termStart);
    }
  });

  it("skips leaders that failed within the reputation window", () => {
    const rotation = [0, 1, 2, 3];
    const opts = { rotation, termRounds: 1, reputationWindow: 5 };
    // Ancestors record that slot 2 (validator 2) failed.
    const ancestors = [summary(3, 3, 3, [2, 3])];
    expect(leaderFor(opts, { slot: 6, termStart: 6, failedFrom: 0, failedTo: 0 }, ancestors)).toBe(3);
    expect(leaderFor(opts, { slot: 5, termStart: 5, failedFrom: 0, failedTo: 0 }, ancestors)).toBe(1);
    // Outside the window it counts again.
    expect(
      leaderFor(
        { ...opts, reputationWindow: 0 },
        { slot: 6, termStart: 6, failedFrom: 0, failedTo: 0 },
        ancestors,
      ),
    ).toBe(2);
  });

  it("every node computes the same leaders with reputation on (silent leader, seeded net)", () => {
    const net = new Net({
      powers: [1, 2, 1, 1],
      seed: 7,
      reputationWindow: 8,
      leaderTermRounds: 2,
      byzantine: { silent: [2] },
    });
    net.start();
    net.run(4000);
    expect(net.agreement().ok).toBe(true);
    expect(net.minHonestHeight()).toBeGreaterThan(5);
    // Proposers of committed blocks were the scheduled leaders on every node (else votes were refused).
    for (const i of [0, 1, 3]) expect(net.cores[i].dropCounts().not_leader ?? 0).toBe(0);
    // And they announce the same leader whenever they entered a round the same way.
    const byRound = new Map<string, Set<number>>();
    for (const i of [0, 1, 3]) {
      for (const e of net.effects[i]) {
        if (e.type !== "roundEntered" || e.leader < 0 || e.via !== "qc") continue;
        const set = byRound.get(`${e.round}`) ?? new Set<number>();
        set.add(e.leader);
        byRound.set(`${e.round}`, set);
      }
    }
    expect([...byRound.values()].every((s) => s.size === 1)).toBe(true);
    // The silent validator stops being picked once it failed: it leads few committed rounds' slots.
    const timeouts = net.effects[0].filter((e) => e.type === "roundEntered" && e.via === "tc").length;
    expect(timeouts).toBeLessThan(net.cores[0].status().round / 3);
  });
});
