import { describe, expect, it } from "vitest";
import { ConsensusCore, type SignatureScheme } from "../../../src/consensus/index.ts";
import { ackAll, Forge, msg, ofType, scheme } from "./forge.ts";

/** Counts the pairing-bearing calls, to show which paths skip them. */
class CountingScheme implements SignatureScheme {
  readonly name = scheme.name;
  calls = 0;
  verify(pk: Uint8Array, m: Uint8Array, s: Uint8Array): boolean {
    this.calls++;
    return scheme.verify(pk, m, s);
  }
  fastAggregateVerify(pks: readonly Uint8Array[], m: Uint8Array, s: Uint8Array): boolean {
    this.calls++;
    return scheme.fastAggregateVerify(pks, m, s);
  }
  aggregateVerify(pks: readonly Uint8Array[], ms: readonly Uint8Array[], s: Uint8Array): boolean {
    this.calls++;
    return scheme.aggregateVerify(pks, ms, s);
  }
  aggregate(sigs: readonly Uint8Array[]): Uint8Array {
    return scheme.aggregate(sigs);
  }
}

const payloadInput = (round: number) => ({
  type: "payload" as const,
  nowMs: 0,
  epoch: 0,
  round,
  payload: { timestampUs: 1, l1OriginNumber: 0, l1OriginHash: new Uint8Array(32), deposits: [], txs: [] },
  stateBlockNumber: 0,
  stateRoot: new Uint8Array(32),
});

/** Equal stakes, K = 1: leader(r) = r mod 4. */
describe("core: proposal reserved with the previous vote", () => {
  it("the next leader's proposal leaves without waiting for an fsync of its own", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(2);
    core.handle({ type: "start", nowMs: 0 });
    const b1 = f.block(1, 1, f.genesisQc());
    const voted = core.handle(msg(1, { kind: "proposal", block: b1 }));
    const persist = ofType(voted, "persistSafety");
    expect(persist).toHaveLength(1);
    expect(persist[0].data.proposalReservedRound).toBe(2); // leads round 2 on top of b1
    ackAll(core, voted);
    core.handle(msg(0, { kind: "vote", vote: f.vote(0, 1, f.root(b1)) }));
    const qc = core.handle(msg(1, { kind: "vote", vote: f.vote(1, 1, f.root(b1)) }));
    expect(ofType(qc, "requestPayload").map((e) => e.round)).toEqual([2]);
    const proposed = core.handle(payloadInput(2));
    // The proposal is out at once; only the leader's own vote for it waits for its persist.
    const sent = ofType(proposed, "broadcast");
    expect(sent.map((e) => e.message.kind)).toEqual(["proposal"]);
    const own = ofType(proposed, "persistSafety");
    expect(own).toHaveLength(1);
    expect(own[0].data.lastVotedRound).toBe(2);
    expect(proposed.findIndex((e) => e.type === "broadcast")).toBeLessThan(
      proposed.findIndex((e) => e.type === "persistSafety"),
    );
    expect(ofType(proposed, "sendTo")).toHaveLength(0);
    const released = core.handle({ type: "safetyPersisted", nowMs: 0, seq: own[0].seq });
    expect(ofType(released, "sendTo").map((e) => e.to)).toEqual([3]);
  });

  it("holds the proposal until the reserving write is acknowledged", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(2);
    core.handle({ type: "start", nowMs: 0 });
    const b1 = f.block(1, 1, f.genesisQc());
    const voted = core.handle(msg(1, { kind: "proposal", block: b1 }));
    const reserveSeq = ofType(voted, "persistSafety")[0].seq;
    // Not acked yet: the own vote is held, so QC(1) needs all three other votes.
    core.handle(msg(0, { kind: "vote", vote: f.vote(0, 1, f.root(b1)) }));
    core.handle(msg(1, { kind: "vote", vote: f.vote(1, 1, f.root(b1)) }));
    core.handle(msg(3, { kind: "vote", vote: f.vote(3, 1, f.root(b1)) }));
    const proposed = core.handle(payloadInput(2));
    expect(ofType(proposed, "broadcast")).toHaveLength(0);
    const released = core.handle({ type: "safetyPersisted", nowMs: 0, seq: reserveSeq });
    expect(ofType(released, "broadcast").map((e) => e.message.kind)).toEqual(["proposal"]);
  });

  it("a restarted leader never proposes again in the round it reserved", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(2);
    core.handle({ type: "start", nowMs: 0 });
    const b1 = f.block(1, 1, f.genesisQc());
    const safety = ofType(core.handle(msg(1, { kind: "proposal", block: b1 })), "persistSafety")[0].data;
    const restarted = new ConsensusCore(f.opts(2), {
      scheme,
      signer: f.committee.signers[2],
      restored: { safety },
    });
    restarted.handle({ type: "start", nowMs: 0 });
    const qc = f.qc(b1, [0, 1, 3]);
    // It learns of QC(1) (here from a timeout): round 2 is its round, but it may have proposed.
    const effects = ackAll(
      restarted,
      restarted.handle(msg(3, { kind: "timeout", timeout: f.timeout(3, 2, qc) })),
    );
    expect(restarted.status().round).toBe(2);
    expect(ofType(effects, "requestPayload")).toHaveLength(0);
    expect(ofType(effects, "broadcast").filter((e) => e.message.kind === "proposal")).toHaveLength(0);
  });

  it("a leader without a reservation still sends its proposal only after its vote's fsync", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(1);
    const started = core.handle({ type: "start", nowMs: 0 });
    expect(ofType(started, "requestPayload").map((e) => e.round)).toEqual([1]);
    const proposed = core.handle(payloadInput(1));
    expect(ofType(proposed, "broadcast")).toHaveLength(0);
    const seq = ofType(proposed, "persistSafety")[0].seq;
    const released = core.handle({ type: "safetyPersisted", nowMs: 0, seq });
    expect(ofType(released, "broadcast").map((e) => e.message.kind)).toEqual(["proposal"]);
  });
});

