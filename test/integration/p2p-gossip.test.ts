import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOPIC_KINDS } from "../../src/p2p/topics.ts";
import { type ChildEvent, makeMessage } from "./p2p-child.ts";
import { type ChildNode, fullMesh, spawnNode, until } from "./p2p-harness.ts";

const CHAIN = 4242;
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const tag = (s: string): Uint8Array => new TextEncoder().encode(s.padEnd(16, "."));
const delivered = (kind: string, t: Uint8Array) => (e: ChildEvent) =>
  e.event === "delivered" && e.kind === kind && e.tag === hex(t);

describe("p2p gossip between 4 processes", () => {
  let nodes: ChildNode[] = [];

  beforeAll(async () => {
    nodes = await Promise.all(
      [0, 1, 2, 3].map(() =>
        spawnNode({ chainId: CHAIN, genesisByte: 1, reportDeliveries: true, limits: { heartbeatMs: 100 } }),
      ),
    );
    await fullMesh(nodes, [...TOPIC_KINDS]);
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it("delivers a message on every topic to every other node", async () => {
    for (const kind of TOPIC_KINDS) {
      const t = tag(`hello-${kind}`);
      await nodes[0].call({ cmd: "publish", kind, hex: hex(makeMessage(CHAIN, t)) });
      await Promise.all(
        nodes.slice(1).map((n) => n.waitForEvent(delivered(kind, t), 10_000, `${kind} delivery`)),
      );
    }
  });

  it("rejects garbage and wrong-chain messages, and the sender's score drops", async () => {
    const attacker = nodes[3];
    const victim = nodes[1];
    const before = await victim.call<number>({ cmd: "score", peer: attacker.peerId });
    const garbage = tag("garbage-no-magic");
    await attacker.call({ cmd: "publish", kind: "tx", hex: hex(garbage) });
    const wrongChain = makeMessage(CHAIN + 1, tag("wrong-chain"));
    await attacker.call({ cmd: "publish", kind: "proposal", hex: hex(wrongChain) });
    await until(
      async () => (await victim.call<number>({ cmd: "score", peer: attacker.peerId })) < Math.min(0, before),
      10_000,
      "attacker score to drop",
    );
    const text = await victim.call<string>({ cmd: "metrics" });
    expect(text).toMatch(/megaseq_p2p_gossip_rejected_total\{topic="tx",reason="decode"\} [1-9]/);
    expect(text).toMatch(/megaseq_p2p_gossip_rejected_total\{topic="proposal",reason="chain_id"\} [1-9]/);
    expect(victim.events.some((e) => e.event === "delivered" && e.tag === hex(garbage.subarray(0, 16)))).toBe(
      false,
    );
    // The network still works for honest traffic.
    const t = tag("after-attack");
    await nodes[0].call({ cmd: "publish", kind: "tx", hex: hex(makeMessage(CHAIN, t)) });
    await victim.waitForEvent(delivered("tx", t), 10_000, "honest tx after attack");
  });
});
