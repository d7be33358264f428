import { keccak256 } from "../../crypto/keccak.ts";
import { bytesToHex } from "../hex.ts";
import { encodeBytes, encodeList } from "../rlp.ts";
import type { Hex } from "../types.ts";
import { EMPTY_TRIE_ROOT } from "../types.ts";

/**
 * An in-memory Ethereum Merkle-Patricia trie (yellow paper appendix D), mutable in place.
 *
 * Each node caches its reference (raw RLP when shorter than 32 bytes, else RLP of its keccak);
 * a write clears the cache along the path it walks, so computing the root after a batch of
 * writes re-hashes only the nodes those writes touched. That is what makes the per-block state
 * root incremental.
 */

interface Leaf {
  kind: 0;
  path: Uint8Array;
  value: Uint8Array;
  ref: Uint8Array | undefined;
}
interface Extension {
  kind: 1;
  path: Uint8Array;
  child: TrieNode;
  ref: Uint8Array | undefined;
}
interface Branch {
  kind: 2;
  children: (TrieNode | undefined)[];
  value: Uint8Array | undefined;
  ref: Uint8Array | undefined;
}
type TrieNode = Leaf | Extension | Branch;

const EMPTY_STRING_RLP = Uint8Array.of(0x80);

function leaf(path: Uint8Array, value: Uint8Array): Leaf {
  return { kind: 0, path, value, ref: undefined };
}
function extension(path: Uint8Array, child: TrieNode): Extension {
  return { kind: 1, path, child, ref: undefined };
}
function branch(): Branch {
  return { kind: 2, children: new Array(16).fill(undefined), value: undefined, ref: undefined };
}

export function toNibbles(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length * 2);
  for (let i = 0; i < key.length; i++) {
    out[i * 2] = key[i] >> 4;
    out[i * 2 + 1] = key[i] & 15;
  }
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function commonPrefix(path: Uint8Array, key: Uint8Array, offset: number): number {
  const max = Math.min(path.length, key.length - offset);
  let i = 0;
  while (i < max && path[i] === key[offset + i]) i++;
  return i;
}

/** Hex-prefix (compact) encoding of a nibble path with the leaf flag. */
function compact(path: Uint8Array, isLeaf: boolean): Uint8Array {
  const odd = path.length % 2 === 1;
  const out = new Uint8Array((path.length >> 1) + 1);
  const flag = (isLeaf ? 2 : 0) + (odd ? 1 : 0);
  let p = 0;
  if (odd) {
    out[0] = (flag << 4) | path[0];
    p = 1;
  } else out[0] = flag << 4;
  for (let i = 1; i < out.length; i++, p += 2) out[i] = (path[p] << 4) | path[p + 1];
  return out;
}

function encodeNode(node: TrieNode): Uint8Array {
  if (node.kind === 0) return encodeList([encodeBytes(compact(node.path, true)), encodeBytes(node.value)]);
  if (node.kind === 1) return encodeList([encodeBytes(compact(node.path, false)), reference(node.child)]);
  const items: Uint8Array[] = new Array(17);
  for (let i = 0; i < 16; i++) {
    const child = node.children[i];
    items[i] = child === undefined ? EMPTY_STRING_RLP : reference(child);
  }
  items[16] = node.value === undefined ? EMPTY_STRING_RLP : encodeBytes(node.value);
  return encodeList(items);
}

/** How a parent embeds a child: raw when its RLP is under 32 bytes, else the RLP of its hash. */
function reference(node: TrieNode): Uint8Array {
  if (node.ref !== undefined) return node.ref;
  const encoded = encodeNode(node);
  node.ref = encoded.length < 32 ? encoded : encodeBytes(keccak256(encoded));
  return node.ref;
}