describe("core: gossip checks and host-verified messages", () => {
  it("rejects wrong epochs and unknown signers, ignores the next epoch and stale rounds", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(0);
    core.handle({ type: "start", nowMs: 0 });
    const other = new Forge([1, 1, 1, 1], 5);
    const next = new Forge([1, 1, 1, 1], 1);
    const b1 = f.block(1, 1, f.genesisQc());
    expect(core.gossipCheck({ kind: "proposal", block: other.block(1, 1, other.genesisQc()) })).toEqual({
      verdict: "reject",
      reason: "wrong_epoch",
    });
    expect(core.gossipCheck({ kind: "vote", vote: next.vote(1, 1, new Uint8Array(32)) }).verdict).toBe(
      "ignore",
    );
    // When epochs change, a node may be any number of epochs behind or ahead of an honest
    // sender: other epochs are ignored (no penalty either way), and never rejected.
    const g = new Forge([1, 1, 1, 1], 3);
    const withEpochs = g.core(0, { epochLengthRounds: 10 });
    withEpochs.handle({ type: "start", nowMs: 0 });
    const at = (epoch: number) => new Forge([1, 1, 1, 1], epoch).vote(1, 1, new Uint8Array(32));
    expect(withEpochs.gossipCheck({ kind: "vote", vote: at(9) })).toEqual({
      verdict: "ignore",
      reason: "future_epoch",
    });
    expect(withEpochs.gossipCheck({ kind: "vote", vote: at(0) })).toEqual({
      verdict: "ignore",
      reason: "stale_epoch",
    });
    const stranger = { ...f.vote(1, 1, f.root(b1)), signerIndex: 9 };
    expect(core.gossipCheck({ kind: "vote", vote: stranger })).toEqual({
      verdict: "reject",
      reason: "unknown_signer",
    });
    const noQuorum = f.qc(b1, [0, 1]);
    expect(core.gossipCheck({ kind: "proposal", block: f.block(2, 2, noQuorum) })).toEqual({
      verdict: "reject",
      reason: "bad_certificate",
    });
    // Genesis QC: only the proposer's signature is left to check.
    const plan = core.gossipCheck({ kind: "proposal", block: b1 });
    expect(plan.verdict === "verify" && plan.checks.map((c) => c.kind)).toEqual(["single"]);
  });

  it("a proposal delivered as verified costs the core no pairing, and its QC is not checked again", () => {
    const f = new Forge([1, 1, 1, 1]);
    const counting = new CountingScheme();
    const core = new ConsensusCore(f.opts(0), { scheme: counting, signer: f.committee.signers[0] });
    core.handle({ type: "start", nowMs: 0 });
    const b1 = f.block(1, 1, f.genesisQc());
    ackAll(core, core.handle(msg(1, { kind: "proposal", block: b1 })));
    const qc1 = f.qc(b1, [1, 2, 3]);
    const b2 = f.block(2, 2, qc1);
    const plan = core.gossipCheck({ kind: "proposal", block: b2 });
    expect(plan.verdict === "verify" && plan.checks.map((c) => c.kind)).toEqual(["single", "aggregate"]);
    const before = counting.calls;
    const effects = ackAll(
      core,
      core.handle({
        type: "message",
        nowMs: 0,
        from: 2,
        message: { kind: "proposal", block: b2 },
        verified: true,
      }),
    );
    expect(counting.calls).toBe(before);
    expect(ofType(effects, "sendTo")).toHaveLength(1); // voted for b2
    // The same QC inside a later timeout needs no pairing either way.
    const again = core.gossipCheck({ kind: "timeout", timeout: f.timeout(3, 3, qc1) });
    expect(again.verdict === "verify" && again.checks.map((c) => c.kind)).toEqual(["single"]);
  });

  it("the same proposal unverified is checked by the core, and a bad QC signature is dropped", () => {
    const f = new Forge([1, 1, 1, 1]);
    const counting = new CountingScheme();
    const core = new ConsensusCore(f.opts(0), { scheme: counting, signer: f.committee.signers[0] });
    core.handle({ type: "start", nowMs: 0 });
    const b1 = f.block(1, 1, f.genesisQc());
    ackAll(core, core.handle(msg(1, { kind: "proposal", block: b1 })));
    const qc1 = f.qc(b1, [1, 2, 3]);
    const forged = { ...qc1, signature: f.qc(b1, [0, 1, 2]).signature };
    const before = counting.calls;
    const effects = core.handle(msg(2, { kind: "proposal", block: f.block(2, 2, forged) }));
    expect(counting.calls).toBe(before + 2); // proposal signature + QC
    expect(ofType(effects, "dropped").map((d) => d.reason)).toEqual(["bad_certificate"]);
  });
});

