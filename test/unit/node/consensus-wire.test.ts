import { describe, expect, it } from "vitest";
import {
  ConsensusWireError,
  decodeConsensusMessage,
  encodeConsensusMessage,
  GOSSIP_NONCE_BYTES,
} from "../../../src/node/consensus-wire.ts";

const vote = {
  vote: { epoch: 1, round: 7, blockRoot: new Uint8Array(32).fill(9) },
  signerIndex: 2,
  signature: new Uint8Array(96).fill(3),
};

describe("consensus gossip payloads", () => {
  it("round-trips a vote behind the publish nonce", () => {
    const bytes = encodeConsensusMessage({ kind: "vote", vote });
    const decoded = decodeConsensusMessage("vote", bytes);
    expect(decoded.kind).toBe("vote");
    if (decoded.kind === "vote") expect(decoded.vote.vote.round).toBe(7);
  });

  it("gives each publish of the same message different bytes, so gossip does not drop repeats", () => {
    const a = encodeConsensusMessage({ kind: "vote", vote });
    const b = encodeConsensusMessage({ kind: "vote", vote });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(
      Buffer.from(a.subarray(GOSSIP_NONCE_BYTES)).equals(Buffer.from(b.subarray(GOSSIP_NONCE_BYTES))),
    ).toBe(true);
  });

  it("rejects short, garbage and trailing-byte input with typed errors", () => {
    expect(() => decodeConsensusMessage("vote", new Uint8Array(4))).toThrow(ConsensusWireError);
    expect(() => decodeConsensusMessage("proposal", new Uint8Array(40).fill(255))).toThrow();
    const good = encodeConsensusMessage({ kind: "vote", vote });
    const trailing = new Uint8Array(good.length + 1);
    trailing.set(good);
    expect(() => decodeConsensusMessage("vote", trailing)).toThrow();
  });
});