function insert(node: TrieNode | undefined, key: Uint8Array, i: number, value: Uint8Array): TrieNode {
  if (node === undefined) return leaf(key.subarray(i), value);
  node.ref = undefined;
  if (node.kind === 2) {
    if (i === key.length) node.value = value;
    else node.children[key[i]] = insert(node.children[key[i]], key, i + 1, value);
    return node;
  }
  const common = commonPrefix(node.path, key, i);
  if (node.kind === 0 && common === node.path.length && i + common === key.length) {
    node.value = value;
    return node;
  }
  if (node.kind === 1 && common === node.path.length) {
    node.child = insert(node.child, key, i + common, value);
    return node;
  }
  const split = branch();
  if (node.kind === 0) {
    if (common === node.path.length) split.value = node.value;
    else split.children[node.path[common]] = leaf(node.path.subarray(common + 1), node.value);
  } else if (common + 1 === node.path.length) split.children[node.path[common]] = node.child;
  else split.children[node.path[common]] = extension(node.path.subarray(common + 1), node.child);
  if (i + common === key.length) split.value = value;
  else split.children[key[i + common]] = leaf(key.subarray(i + common + 1), value);
  return common > 0 ? extension(node.path.subarray(0, common), split) : split;
}

/** Prefixes `path` onto `child`, merging paths so no extension points at a leaf or extension. */
function join(path: Uint8Array, child: TrieNode): TrieNode {
  if (path.length === 0) return child;
  if (child.kind === 0) return leaf(concat(path, child.path), child.value);
  if (child.kind === 1) return extension(concat(path, child.path), child.child);
  return extension(path, child);
}

/** Set by `remove` when a key was actually found and removed (callers then re-hash their path). */
let removed = false;

function remove(node: TrieNode | undefined, key: Uint8Array, i: number): TrieNode | undefined {
  if (node === undefined) return undefined;
  if (node.kind === 0) {
    const common = commonPrefix(node.path, key, i);
    if (common === node.path.length && i + common === key.length) {
      removed = true;
      return undefined;
    }
    return node;
  }
  if (node.kind === 1) {
    const common = commonPrefix(node.path, key, i);
    if (common !== node.path.length) return node;
    const child = remove(node.child, key, i + common);
    if (!removed) return node;
    if (child === undefined) return undefined;
    return join(node.path, child);
  }
  if (i === key.length) {
    if (node.value === undefined) return node;
    node.value = undefined;
    removed = true;
  } else {
    const after = remove(node.children[key[i]], key, i + 1);
    if (!removed) return node;
    node.children[key[i]] = after;
  }
  node.ref = undefined;
  let only = -1;
  let count = 0;
  for (let n = 0; n < 16; n++) {
    if (node.children[n] !== undefined) {
      count++;
      only = n;
    }
  }
  if (count === 0) return node.value === undefined ? undefined : leaf(new Uint8Array(0), node.value);
  if (count === 1 && node.value === undefined)
    return join(Uint8Array.of(only), node.children[only] as TrieNode);
  return node;
}

function removeKey(node: TrieNode | undefined, key: Uint8Array): TrieNode | undefined {
  removed = false;
  return remove(node, key, 0);
}

export class MerklePatriciaTrie {
  private root: TrieNode | undefined = undefined;

  /** Sets a key; an empty value deletes it (as Ethereum's tries do). */
  put(key: Uint8Array, value: Uint8Array): void {
    const nibbles = toNibbles(key);
    if (value.length === 0) this.root = removeKey(this.root, nibbles);
    else this.root = insert(this.root, nibbles, 0, value);
  }

  delete(key: Uint8Array): void {
    this.root = removeKey(this.root, toNibbles(key));
  }

  isEmpty(): boolean {
    return this.root === undefined;
  }

  rootHash(): Uint8Array {
    if (this.root === undefined) return EMPTY_ROOT_BYTES;
    return keccak256(encodeNode(this.root));
  }

  rootHex(): Hex {
    return this.root === undefined ? EMPTY_TRIE_ROOT : bytesToHex(this.rootHash());
  }
}

const EMPTY_ROOT_BYTES = Uint8Array.from(
  EMPTY_TRIE_ROOT.slice(2)
    .match(/../g)
    ?.map((b) => Number.parseInt(b, 16)) ?? [],
);

/** Root of a trie keyed by RLP(index): transactions root and receipts root. */
export function orderedTrieRoot(values: readonly Uint8Array[]): Uint8Array {
  const trie = new MerklePatriciaTrie();
  for (let i = 0; i < values.length; i++) trie.put(encodeBytes(indexBytes(i)), values[i]);
  return trie.rootHash();
}

function indexBytes(i: number): Uint8Array {
  if (i === 0) return new Uint8Array(0);
  const out: number[] = [];
  for (let v = i; v > 0; v = Math.floor(v / 256)) out.unshift(v & 255);
  return Uint8Array.from(out);
}
