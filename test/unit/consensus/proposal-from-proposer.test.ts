import { describe, expect, it } from "vitest";
import type { Block, ConsensusInput, Effect } from "../../../src/consensus/index.ts";
import { ackAll, coreAfterB1, Forge, msg, ofType } from "./forge.ts";

/** A proposal as the host hands it over when it came over its proposer's own connection. */
function fromProposer(block: Block): ConsensusInput {
  return {
    type: "message",
    nowMs: 0,
    from: block.header.proposerIndex,
    message: { kind: "proposal", block },
    verified: true,
    signatureUnchecked: true,
  };
}

/** The block signed over another message: a well-formed signature that does not verify. */
const badSignature = (block: Block): Block => ({
  ...block,
  signature: new Forge([1, 1, 1, 1]).vote(block.header.proposerIndex, 999, new Uint8Array(32)).signature,
});

const evidence = (effects: Effect[]) => ofType(effects, "evidence");

/** Equal stakes, K = 1: leader(r) = r mod 4. */
describe("core: proposals from their proposer's own connection", () => {
  it("the gossip check leaves the proposer's signature out and keeps the certificates", () => {
    const f = new Forge([1, 1, 1, 1]);
    const { core, b1 } = coreAfterB1(f);
    const b2 = f.block(2, 2, f.qc(b1, [1, 2, 3]));
    const full = core.gossipCheck({ kind: "proposal", block: b2 });
    const direct = core.gossipCheck({ kind: "proposal", block: b2 }, true);
    expect(full.verdict === "verify" && full.checks.map((c) => c.kind)).toEqual(["single", "aggregate"]);
    expect(direct.verdict === "verify" && direct.checks.map((c) => c.kind)).toEqual(["aggregate"]);
  });

  it("is voted for without its signature being checked; the same bytes unverified are dropped", () => {
    const f = new Forge([1, 1, 1, 1]);
    const b1 = badSignature(f.block(1, 1, f.genesisQc()));
    const trusting = f.core(0);
    trusting.handle({ type: "start", nowMs: 0 });
    const voted = ackAll(trusting, trusting.handle(fromProposer(b1)));
    expect(ofType(voted, "sendTo").map((e) => e.message.kind)).toEqual(["vote"]);

    const checking = f.core(0);
    checking.handle({ type: "start", nowMs: 0 });
    const dropped = checking.handle(msg(1, { kind: "proposal", block: b1 }));
    expect(ofType(dropped, "dropped").map((d) => d.reason)).toEqual(["bad_signature"]);
    expect(ofType(dropped, "sendTo")).toHaveLength(0);
  });

  it("reports equivocation only once both signatures are checked", () => {
    const f = new Forge([1, 1, 1, 1]);
    const core = f.core(0);
    core.handle({ type: "start", nowMs: 0 });
    const a = f.block(1, 1, f.genesisQc(), null, 7);
    const b = f.block(1, 1, f.genesisQc(), null, 8);
    ackAll(core, core.handle(fromProposer(a)));
    const reported = evidence(core.handle(fromProposer(b)));
    expect(reported).toHaveLength(1);
    expect(reported[0].evidence.kind).toBe("proposal");

    // The first copy's signature was bad: no evidence against the proposer, and the genuine
    // second proposal becomes the record a third conflicting one is compared with.
    const g = new Forge([1, 1, 1, 1]);
    const other = g.core(0);
    other.handle({ type: "start", nowMs: 0 });
    ackAll(other, other.handle(fromProposer(badSignature(g.block(1, 1, g.genesisQc(), null, 7)))));
    expect(evidence(other.handle(fromProposer(g.block(1, 1, g.genesisQc(), null, 8))))).toHaveLength(0);
    const third = evidence(other.handle(fromProposer(g.block(1, 1, g.genesisQc(), null, 9))));
    expect(third).toHaveLength(1);

    // A conflicting copy whose own signature is bad is no evidence either.
    const h = new Forge([1, 1, 1, 1]);
    const last = h.core(0);
    last.handle({ type: "start", nowMs: 0 });
    ackAll(last, last.handle(fromProposer(h.block(1, 1, h.genesisQc(), null, 7))));
    expect(
      evidence(last.handle(fromProposer(badSignature(h.block(1, 1, h.genesisQc(), null, 8))))),
    ).toHaveLength(0);
  });
});

describe("core: catch-up takes certified blocks whatever their proposer's signature", () => {
  it("accepts a fetched block certified by a QC in the answer, drops an uncertified one", () => {
    const f = new Forge([1, 1, 1, 1]);
    const b1 = badSignature(f.block(1, 1, f.genesisQc()));
    const b2 = f.block(2, 2, f.qc(b1, [0, 1, 2]));
    const b3 = badSignature(f.block(3, 3, f.qc(b2, [0, 1, 2])));

    const core = f.core(0);
    core.handle({ type: "start", nowMs: 0 });
    const empty = core.status().treeSize;
    ackAll(core, core.handle({ type: "blocksFetched", nowMs: 0, from: 2, blocks: [b1, b2, b3] }));
    // b1 and b2 are certified (by b2's and b3's QCs) and went in; b3 is not, and its signature
    // is bad: dropped, so QC(b2) inside it never counted either.
    expect(core.dropCounts().bad_signature).toBe(1);
    expect(core.status().highQcRound).toBe(1);
    expect(core.status().treeSize).toBe(empty + 2); // b1 and b2

    // With the QC that certifies b3 in the answer, b3 goes in too.
    const again = f.core(0);
    again.handle({ type: "start", nowMs: 0 });
    const qc3 = f.qc(b3, [0, 1, 2]);
    ackAll(again, again.handle({ type: "blocksFetched", nowMs: 0, from: 2, blocks: [b1, b2, b3], qc: qc3 }));
    expect(again.dropCounts().bad_signature ?? 0).toBe(0);
    expect(again.status().committedRound).toBe(2);
  });
});
