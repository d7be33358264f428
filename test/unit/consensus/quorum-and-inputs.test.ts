import { describe, expect, it } from "vitest";
import { ConsensusCore, ConsensusError, JolteonSafetyRules } from "../../../src/consensus/index.ts";
import { ackAll, Forge, msg, ofType, scheme } from "./forge.ts";

describe("quorum by stake", () => {
  it("more than 2/3 of voting power, not of head count", () => {
    const rules = new JolteonSafetyRules();
    expect(rules.isQuorum(2n, 3n)).toBe(false); // exactly 2/3 is not enough
    expect(rules.isQuorum(7n, 10n)).toBe(true);
    // Powers 10,1,1,1 (total 13): validator 0 alone is > 2/3; the other three together are not.
    const f = new Forge([10, 1, 1, 1]);
    const leader = f.core(0);
    leader.handle({ type: "start", nowMs: 0 });
    const b1 = f.block(1, leader.status().leader, f.genesisQc());
    const root = f.root(b1);
    const e1 = leader.handle(msg(1, { kind: "vote", vote: f.vote(1, 1, root) }));
    const e2 = leader.handle(msg(2, { kind: "vote", vote: f.vote(2, 1, root) }));
    const e3 = leader.handle(msg(3, { kind: "vote", vote: f.vote(3, 1, root) }));
    expect([...e1, ...e2, ...e3].filter((e) => e.type === "roundEntered")).toHaveLength(0);
    const e0 = leader.handle(msg(0, { kind: "vote", vote: f.vote(0, 1, root) }));
    expect(ofType(e0, "roundEntered").map((r) => r.round)).toEqual([2]);
    // A QC of the three small validators is refused as a certificate.
    const f2 = new Forge([10, 1, 1, 1]);
    const core = f2.core(1);
    core.handle({ type: "start", nowMs: 0 });
    const b = f2.block(1, core.status().leader, f2.genesisQc());
    const bad = f2.block(2, 0, f2.qc(b, [1, 2, 3]));
    const e = core.handle(msg(0, { kind: "proposal", block: bad }));
    expect(ofType(e, "dropped").map((d) => [d.reason, d.detail])).toContainEqual([
      "bad_certificate",
      "qc: no_quorum",
    ]);
  });

  it("aggregates unchecked votes optimistically and evicts a forged one", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(2); // leader of round 2 collects round-1 votes
    core.handle({ type: "start", nowMs: 0 });
    const b1 = f.block(1, 1, f.genesisQc());
    ackAll(core, core.handle(msg(1, { kind: "proposal", block: b1 })));
    const root = f.root(b1);
    const forged = { ...f.vote(0, 1, root), signature: new Uint8Array(96).fill(7) };
    core.handle(msg(0, { kind: "vote", vote: forged }));
    const e = core.handle(msg(1, { kind: "vote", vote: f.vote(1, 1, root) }));
    expect(core.status().round).toBe(1); // own + 0 (forged) + 1 looked like quorum; aggregate failed
    expect(ofType(e, "dropped").map((d) => d.reason)).toContain("bad_signature");
    core.handle(msg(3, { kind: "vote", vote: f.vote(3, 1, root) }));
    expect(core.status().round).toBe(2);
    // The genuine vote of validator 0 is still accepted after the forgery was evicted.
    expect(core.dropCounts().bad_signature).toBe(1);
  });
});

