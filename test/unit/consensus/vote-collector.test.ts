import { describe, expect, it } from "vitest";
import { Committee } from "../../../src/consensus/committee.ts";
import { InsecureTestScheme, insecureTestCommittee } from "../../../src/consensus/insecure-test-scheme.ts";
import { JolteonSafetyRules } from "../../../src/consensus/safety-rules.ts";
import type { SignatureScheme } from "../../../src/consensus/types.ts";
import { VoteCollector } from "../../../src/consensus/vote-collector.ts";
import { type SignedVote, signingRootOfVote } from "../../../src/types/index.ts";

/** The test scheme, counting the pairing-like checks the collector asks for. */
class CountingScheme extends InsecureTestScheme {
  checks = 0;
  override verify(pubkey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    this.checks++;
    return super.verify(pubkey, message, signature);
  }
  override fastAggregateVerify(
    pubkeys: readonly Uint8Array[],
    message: Uint8Array,
    signature: Uint8Array,
  ): boolean {
    this.checks++;
    return super.fastAggregateVerify(pubkeys, message, signature);
  }
}

const CHAIN_ID = 7;
const ROOT = new Uint8Array(32).fill(5);

function setup(): {
  committee: Committee;
  scheme: CountingScheme;
  collector: VoteCollector;
  vote: (i: number, bad?: boolean) => SignedVote;
} {
  const { validators, signers } = insecureTestCommittee([1, 1, 1, 1]);
  const scheme = new CountingScheme();
  const committee = new Committee(
    { epoch: 0, chainId: CHAIN_ID, validators, genesisRoot: new Uint8Array(32) },
    { scheme: scheme as SignatureScheme, rules: new JolteonSafetyRules() },
  );
  const v = { epoch: 0, round: 3, blockRoot: ROOT };
  const message = signingRootOfVote(CHAIN_ID, v);
  const vote = (i: number, bad = false): SignedVote => ({
    vote: v,
    signerIndex: i,
    signature: bad ? signers[(i + 1) % 4].sign(message) : signers[i].sign(message),
  });
  return { committee, scheme, collector: new VoteCollector(scheme), vote };
}

describe("VoteCollector", () => {
  it("without a pending own vote checks one aggregate at quorum", () => {
    const { committee, scheme, collector, vote } = setup();
    expect(collector.add(committee, vote(1), false).qc).toBeNull();
    expect(collector.add(committee, vote(2), false).qc).toBeNull();
    expect(scheme.checks).toBe(0);
    const outcome = collector.add(committee, vote(0), true);
    expect(outcome.qc?.round).toBe(3);
    expect(scheme.checks).toBe(1);
  });

  it("checks the others ahead of a pending own vote that completes the quorum, then forms the QC without a check", () => {
    const { committee, scheme, collector, vote } = setup();
    expect(collector.add(committee, vote(1), false, 1n).qc).toBeNull();
    expect(scheme.checks).toBe(0); // 1 + own 1 is no quorum of 4 yet
    expect(collector.add(committee, vote(2), false, 1n)).toEqual({ qc: null, badSigners: [] });
    expect(scheme.checks).toBe(1);
    const outcome = collector.add(committee, vote(0), true);
    expect(scheme.checks).toBe(1);
    const qc = outcome.qc;
    expect(qc).not.toBeNull();
    const expected = scheme.aggregate([vote(0).signature, vote(1).signature, vote(2).signature]);
    expect(qc?.signature).toEqual(expected);
    expect(qc?.signers).toEqual(committee.bitmapOf([0, 1, 2]));
  });

  it("evicts a bad vote found ahead of the own vote, and the QC waits for a good one", () => {
    const { committee, collector, vote } = setup();
    collector.add(committee, vote(1), false, 1n);
    expect(collector.add(committee, vote(2, true), false, 1n).badSigners).toEqual([2]);
    expect(collector.add(committee, vote(0), true).qc).toBeNull();
    const outcome = collector.add(committee, vote(3), false);
    expect(outcome.qc?.signers).toEqual(committee.bitmapOf([0, 1, 3]));
    expect(outcome.badSigners).toEqual([]);
  });
});
