import { describe, expect, it } from "vitest";
import { ConsensusCore } from "../../../src/consensus/index.ts";
import { ackAll, Forge, msg, ofType, scheme } from "./forge.ts";

/** Equal stakes, K = 1: leader(r) = r mod 4. */
describe("core: voting, safety and commit", () => {
  it("votes once per round, only after the safety data is persisted, to the next leader", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(0);
    core.handle({ type: "start", nowMs: 0 });
    const b1 = f.block(1, 1, f.genesisQc());
    const effects = core.handle(msg(1, { kind: "proposal", block: b1 }));
    const persists = ofType(effects, "persistSafety");
    expect(persists).toHaveLength(1);
    expect(persists[0].data.lastVotedRound).toBe(1);
    expect(ofType(effects, "sendTo")).toHaveLength(0); // held until the ack
    const released = core.handle({ type: "safetyPersisted", nowMs: 0, seq: persists[0].seq });
    const sends = ofType(released, "sendTo");
    expect(sends).toHaveLength(1);
    expect(sends[0].to).toBe(2);
    expect(sends[0].message.kind).toBe("vote");

    // A second, different proposal for round 1 by the same leader: evidence, no second vote.
    const b1b = f.block(1, 1, f.genesisQc(), null, 99);
    const again = ackAll(core, core.handle(msg(1, { kind: "proposal", block: b1b })));
    expect(ofType(again, "sendTo")).toHaveLength(0);
    expect(ofType(again, "persistSafety")).toHaveLength(0);
    const ev = ofType(again, "evidence");
    expect(ev).toHaveLength(1);
    expect(ev[0].evidence.kind).toBe("proposal");
    // ...and the same equivocation again is not reported twice.
    const b1c = f.block(1, 1, f.genesisQc(), null, 98);
    expect(ofType(core.handle(msg(1, { kind: "proposal", block: b1c })), "evidence")).toHaveLength(0);
  });

  it("persists a vote before signing it: the signature comes on resume, the same one if only at the ack", () => {
    const f = new Forge([1, 1, 1, 1]);
    const b1 = f.block(1, 1, f.genesisQc());
    const expected = f.vote(0, 1, f.root(b1));
    for (const resumeFirst of [true, false]) {
      let signs = 0;
      const signer = f.committee.signers[0];
      const counting = {
        sign: (m: Uint8Array): Uint8Array => {
          signs++;
          return signer.sign(m);
        },
      };
      const core = new ConsensusCore(f.opts(0), { scheme, signer: counting });
      core.handle({ type: "start", nowMs: 0 });
      const effects = core.handle(msg(1, { kind: "proposal", block: b1 }));
      const types = effects.map((e) => e.type);
      expect(types.indexOf("persistSafety")).toBeLessThan(types.indexOf("yield"));
      expect(ofType(effects, "persistSafety")[0].data.lastVote?.round).toBe(1);
      expect(signs).toBe(0); // the write is out before the signing starts
      if (resumeFirst) {
        expect(core.handle({ type: "resume", nowMs: 0 })).toEqual([]);
        expect(signs).toBe(1);
      }
      const seq = ofType(effects, "persistSafety")[0].seq;
      const sends = ofType(core.handle({ type: "safetyPersisted", nowMs: 0, seq }), "sendTo");
      expect(sends).toHaveLength(1);
      expect(sends[0].message).toEqual({ kind: "vote", vote: expected });
      expect(signs).toBe(1);
    }
  });

  it("names the next proposer: the leader of the round after the current one", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(0);
    expect(core.nextLeader()).toBe(1); // before start: round 0, next is round 1
    core.handle({ type: "start", nowMs: 0 });
    expect(core.status().leader).toBe(1);
    expect(core.nextLeader()).toBe(2);
    ackAll(core, core.handle(msg(1, { kind: "proposal", block: f.block(1, 1, f.genesisQc()) })));
    expect(core.nextLeader()).toBe(2); // on top of round 1's proposal now
  });

  it("a restarted core with persisted safety data does not vote again in that round", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(0);
    core.handle({ type: "start", nowMs: 0 });
    const b1 = f.block(1, 1, f.genesisQc());
    const effects = core.handle(msg(1, { kind: "proposal", block: b1 }));
    const safety = ofType(effects, "persistSafety")[0].data;
    const restarted = new ConsensusCore(f.opts(0), {
      scheme,
      signer: f.committee.signers[0],
      restored: { safety },
    });
    restarted.handle({ type: "start", nowMs: 0 });
    // The same proposal (and a conflicting one) arrive again after the restart: no vote is signed.
    const e1 = ackAll(restarted, restarted.handle(msg(1, { kind: "proposal", block: b1 })));
    const e2 = ackAll(
      restarted,
      restarted.handle(msg(1, { kind: "proposal", block: f.block(1, 1, f.genesisQc(), null, 7) })),
    );
    expect(ofType([...e1, ...e2], "sendTo")).toHaveLength(0);
    expect(ofType([...e1, ...e2], "persistSafety")).toHaveLength(0);
    expect(restarted.status().lastVotedRound).toBe(1);
  });

  it("commits by the 2-chain rule (consecutive rounds), not earlier, and not over a gap", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(0);
    core.handle({ type: "start", nowMs: 0 });
    const b1 = f.block(1, 1, f.genesisQc());
    ackAll(core, core.handle(msg(1, { kind: "proposal", block: b1 })));
    const b2 = f.block(2, 2, f.qc(b1, [1, 2, 3]));
    const e2 = ackAll(core, core.handle(msg(2, { kind: "proposal", block: b2 })));
    expect(ofType(e2, "commit")).toHaveLength(0); // QC(B1) alone commits nothing
    // Round 3 times out; round 4 is justified by TC(3) and extends B2 (gap: 4 != 2 + 1).
    const tc3 = f.tc(3, [
      [1, 2],
      [2, 2],
      [3, 2],
    ]);
    const qcB2 = f.qc(b2, [1, 2, 3]);
    const b4 = f.block(4, 0, qcB2, tc3);
    // B4 carries QC(B2): B2.round == B1.round + 1, so B1 commits now (2-chain).
    const e4 = ackAll(core, core.handle(msg(0, { kind: "proposal", block: b4 })));
    let commits = ofType(e4, "commit");
    expect(commits).toHaveLength(1);
    expect(commits[0].blocks.map((b) => b.block.header.round)).toEqual([1]);
    // B5 carries QC(B4): B4.round (4) != B2.round (2) + 1 -> no commit of B2.
    const b5 = f.block(5, 1, f.qc(b4, [0, 1, 2]));
    const e5 = ackAll(core, core.handle(msg(1, { kind: "proposal", block: b5 })));
    expect(ofType(e5, "commit")).toHaveLength(0);
    // B6 carries QC(B5): consecutive -> B2 and B4 commit together, in order.
    const b6 = f.block(6, 2, f.qc(b5, [0, 1, 2]));
    const e6 = ackAll(core, core.handle(msg(2, { kind: "proposal", block: b6 })));
    commits = ofType(e6, "commit");
    expect(commits).toHaveLength(1);
    expect(commits[0].blocks.map((b) => b.block.header.round)).toEqual([2, 4]);
    expect(core.status().committedRound).toBe(4);
  });

  it("respects the lock: no vote for a TC-justified block whose QC is below the TC's highest QC", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(0);
    core.handle({ type: "start", nowMs: 0 });
    const b1 = f.block(1, 1, f.genesisQc());
    ackAll(core, core.handle(msg(1, { kind: "proposal", block: b1 })));
    const b2 = f.block(2, 2, f.qc(b1, [1, 2, 3]));
    ackAll(core, core.handle(msg(2, { kind: "proposal", block: b2 })));
    // TC(3) reports a high QC of round 2; a proposal for round 4 built on QC(round 1)... must carry QC >= 2.
    const tc3 = f.tc(3, [
      [1, 2],
      [2, 1],
      [3, 1],
    ]);
    const stale = f.block(4, 0, f.qc(b1, [1, 2, 3]), tc3, 44);
    const e = ackAll(core, core.handle(msg(0, { kind: "proposal", block: stale })));
    expect(ofType(e, "sendTo")).toHaveLength(0);
    expect(core.dropCounts().safety_rule).toBe(1);
  });
});

