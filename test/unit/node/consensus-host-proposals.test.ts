import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConsensusCore, ConsensusInput } from "../../../src/consensus/index.ts";
import type { BlsVerifier, SignatureSet } from "../../../src/crypto/bls-verifier.ts";
import { ConsensusHost, type PayloadSource } from "../../../src/node/consensus-host.ts";
import { encodeConsensusMessage } from "../../../src/node/consensus-wire.ts";
import { SafetyFile } from "../../../src/node/safety-file.ts";
import type { GossipVerdict, P2pHost } from "../../../src/p2p/host.ts";
import { coreAfterB1, Forge } from "../consensus/forge.ts";

/**
 * The host's gossip validator for proposals, with a real core (insecure test committee) and a
 * verifier that records the signature sets it is given: a proposal that arrives over its
 * proposer's own connection is checked without the proposer's signature, any other with it.
 */
interface Handler {
  validate(data: Uint8Array, from: string, via: "gossip" | "direct"): Promise<GossipVerdict<unknown>>;
  deliver(value: unknown, from: string): void;
}

class RecordingVerifier implements BlsVerifier {
  readonly batches: SignatureSet[][] = [];
  async verifySignatureSets(sets: readonly SignatureSet[]): Promise<boolean> {
    this.batches.push([...sets]);
    return true;
  }
  async verifyEach(sets: readonly SignatureSet[]): Promise<boolean[]> {
    return sets.map(() => true);
  }
  async close(): Promise<void> {}
}

describe("ConsensusHost: proposals from their proposer's own connection", () => {
  let dir: string;
  let safety: SafetyFile;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "host-proposals-"));
    safety = new SafetyFile({ path: join(dir, "safety.bin") });
  });
  afterEach(() => {
    safety.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function setUp(gossipMeshDegree = 0) {
    const f = new Forge([1, 1, 1, 1]);
    const { core, b1 } = coreAfterB1(f);
    const b2 = f.block(2, 2, f.qc(b1, [1, 2, 3]));
    const inputs: ConsensusInput[] = [];
    const recordingCore = new Proxy(core, {
      get(target, key, receiver) {
        if (key === "handle")
          return (input: ConsensusInput) => {
            inputs.push(input);
            return target.handle(input);
          };
        return Reflect.get(target, key, receiver);
      },
    }) as ConsensusCore;
    const handlers = new Map<string, Handler>();
    const p2p = {
      limits: { gossipMeshDegree },
      setTopicHandler: (kind: string, handler: Handler) => handlers.set(kind, handler),
      sendVote: async () => {},
      publish: async () => {},
    } as unknown as P2pHost;
    const verifier = new RecordingVerifier();
    const host = new ConsensusHost(
      {
        selfIndex: 0,
        validatorPeers: new Map([
          [1, "peer-1"],
          [2, "peer-2"],
          [3, "peer-3"],
        ]),
      },
      { core: recordingCore, p2p, safety, payloads: {} as PayloadSource, onCommit: () => {}, verifier },
    );
    host.attach();
    return { b2, handler: handlers.get("proposal") as Handler, verifier, inputs };
  }

  it("verifies only the certificates of a proposal its proposer sent, and says so to the core", async () => {
    const { b2, handler, verifier, inputs } = setUp();
    const verdict = await handler.validate(
      encodeConsensusMessage({ kind: "proposal", block: b2 }),
      "peer-2",
      "gossip",
    );
    expect(verdict.result).toBe("accept");
    expect(verifier.batches.map((b) => b.map((s) => s.type))).toEqual([["aggregate"]]);
    if (verdict.result === "accept") handler.deliver(verdict.value, "peer-2");
    const delivered = inputs.find((i) => i.type === "message");
    expect(delivered).toMatchObject({ verified: true, signatureUnchecked: true, from: 2 });
  });

  it("checks the proposer's signature of a proposal relayed by another peer", async () => {
    const { b2, handler, verifier, inputs } = setUp();
    const verdict = await handler.validate(
      encodeConsensusMessage({ kind: "proposal", block: b2 }),
      "peer-3",
      "gossip",
    );
    expect(verdict.result).toBe("accept");
    expect(verifier.batches.map((b) => b.map((s) => s.type))).toEqual([["single", "aggregate"]]);
    if (verdict.result === "accept") handler.deliver(verdict.value, "peer-3");
    expect(inputs.find((i) => i.type === "message")).toMatchObject({
      verified: true,
      signatureUnchecked: false,
    });
  });

  it("checks the signature of every proposal when this node forwards gossip (a mesh)", async () => {
    const { b2, handler, verifier } = setUp(6);
    const verdict = await handler.validate(
      encodeConsensusMessage({ kind: "proposal", block: b2 }),
      "peer-2",
      "gossip",
    );
    expect(verdict.result).toBe("accept");
    expect(verifier.batches.map((b) => b.map((s) => s.type))).toEqual([["single", "aggregate"]]);
  });
});
