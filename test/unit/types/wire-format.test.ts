import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { verify } from "../../../src/crypto/index.ts";
import {
  Block,
  BlockHeader,
  Checkpoint,
  computeDomain,
  DOMAIN_TYPES,
  decodeSsz,
  MAX_TXS_PER_PAYLOAD,
  MiniBlockPayload,
  QuorumCertificate,
  SignedVote,
  signingRootOfVote,
  Timeout,
  TimeoutCertificate,
  TypesError,
  Vote,
} from "../../../src/types/index.ts";
import { computeGolden } from "./golden.ts";
import * as v from "./vectors.ts";

const golden = JSON.parse(readFileSync(new URL("./golden.json", import.meta.url), "utf8"));
const sha = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};
const u64 = (n: number): Uint8Array => {
  const c = new Uint8Array(32);
  new DataView(c.buffer).setBigUint64(0, BigInt(n), true);
  return c;
};
/** Merkleize fixed 32-byte chunks the way the Solidity verifier does: pad to a power of two with zero chunks. */
function merkleize(chunks: Uint8Array[]): Uint8Array {
  let layer = [...chunks];
  let width = 1;
  while (width < layer.length) width *= 2;
  while (layer.length < width) layer.push(new Uint8Array(32));
  while (layer.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < layer.length; i += 2) next.push(sha(layer[i], layer[i + 1]));
    layer = next;
  }
  return layer[0];
}
const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString("hex")}`;

describe("wire format golden vectors", () => {
  it("match golden.json exactly (a refactor cannot change bytes or roots unnoticed)", () => {
    expect(computeGolden()).toEqual(golden);
  });

  it("signed containers merkleize as documented (what Solidity recomputes with sha256)", () => {
    expect(hex(Vote.hashTreeRoot(v.vote))).toBe(hex(merkleize([u64(3), u64(17), v.vote.blockRoot])));
    expect(hex(Timeout.hashTreeRoot(v.timeout))).toBe(hex(merkleize([u64(3), u64(18), u64(16)])));
    const h = v.header;
    expect(hex(BlockHeader.hashTreeRoot(h))).toBe(
      hex(
        merkleize([
          u64(h.epoch),
          u64(h.round),
          u64(h.proposerIndex),
          h.parentRoot,
          u64(h.parentRound),
          h.payloadRoot,
          u64(h.stateBlockNumber),
          h.stateRoot,
          h.justifyRoot,
        ]),
      ),
    );
    const c = v.checkpoint;
    expect(hex(Checkpoint.hashTreeRoot(c))).toBe(
      hex(merkleize([u64(c.epoch), u64(c.round), c.blockRoot, u64(c.evmBlockNumber), c.stateRoot])),
    );
    const domainType = new Uint8Array(32);
    domainType.set(DOMAIN_TYPES.vote);
    expect(hex(computeDomain("vote", v.CHAIN_ID, 3))).toBe(
      hex(merkleize([domainType, u64(v.CHAIN_ID), u64(3)])),
    );
    const root = signingRootOfVote(v.CHAIN_ID, v.vote);
    expect(root.length).toBe(64);
    expect(hex(root)).toBe(
      `${hex(computeDomain("vote", v.CHAIN_ID, 3))}${hex(Vote.hashTreeRoot(v.vote)).slice(2)}`,
    );
  });

  it("golden BLS signatures verify against the golden key", () => {
    for (const kind of ["vote", "timeout", "proposal", "checkpoint"]) {
      const g = golden[kind];
      const ok = verify(
        Buffer.from(golden.meta.blsPubkey.slice(2), "hex"),
        Buffer.from(g.signingRoot.slice(2), "hex"),
        Buffer.from(g.blsSignature.slice(2), "hex"),
      );
      expect(ok, kind).toBe(true);
    }
  });

  it("domains differ by kind, chain and epoch", () => {
    const seen = new Set<string>();
    for (const kind of ["proposal", "vote", "timeout", "checkpoint"] as const) {
      for (const chain of [1, 4242])
        for (const epoch of [0, 1]) seen.add(hex(computeDomain(kind, chain, epoch)));
    }
    expect(seen.size).toBe(16);
  });
});

describe("codecs", () => {
  it("round-trip every container", () => {
    const cases: [
      {
        serialize(x: never): Uint8Array;
        deserialize(b: Uint8Array): unknown;
        maxSize: number;
        minSize: number;
      },
      unknown,
    ][] = [
      [Vote, v.vote],
      [Timeout, v.timeout],
      [BlockHeader, v.header],
      [Checkpoint, v.checkpoint],
      [QuorumCertificate, v.qc],
      [TimeoutCertificate, v.tc],
      [MiniBlockPayload, v.payload],
      [Block, v.block],
    ];
    for (const [type, value] of cases) {
      const bytes = type.serialize(value as never);
      const back = decodeSsz(type as never, bytes, "x");
      expect(type.serialize(back as never)).toEqual(bytes);
    }
  });

  const expectCode = (fn: () => unknown, code: string): void => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(TypesError);
      expect((err as TypesError).code).toBe(code);
      return;
    }
    throw new Error(`expected ${code}`);
  };

  it("reject wrong lengths and trailing bytes with typed errors", () => {
    const bytes = Vote.serialize(v.vote);
    expectCode(() => decodeSsz(Vote, bytes.subarray(0, 47), "vote"), "MALFORMED_SSZ");
    expectCode(() => decodeSsz(Vote, Uint8Array.of(...bytes, 0), "vote"), "OVERSIZE_INPUT");
    expectCode(() => decodeSsz(Vote, new Uint8Array(0), "vote"), "EMPTY_INPUT");
    const blockBytes = Block.serialize(v.block);
    // In a variable-size container, extra bytes fall into the last variable field (here the TC's
    // signer bitlist): they decode to a DIFFERENT value, which the core's bitmap-length check refuses.
    const stretched = decodeSsz(Block, Uint8Array.of(...blockBytes, 1, 2, 3), "block");
    expect(stretched.justify.tc[0].signers.bitLen).not.toBe(v.tc.signers.bitLen);
    const sv = SignedVote.serialize({ vote: v.vote, signerIndex: 1, signature: new Uint8Array(96) });
    expectCode(() => decodeSsz(SignedVote, Uint8Array.of(...sv, 0), "signed vote"), "OVERSIZE_INPUT");
    expectCode(
      () => decodeSsz(Block, blockBytes.subarray(0, blockBytes.length - 1), "block"),
      "MALFORMED_SSZ",
    );
  });

  it("reject oversize lists", () => {
    const tooMany = {
      ...v.payload,
      txs: Array.from({ length: MAX_TXS_PER_PAYLOAD + 1 }, () => Uint8Array.of(1)),
    };
    // The encoder itself does not bound lists; the decoder must.
    const bytes = MiniBlockPayload.serialize(tooMany);
    expectCode(() => decodeSsz(MiniBlockPayload, bytes, "payload"), "MALFORMED_SSZ");
    const sixBitsTc = TimeoutCertificate.serialize({
      ...v.tc,
      highQcRounds: Array.from({ length: 1025 }, () => 1),
    });
    expect(() => decodeSsz(TimeoutCertificate, sixBitsTc, "tc")).toThrow(TypesError);
  });

  it("reject a signed vote whose signature has the wrong length", () => {
    const good = SignedVote.serialize({ vote: v.vote, signerIndex: 1, signature: new Uint8Array(96) });
    expectCode(
      () => decodeSsz(SignedVote, good.subarray(0, good.length - 1), "signed vote"),
      "MALFORMED_SSZ",
    );
  });
});
