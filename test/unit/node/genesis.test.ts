import { describe, expect, it } from "vitest";
import { canonicalJson, GenesisError, parseGenesis } from "../../../src/node/genesis.ts";

const validator = {
  address: "0x0000000000000000000000000000000000000001",
  blsPubkey: `0x${"a".repeat(96)}`,
  votingPower: "100",
  peerId: "12D3KooWtest",
  multiaddr: "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWtest",
};
const genesis = {
  chainId: 4242,
  timestampMs: 1,
  validators: [validator],
  alloc: { "0x0000000000000000000000000000000000000002": "5" },
  consensus: {
    baseTimeoutMs: 1000,
    backoffFactor: 1.5,
    maxTimeoutMs: 10000,
    leaderTermRounds: 1,
    reputationWindow: 4,
  },
};

describe("genesis", () => {
  it("parses validators into the consensus core's form", () => {
    const g = parseGenesis(JSON.stringify(genesis));
    expect(g.validators).toHaveLength(1);
    expect(g.validators[0].votingPower).toBe(100n);
    expect(g.validators[0].pubkey.length).toBe(48);
    expect(g.hash.length).toBe(32);
  });

  it("hashes the same content the same whatever the key order", () => {
    const reordered = {
      consensus: genesis.consensus,
      alloc: genesis.alloc,
      validators: genesis.validators,
      timestampMs: 1,
      chainId: 4242,
    };
    expect(Buffer.from(parseGenesis(JSON.stringify(reordered)).hash)).toEqual(
      Buffer.from(parseGenesis(JSON.stringify(genesis)).hash),
    );
    expect(canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] })).toBe('{"a":[2,{"c":4,"d":3}],"b":1}');
  });

  it("names the offending key of a bad file", () => {
    const bad = { ...genesis, validators: [{ ...validator, blsPubkey: "0x1234" }] };
    expect(() => parseGenesis(JSON.stringify(bad))).toThrow(/validators\.0\.blsPubkey/);
    expect(() => parseGenesis("{not json")).toThrow(GenesisError);
    const zero = { ...genesis, validators: [{ ...validator, votingPower: "0" }] };
    expect(() => parseGenesis(JSON.stringify(zero))).toThrow(/voting power/);
  });
});
