import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Net } from "./harness.ts";

describe("4 cores on a seeded network", () => {
  it("change epoch at the boundary block and keep committing with the next set", () => {
    const net = new Net({ powers: [1, 1, 1, 1], seed: 3, epochLengthRounds: 20 });
    for (let i = 0; i < 4; i++) {
      const validators = net.validators.map((v) => ({ ...v, votingPower: BigInt(v.index + 1) }));
      net.cores[i].handle({ type: "validatorSet", nowMs: 0, epoch: 1, validators });
    }
    net.start();
    net.run(3000);
    expect(net.agreement().ok).toBe(true);
    for (const core of net.cores) expect(core.status().epoch).toBe(1);
    for (let i = 0; i < 4; i++) {
      const changed = net.effects[i].filter((e) => e.type === "epochChanged");
      expect(changed).toHaveLength(1);
      const commits = net.effects[i].flatMap((e) =>
        e.type === "commit" ? e.blocks.map((b) => b.block.header) : [],
      );
      const boundary = commits.findIndex((h) => h.epoch === 0 && h.round >= 20);
      expect(boundary).toBeGreaterThan(0);
      // Nothing of epoch 0 commits after the boundary; epoch 1 blocks follow.
      expect(commits.slice(boundary + 1).every((h) => h.epoch === 1)).toBe(true);
      expect(commits.slice(boundary + 1).length).toBeGreaterThan(5);
    }
  });

  it("a node that missed the end of an epoch catches up through fetched blocks", () => {
    const net = new Net({
      powers: [1, 1, 1, 1],
      seed: 4,
      epochLengthRounds: 15,
      partition: { until: 1500, groups: [[0, 1, 2], [3]] },
    });
    for (let i = 0; i < 4; i++) {
      net.cores[i].handle({ type: "validatorSet", nowMs: 0, epoch: 1, validators: net.validators });
    }
    net.start();
    net.run(5000);
    expect(net.agreement().ok).toBe(true);
    expect(net.cores[3].status().epoch).toBe(1);
    expect(net.commits[3].length).toBeGreaterThan(15);
  });

  it("detects double votes and equivocating proposals once each, and stays safe", () => {
    const net = new Net({
      powers: [1, 1, 1, 1],
      seed: 5,
      byzantine: { doubleVoters: [3], equivocatingProposers: [1] },
    });
    net.start();
    net.run(1500);
    expect(net.agreement().ok).toBe(true);
    expect(net.minHonestHeight()).toBeGreaterThan(5);
    const all = net.evidence.flat();
    expect(all.some((e) => e.kind === "vote" && e.evidence.validatorIndex === 3)).toBe(true);
    expect(all.some((e) => e.kind === "proposal" && e.evidence.validatorIndex === 1)).toBe(true);
    // Never against an honest node, and never twice for one (kind, validator, round) on one node.
    for (const list of net.evidence) {
      const keys = list.map((e) => {
        const round =
          e.kind === "vote"
            ? e.evidence.voteA.round
            : e.kind === "proposal"
              ? e.evidence.headerA.round
              : e.evidence.timeoutA.round;
        return `${e.kind}/${e.evidence.validatorIndex}/${round}`;
      });
      expect(new Set(keys).size).toBe(keys.length);
      for (const e of list) expect([1, 3]).toContain(e.evidence.validatorIndex);
    }
  });

  it("survives crash-restart with persisted safety data and heals a 2-2 partition", () => {
    const net = new Net({
      powers: [1, 1, 1, 1],
      seed: 6,
      partition: {
        until: 1000,
        groups: [
          [0, 1],
          [2, 3],
        ],
      },
    });
    net.start();
    net.run(800);
    const stuck = net.minHonestHeight();
    net.restart(2);
    net.run(1200);
    net.restart(0);
    net.run(4000);
    expect(net.agreement().ok).toBe(true);
    expect(net.minHonestHeight()).toBeGreaterThan(stuck + 5);
    expect(net.evidence.flat()).toHaveLength(0);
  });
});

describe("with real BLS12-381 signatures", () => {
  it("commits and agrees; QCs and TCs verify with blst", () => {
    const net = new Net({
      powers: [1, 1, 1, 1],
      seed: 8,
      scheme: "bls",
      baseTimeoutMs: 300,
      partition: {
        until: 400,
        groups: [
          [0, 1],
          [2, 3],
        ],
      },
    });
    net.start();
    net.run(900);
    expect(net.scheme.name).toBe("bls12-381-min-pk");
    expect(net.agreement().ok).toBe(true);
    expect(net.minHonestHeight()).toBeGreaterThan(3);
    // The partition forced timeouts, so at least one round was entered through a (BLS) TC.
    expect(net.effects[0].some((e) => e.type === "roundEntered" && e.via === "tc")).toBe(true);
  });
});

describe("property: agreement under random schedules with at most f Byzantine nodes", () => {
  it("never breaks agreement", () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
          powers: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 4, maxLength: 4 }),
          dropRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
          maxDelayMs: fc.integer({ min: 5, max: 150 }),
          byz: fc.constantFrom("none", "double", "equivocate", "silent"),
          byzIndex: fc.integer({ min: 0, max: 3 }),
          termRounds: fc.integer({ min: 1, max: 3 }),
          reputationWindow: fc.constantFrom(0, 5),
        }),
        (p) => {
          // f Byzantine means less than 1/3 of power: make the Byzantine node the lightest.
          const powers = [...p.powers];
          if (p.byz !== "none") {
            const total = powers.reduce((a, b) => a + b, 0);
            powers[p.byzIndex] = Math.max(
              1,
              Math.min(powers[p.byzIndex], Math.ceil((total - powers[p.byzIndex]) / 2) - 1),
            );
            if (powers[p.byzIndex] * 3 >= powers.reduce((a, b) => a + b, 0)) return;
          }
          const byzantine =
            p.byz === "double"
              ? { doubleVoters: [p.byzIndex] }
              : p.byz === "equivocate"
                ? { equivocatingProposers: [p.byzIndex] }
                : p.byz === "silent"
                  ? { silent: [p.byzIndex] }
                  : {};
          const net = new Net({
            powers,
            seed: p.seed,
            dropRate: p.dropRate,
            maxDelayMs: p.maxDelayMs,
            byzantine,
            leaderTermRounds: p.termRounds,
            reputationWindow: p.reputationWindow,
          });
          net.start();
          net.run(1000);
          const a = net.agreement();
          if (!a.ok) throw new Error(`agreement broken (seed ${p.seed}): ${a.detail}`);
          // No honest node is ever accused: honest cores never sign two conflicting messages.
          for (const e of net.evidence.flat()) {
            if (net.isHonest(e.evidence.validatorIndex))
              throw new Error(`evidence against honest ${e.evidence.validatorIndex} (seed ${p.seed})`);
          }
        },
      ),
      { seed: 20261121, numRuns: 15 },
    );
  });
});