describe("input validation and bounds", () => {
  it("drops bad inputs with a reason and no state change", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(0);
    expect(
      ofType(core.handle(msg(1, { kind: "vote", vote: f.vote(1, 1, new Uint8Array(32)) })), "dropped")[0]
        .reason,
    ).toBe("not_started");
    core.handle({ type: "start", nowMs: 0 });
    const before = core.status();
    const reasons = (e: ReturnType<ConsensusCore["handle"]>): string[] =>
      ofType(e, "dropped").map((d) => d.reason);
    // A message five epochs ahead on a network whose epochs never change: only dropped.
    const other = new Forge([1, 1, 1, 1], 5);
    const ahead = core.handle(msg(1, { kind: "vote", vote: other.vote(1, 1, new Uint8Array(32)) }));
    expect(reasons(ahead)).toEqual(["future_epoch"]);
    expect(ofType(ahead, "fetchBlocks")).toEqual([]);
    // Where epochs change, this node is behind: it asks for the rest of its own epoch (peers
    // keep the end of every epoch), then the next, one epoch at a time.
    const changing = f.core(0, { epochLengthRounds: 10 });
    changing.handle({ type: "start", nowMs: 0 });
    const behind = changing.handle(msg(1, { kind: "vote", vote: other.vote(1, 1, new Uint8Array(32)) }));
    expect(reasons(behind)).toEqual(["future_epoch"]);
    expect(ofType(behind, "fetchBlocks").map((e) => [e.epoch, e.from])).toEqual([[0, 1]]);
    const unknown = { ...f.vote(1, 1, new Uint8Array(32)), signerIndex: 9 };
    expect(reasons(core.handle(msg(1, { kind: "vote", vote: unknown })))).toEqual(["unknown_signer"]);
    expect(reasons(core.handle(msg(1, { kind: "vote", vote: f.vote(1, 500, new Uint8Array(32)) })))).toEqual([
      "too_far_ahead",
    ]);
    const b1 = f.block(1, 1, f.genesisQc());
    const badSig = { ...b1, signature: new Uint8Array(96) };
    expect(reasons(core.handle(msg(1, { kind: "proposal", block: badSig })))).toEqual(["bad_signature"]);
    const wrongLeader = f.block(1, 3, f.genesisQc());
    expect(reasons(core.handle(msg(3, { kind: "proposal", block: wrongLeader })))).toEqual(["not_leader"]);
    const badPayload = { ...b1, payload: f.payload(200) };
    expect(reasons(core.handle(msg(1, { kind: "proposal", block: badPayload })))).toEqual(["invalid_block"]);
    const t = f.timeout(1, 1, f.genesisQc());
    expect(
      reasons(core.handle(msg(1, { kind: "timeout", timeout: { ...t, signature: new Uint8Array(96) } }))),
    ).toEqual(["bad_signature"]);
    expect(reasons(core.handle({ type: "timer", nowMs: 0, timer: { epoch: 0, round: 7 } }))).toEqual([
      "stale_timer",
    ]);
    expect(reasons(core.handle({ type: "safetyPersisted", nowMs: 0, seq: 42 }))).toEqual(["unexpected_ack"]);
    expect(core.status()).toEqual(before);
    expect(core.dropCounts().bad_signature).toBe(2);
  });

  it("bounds future-round buffers, the block tree and equivocation records", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(0, { limits: { maxPendingRounds: 4, maxBlocksInTree: 3, maxRoundsAhead: 50 } });
    core.handle({ type: "start", nowMs: 0 });
    const reasons: string[] = [];
    for (let r = 1; r <= 10; r++) {
      for (const d of ofType(
        core.handle(msg(1, { kind: "vote", vote: f.vote(1, r, new Uint8Array(32).fill(r)) })),
        "dropped",
      )) {
        reasons.push(d.reason);
      }
    }
    expect(reasons.filter((r) => r === "pending_full")).toHaveLength(6);
    // Tree: a chain of certified blocks without commits (gaps) fills it.
    let qc = f.genesisQc();
    let drops: string[] = [];
    for (let r = 1; r <= 12; r += 2) {
      const tc =
        r === 1
          ? null
          : f.tc(r - 1, [
              [1, qc.round],
              [2, qc.round],
              [3, qc.round],
            ]);
      const b = f.block(r, r % 4, qc, tc);
      drops = drops.concat(
        ofType(ackAll(core, core.handle(msg(r % 4, { kind: "proposal", block: b }))), "dropped").map(
          (d) => d.reason,
        ),
      );
      qc = f.qc(b, [1, 2, 3]);
    }
    expect(drops).toContain("tree_full");
    expect(core.status().treeSize).toBeLessThanOrEqual(3);
  });

  it("rejects bad configuration with typed errors", () => {
    const f = new Forge([1, 1, 1, 1]);
    const make = (o: Partial<Parameters<Forge["opts"]>[1]>, self: number | null = 0): ConsensusCore =>
      new ConsensusCore({ ...f.opts(self), ...o }, { scheme, signer: f.committee.signers[0] });
    const code = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(ConsensusError);
        return (e as ConsensusError).code;
      }
      return "none";
    };
    expect(code(() => make({ validators: [] }))).toBe("BAD_VALIDATOR_SET");
    expect(code(() => make({}, 9))).toBe("BAD_SELF_INDEX");
    expect(code(() => make({ timing: { baseTimeoutMs: 0, backoffFactor: 2, maxTimeoutMs: 10 } }))).toBe(
      "BAD_TIMING",
    );
    expect(code(() => make({ leaderTermRounds: 0 }))).toBe("BAD_OPTION");
    expect(code(() => new ConsensusCore(f.opts(0), { scheme }))).toBe("MISSING_SIGNER");
  });
});

describe("observer", () => {
  it("follows and commits without signing anything", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = new ConsensusCore(f.opts(null), { scheme });
    const all = [...core.handle({ type: "start", nowMs: 0 })];
    const b1 = f.block(1, 1, f.genesisQc());
    const b2 = f.block(2, 2, f.qc(b1, [0, 1, 2]));
    const b3 = f.block(3, 3, f.qc(b2, [0, 1, 2]));
    for (const b of [b1, b2, b3])
      all.push(...core.handle(msg(b.header.proposerIndex, { kind: "proposal", block: b })));
    all.push(...core.handle({ type: "timer", nowMs: 0, timer: { epoch: 0, round: 3 } }));
    expect(ofType(all, "commit").flatMap((c) => c.blocks.map((b) => b.block.header.round))).toEqual([1]);
    for (const t of ["persistSafety", "sendTo", "broadcast", "requestPayload"] as const)
      expect(ofType(all, t)).toHaveLength(0);
  });
});
