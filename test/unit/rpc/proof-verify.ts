import { RLP } from "@ethereumjs/rlp";
import { keccak256 } from "../../../src/crypto/keccak.ts";

/**
 * An independent Merkle-Patricia proof checker for tests (walks decoded nodes; shares no code with
 * the proof builder): returns the value at `key` under `root`, undefined when the proof shows the
 * key is absent, and throws when the proof does not hash up to the root.
 */
export function verifyProof(root: Uint8Array, key: Uint8Array, proof: Uint8Array[]): Uint8Array | undefined {
  const nibbles: number[] = [];
  for (const b of key) nibbles.push(b >> 4, b & 15);
  const byHash = new Map(proof.map((p) => [Buffer.from(keccak256(p)).toString("hex"), p]));
  let want: Uint8Array | unknown[] = root;
  let at = 0;
  for (;;) {
    let node: unknown[];
    if (want instanceof Uint8Array) {
      const rlp = byHash.get(Buffer.from(want).toString("hex"));
      if (rlp === undefined) throw new Error(`proof lacks node ${Buffer.from(want).toString("hex")}`);
      node = RLP.decode(rlp) as unknown[];
    } else node = want;
    if (node.length === 17) {
      if (at === nibbles.length) return undefined;
      const child = node[nibbles[at]] as Uint8Array | unknown[];
      at++;
      if (child instanceof Uint8Array && child.length === 0) return undefined;
      want = child;
      continue;
    }
    const encoded = node[0] as Uint8Array;
    const flag = encoded[0] >> 4;
    const path: number[] = [];
    if (flag % 2 === 1) path.push(encoded[0] & 15);
    for (const b of encoded.subarray(1)) path.push(b >> 4, b & 15);
    const matches = path.every((n, i) => nibbles[at + i] === n);
    if (flag >= 2)
      return matches && at + path.length === nibbles.length ? (node[1] as Uint8Array) : undefined;
    if (!matches) return undefined;
    at += path.length;
    want = node[1] as Uint8Array | unknown[];
  }
}
