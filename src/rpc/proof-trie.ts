import { keccak256 } from "../crypto/keccak.ts";
import { encodeBytes, encodeList } from "../execution/rlp.ts";

/**
 * A Merkle-Patricia trie built at once from a full key/value list, to answer eth_getProof: the
 * proof of a key is the RLP of every node on its path, root first (nodes shorter than 32 bytes
 * are embedded in their parent, as in geth's proofs). Keys are the 32-byte hashed keys of the
 * state and storage tries. Built per request from the state of one EVM block, so its cost is
 * linear in the number of entries; the node's incremental trie is not exposed for walking.
 */

type Node =
  | { kind: "leaf"; path: number[]; value: Uint8Array }
  | { kind: "ext"; path: number[]; child: Node }
  | { kind: "branch"; children: (Node | undefined)[] };

interface Entry {
  nibbles: Uint8Array;
  value: Uint8Array;
}

function nibblesOf(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length * 2);
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = key[i] >> 4;
    out[2 * i + 1] = key[i] & 15;
  }
  return out;
}

function hexPrefix(path: readonly number[], leaf: boolean): Uint8Array {
  const odd = path.length % 2 === 1;
  const flag = (leaf ? 2 : 0) + (odd ? 1 : 0);
  const out = new Uint8Array(Math.floor(path.length / 2) + 1);
  let i = 0;
  if (odd) {
    out[0] = (flag << 4) | path[0];
    i = 1;
  } else out[0] = flag << 4;
  for (let j = 1; i < path.length; i += 2, j++) out[j] = (path[i] << 4) | path[i + 1];
  return out;
}

function build(entries: Entry[], depth: number): Node | undefined {
  if (entries.length === 0) return undefined;
  if (entries.length === 1) {
    return { kind: "leaf", path: [...entries[0].nibbles.subarray(depth)], value: entries[0].value };
  }
  // Longest prefix shared by all (entries are sorted: compare the first and the last).
  const first = entries[0].nibbles;
  const last = entries[entries.length - 1].nibbles;
  let shared = 0;
  while (depth + shared < first.length && first[depth + shared] === last[depth + shared]) shared++;
  if (shared > 0) {
    return {
      kind: "ext",
      path: [...first.subarray(depth, depth + shared)],
      child: build(entries, depth + shared) as Node,
    };
  }
  const children: (Node | undefined)[] = new Array(16).fill(undefined);
  let start = 0;
  for (let nib = 0; nib < 16; nib++) {
    let end = start;
    while (end < entries.length && entries[end].nibbles[depth] === nib) end++;
    children[nib] = build(entries.slice(start, end), depth + 1);
    start = end;
  }
  return { kind: "branch", children };
}

const encoded = new WeakMap<Node, Uint8Array>();

function encode(node: Node): Uint8Array {
  let out = encoded.get(node);
  if (out !== undefined) return out;
  if (node.kind === "leaf")
    out = encodeList([encodeBytes(hexPrefix(node.path, true)), encodeBytes(node.value)]);
  else if (node.kind === "ext") out = encodeList([encodeBytes(hexPrefix(node.path, false)), ref(node.child)]);
  else
    out = encodeList([
      ...node.children.map((c) => (c ? ref(c) : encodeBytes(new Uint8Array(0)))),
      encodeBytes(new Uint8Array(0)),
    ]);
  encoded.set(node, out);
  return out;
}

/** How a parent refers to a child: embedded when its RLP is shorter than 32 bytes, else its hash. */
function ref(node: Node): Uint8Array {
  const rlp = encode(node);
  return rlp.length < 32 ? rlp : encodeBytes(keccak256(rlp));
}

export class ProofTrie {
  private readonly root: Node | undefined;

  /** `entries`: hashed 32-byte keys and their (already RLP-encoded) values. */
  constructor(entries: Iterable<[Uint8Array, Uint8Array]>) {
    const list: Entry[] = [];
    for (const [key, value] of entries) if (value.length > 0) list.push({ nibbles: nibblesOf(key), value });
    list.sort((a, b) => compare(a.nibbles, b.nibbles));
    this.root = build(list, 0);
  }

  rootHash(): Uint8Array {
    // The root is always referenced by hash, whatever its size.
    return this.root === undefined ? keccak256(encodeBytes(new Uint8Array(0))) : keccak256(encode(this.root));
  }

  /** The nodes on the path of `key` (a proof of its value, or of its absence). */
  prove(key: Uint8Array): Uint8Array[] {
    const nibbles = nibblesOf(key);
    const out: Uint8Array[] = [];
    let node = this.root;
    let depth = 0;
    while (node !== undefined) {
      const rlp = encode(node);
      if (out.length === 0 || rlp.length >= 32) out.push(rlp);
      if (node.kind === "leaf") break;
      if (node.kind === "ext") {
        const matches = node.path.every((n, i) => nibbles[depth + i] === n);
        if (!matches) break;
        depth += node.path.length;
        node = node.child;
      } else {
        node = node.children[nibbles[depth]];
        depth++;
      }
    }
    return out;
  }
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