describe("core: timeout equivocation", () => {
  it("two different signed timeouts of one validator for one round become evidence, once", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(0);
    core.handle({ type: "start", nowMs: 0 });
    const g = f.genesisQc();
    core.handle(msg(1, { kind: "timeout", timeout: f.timeout(1, 1, g) }));
    const b1 = f.block(1, 1, g);
    // Same validator, same round, different highQcRound (needs a QC of round 1 to be well-formed).
    const qc1 = f.qc(b1, [1, 2, 3]);
    ackAll(core, core.handle(msg(1, { kind: "proposal", block: b1 })));
    const e = core.handle(msg(1, { kind: "timeout", timeout: f.timeout(1, 2, qc1) }));
    expect(ofType(e, "evidence")).toHaveLength(0); // round 2 is a different round
    // Round 1 only has the genesis QC below it, so the conflict is staged at round 3 (after TC(2)).
    const t3a = f.timeout(
      2,
      3,
      g,
      f.tc(2, [
        [1, 1],
        [2, 1],
        [3, 1],
      ]),
    );
    const t3b = f.timeout(
      2,
      3,
      qc1,
      f.tc(2, [
        [1, 1],
        [2, 1],
        [3, 1],
      ]),
    );
    core.handle(msg(2, { kind: "timeout", timeout: t3a }));
    const ev = ofType(core.handle(msg(2, { kind: "timeout", timeout: t3b })), "evidence");
    expect(ev).toHaveLength(1);
    expect(ev[0].evidence.kind).toBe("timeout");
    expect(ofType(core.handle(msg(2, { kind: "timeout", timeout: t3b })), "evidence")).toHaveLength(0);
  });
});