describe("core: a payload that arrives after the high QC moved", () => {
  it("is dropped as stale, not proposed on a parent this node does not have, and asked for again later", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(3); // leads round 3 (K = 1)
    core.handle({ type: "start", nowMs: 0 });
    const b1 = f.block(1, 1, f.genesisQc());
    ackAll(core, core.handle(msg(1, { kind: "proposal", block: b1 })));
    const qc1 = f.qc(b1, [0, 1, 2]);
    // Round 2 times out on every node but its leader: QC(b1) moves this node to round 2, the
    // three timeouts (their high QC: b1's) make TC(2), and round 3 is this node's, on top of b1.
    let asked: number[] = [];
    for (const signer of [0, 1, 2]) {
      const effects = ackAll(
        core,
        core.handle(msg(signer, { kind: "timeout", timeout: f.timeout(signer, 2, qc1) })),
      );
      asked = asked.concat(ofType(effects, "requestPayload").map((e) => e.round));
    }
    expect(core.status().round).toBe(3);
    expect(asked).toEqual([3]); // on top of b1, justified by TC(2)
    // While the payload is built, QC(b2) of round 2 arrives for a block this node has not seen:
    // the round stays 3, the parent to propose on is now b2, which is being fetched.
    const b2 = f.block(2, 2, qc1);
    const moved = core.handle(msg(0, { kind: "timeout", timeout: f.timeout(0, 3, f.qc(b2, [0, 1, 2])) }));
    expect(ofType(moved, "fetchBlocks")).toHaveLength(1);
    expect(core.status().round).toBe(3);
    const late = core.handle(payloadInput(3));
    expect(ofType(late, "broadcast")).toHaveLength(0);
    expect(core.dropCounts().stale_payload).toBe(1);
    // b2 arrives: the node leads round 3 on top of it and asks for a payload again.
    const fetched = ackAll(core, core.handle({ type: "blocksFetched", nowMs: 0, from: 0, blocks: [b2] }));
    expect(ofType(fetched, "requestPayload").map((e) => e.round)).toEqual([3]);
    const proposed = ackAll(core, core.handle(payloadInput(3)));
    const sent = ofType(proposed, "broadcast").filter((e) => e.message.kind === "proposal");
    expect(sent).toHaveLength(1);
    const block = sent[0].message.kind === "proposal" ? sent[0].message.block : null;
    expect(block?.header.parentRound).toBe(2);
  });
});
