import { describe, expect, it } from "vitest";
import { keccak256 } from "../../../src/crypto/keccak.ts";
import { MerklePatriciaTrie } from "../../../src/execution/trie/mpt.ts";
import { ProofTrie } from "../../../src/rpc/proof-trie.ts";
import { verifyProof } from "./proof-verify.ts";

/** Seeded xorshift bytes. */
function rng(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 255;
    }
    return out;
  };
}

describe("ProofTrie (eth_getProof)", () => {
  for (const seed of [1, 7, 42]) {
    it(`has the node trie's root and proves every key and absent keys (seed ${seed})`, () => {
      const bytes = rng(seed);
      const reference = new MerklePatriciaTrie();
      const entries: [Uint8Array, Uint8Array][] = [];
      const count = 1 + (bytes(1)[0] % 200);
      for (let i = 0; i < count; i++) {
        const key = keccak256(bytes(8));
        // Short values give embedded (< 32 byte) nodes; long ones hashed nodes.
        const value = bytes(1 + (bytes(1)[0] % 40));
        entries.push([key, value]);
        reference.put(key, value);
      }
      const trie = new ProofTrie(entries);
      const root = trie.rootHash();
      expect(Buffer.from(root).toString("hex"), `seed ${seed}`).toBe(
        Buffer.from(reference.rootHash()).toString("hex"),
      );
      for (const [key, value] of entries) {
        expect(verifyProof(root, key, trie.prove(key)), `seed ${seed}`).toEqual(value);
      }
      const absent = keccak256(Uint8Array.of(255, 255, seed));
      expect(verifyProof(root, absent, trie.prove(absent))).toBeUndefined();
    });
  }

  it("proves absence in an empty trie", () => {
    const trie = new ProofTrie([]);
    expect(Buffer.from(trie.rootHash()).toString("hex")).toBe(
      "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421",
    );
    expect(trie.prove(keccak256(Uint8Array.of(1)))).toEqual([]);
  });
});