describe("core: a restart in a round this node timed out", () => {
  it("sends its persisted timeout again and counts it, so the round's TC can still form", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(0);
    core.handle({ type: "start", nowMs: 0 });
    const fired = core.handle({ type: "timer", nowMs: 1_000, timer: { epoch: 0, round: 1 } });
    const safety = ofType(fired, "persistSafety")[0].data;
    expect(safety.lastTimeout?.timeout.round).toBe(1);
    // Killed before or after the write's ack, before the TC: restarted from the durable record.
    const restarted = new ConsensusCore(f.opts(0), {
      scheme,
      signer: f.committee.signers[0],
      restored: { safety },
    });
    restarted.handle({ type: "start", nowMs: 0 });
    const again = ackAll(
      restarted,
      restarted.handle({ type: "timer", nowMs: 1_000, timer: { epoch: 0, round: 1 } }),
    );
    const resent = ofType(again, "broadcast").filter((b) => b.message.kind === "timeout");
    expect(resent).toHaveLength(1);
    expect(resent[0].message).toEqual({ kind: "timeout", timeout: safety.lastTimeout });
    expect(ofType(again, "persistSafety")).toHaveLength(0); // nothing new signed
    // Two other timeouts and its own make the quorum: round 2 starts.
    ackAll(restarted, restarted.handle(msg(1, { kind: "timeout", timeout: f.timeout(1, 1, f.genesisQc()) })));
    ackAll(restarted, restarted.handle(msg(2, { kind: "timeout", timeout: f.timeout(2, 1, f.genesisQc()) })));
    expect(restarted.status().round).toBe(2);
  });
});
