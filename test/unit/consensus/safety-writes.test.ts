import { describe, expect, it } from "vitest";
import { CoreState } from "../../../src/consensus/core-state.ts";
import { initialSafetyData } from "../../../src/consensus/index.ts";
import { SafetyWrites } from "../../../src/consensus/safety-writes.ts";
import { Forge, scheme } from "./forge.ts";

function setup(): { state: CoreState; writes: SafetyWrites; log: string[] } {
  const f = new Forge([1, 1, 1, 1]);
  const state = new CoreState(f.opts(0), { scheme, signer: f.committee.signers[0] });
  return { state, writes: new SafetyWrites(state), log: [] };
}

const ack = (seq: number) => ({ type: "safetyPersisted", nowMs: 0, seq }) as const;

describe("safety writes", () => {
  it("numbers writes, updates the state at once and releases held work only at the ack, in order", () => {
    const { state, writes, log } = setup();
    const first = { ...initialSafetyData(0), lastVotedRound: 1 };
    const s1 = writes.persist(first, () => log.push("vote 1"));
    const s2 = writes.persist({ ...first, lastVotedRound: 2 }, () => log.push("vote 2"));
    expect([s1, s2]).toEqual([1, 2]);
    expect(state.safety.lastVotedRound).toBe(2);
    expect(state.out.map((e) => (e.type === "persistSafety" ? e.seq : e.type))).toEqual([1, 2]);
    writes.afterDurable(2, () => log.push("proposal"));
    expect(log).toEqual([]);
    writes.onSafetyPersisted(ack(1));
    expect(log).toEqual(["vote 1"]);
    // A coalesced ack releases everything up to its seq, in the order it was held.
    writes.onSafetyPersisted(ack(2));
    expect(log).toEqual(["vote 1", "vote 2", "proposal"]);
    // Once durable, later work runs at once.
    writes.afterDurable(2, () => log.push("now"));
    expect(log.at(-1)).toBe("now");
  });

  it("the persisted record is a copy: later changes to the state do not alter what the host writes", () => {
    const { state, writes } = setup();
    writes.persist(initialSafetyData(0), null);
    const effect = state.out[0];
    state.safety.lastVotedRound = 9;
    expect(effect.type === "persistSafety" && effect.data.lastVotedRound).toBe(0);
  });

  it("drops an ack of a write never made, and changes nothing", () => {
    const { state, writes, log } = setup();
    writes.persist(initialSafetyData(0), () => log.push("held"));
    state.out = [];
    writes.onSafetyPersisted(ack(5));
    writes.onSafetyPersisted(ack(0));
    expect(state.out.map((e) => (e.type === "dropped" ? e.reason : e.type))).toEqual([
      "unexpected_ack",
      "unexpected_ack",
    ]);
    expect(log).toEqual([]);
    writes.onSafetyPersisted(ack(1));
    expect(log).toEqual(["held"]);
  });

  it("defers work behind one yield effect and runs it all on resume", () => {
    const { state, writes, log } = setup();
    writes.defer(() => log.push("a"));
    writes.defer(() => log.push("b"));
    expect(state.out.map((e) => e.type)).toEqual(["yield"]);
    writes.onResume();
    expect(log).toEqual(["a", "b"]);
    writes.onResume();
    expect(log).toEqual(["a", "b"]);
    writes.defer(() => log.push("c"));
    expect(state.out.map((e) => e.type)).toEqual(["yield", "yield"]);
  });
});
