import { hashInto } from "@chainsafe/hashtree";
import { MiniBlockPayload } from "./containers.ts";
import { MAX_TX_BYTES, MAX_TXS_PER_PAYLOAD } from "./limits.ts";

/**
 * hash_tree_root of a MiniBlockPayload, the same bytes as `MiniBlockPayload.hashTreeRoot`, but
 * fast for the transaction list: every node checks a proposal's payload root, and the generic
 * SSZ code spends ~30 µs per transaction on it (a tree of nodes per transaction). Here each
 * level of all the transactions' trees is hashed in ONE native batch (hashtree: SHA-256 of many
 * 64-byte blocks per call), and nothing is allocated per node.
 *
 * SSZ, for `txs: List[ByteList[131072], 4096]`: a transaction's root is
 * mix_in_length(merkleize(pack(bytes), limit 4096 chunks), length); the list's root is
 * mix_in_length(merkleize(tx roots, limit 4096), count). Both trees are 12 levels deep.
 */
const TX_TREE_DEPTH = depthFor(MAX_TX_BYTES / 32); // ByteList[131072]: 4096 chunks, 12 levels
const LIST_TREE_DEPTH = depthFor(MAX_TXS_PER_PAYLOAD); // List[..., 4096]: 12 levels
const CONTAINER_DEPTH = 3; // 5 fields, padded to 8 leaves

function depthFor(leaves: number): number {
  const depth = Math.log2(leaves);
  if (!Number.isInteger(depth)) throw new Error(`SSZ limit ${leaves} is not a power of two`);
  return depth;
}

const ZERO_HASHES: Uint8Array[] = (() => {
  const out = [new Uint8Array(32)];
  for (let i = 0; i < 32; i++) {
    const pair = new Uint8Array(64);
    pair.set(out[i], 0);
    pair.set(out[i], 32);
    const next = new Uint8Array(32);
    hashInto(pair, next);
    out.push(next);
  }
  return out;
})();

/** Throws on a payload over the type's limits: it has no valid encoding, so no root either. */
export function payloadRootOf(payload: MiniBlockPayload): Uint8Array {
  if (payload.txs.length > MAX_TXS_PER_PAYLOAD) {
    throw new Error(`${payload.txs.length} transactions > ${MAX_TXS_PER_PAYLOAD}`);
  }
  for (const tx of payload.txs) {
    if (tx.length > MAX_TX_BYTES) throw new Error(`a transaction of ${tx.length} bytes > ${MAX_TX_BYTES}`);
  }
  const fields = MiniBlockPayload.fields;
  const leaves = new Uint8Array(8 * 32);
  leaves.set(uint64Leaf(payload.timestampUs), 0);
  leaves.set(uint64Leaf(payload.l1OriginNumber), 32);
  leaves.set(payload.l1OriginHash, 64);
  leaves.set(fields.deposits.hashTreeRoot(payload.deposits), 96);
  leaves.set(txsRoot(payload.txs), 128);
  return merkleizeOne(leaves, 8, CONTAINER_DEPTH);
}

function txsRoot(txs: readonly Uint8Array[]): Uint8Array {
  const roots = txRoots(txs);
  return mixInLength(merkleizeOne(roots, txs.length, LIST_TREE_DEPTH), txs.length);
}

/** The roots of all the transactions, 32 bytes each, back to back. */
function txRoots(txs: readonly Uint8Array[]): Uint8Array {
  const n = txs.length;
  if (n === 0) return new Uint8Array(0);
  // Level 0 of each transaction's tree: its bytes as 32-byte chunks (at least one, all zero for
  // an empty transaction: the same root as no chunks at all).
  const counts = new Int32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    counts[i] = Math.max(1, Math.ceil(txs[i].length / 32));
    total += counts[i];
  }
  let layer = new Uint8Array(total * 32);
  for (let i = 0, at = 0; i < n; i++) {
    layer.set(txs[i], at);
    at += counts[i] * 32;
  }
  for (let level = 0; level < TX_TREE_DEPTH; level++) {
    // Pair the nodes of each tree, an odd last one with the zero subtree of this level.
    let pairs = 0;
    for (let i = 0; i < n; i++) pairs += (counts[i] + 1) >> 1;
    const input = new Uint8Array(pairs * 64);
    for (let i = 0, from = 0, to = 0; i < n; i++) {
      const c = counts[i];
      input.set(layer.subarray(from, from + c * 32), to);
      if (c & 1) input.set(ZERO_HASHES[level], to + c * 32);
      from += c * 32;
      to += ((c + 1) >> 1) * 64;
      counts[i] = (c + 1) >> 1;
    }
    const output = new Uint8Array(pairs * 32);
    hashInto(input, output);
    layer = output;
  }
  // mix_in_length for each: hash(root ++ little-endian length in 32 bytes).
  const mix = new Uint8Array(n * 64);
  const view = new DataView(mix.buffer);
  for (let i = 0; i < n; i++) {
    mix.set(layer.subarray(i * 32, i * 32 + 32), i * 64);
    view.setUint32(i * 64 + 32, txs[i].length, true);
  }
  const roots = new Uint8Array(n * 32);
  hashInto(mix, roots);
  return roots;
}

/** The root of `count` 32-byte leaves padded with zero subtrees to a tree of `depth` levels. */
function merkleizeOne(leaves: Uint8Array, count: number, depth: number): Uint8Array {
  if (count === 0) return ZERO_HASHES[depth];
  let layer = leaves.subarray(0, count * 32);
  let n = count;
  for (let level = 0; level < depth; level++) {
    const pairs = (n + 1) >> 1;
    const input = new Uint8Array(pairs * 64);
    input.set(layer.subarray(0, n * 32), 0);
    if (n & 1) input.set(ZERO_HASHES[level], n * 32);
    const output = new Uint8Array(pairs * 32);
    hashInto(input, output);
    layer = output;
    n = pairs;
  }
  return layer.slice(0, 32);
}

function mixInLength(root: Uint8Array, length: number): Uint8Array {
  const input = new Uint8Array(64);
  input.set(root, 0);
  new DataView(input.buffer).setUint32(32, length, true);
  const out = new Uint8Array(32);
  hashInto(input, out);
  return out;
}

function uint64Leaf(value: number | bigint): Uint8Array {
  const leaf = new Uint8Array(32);
  new DataView(leaf.buffer).setBigUint64(0, BigInt(value), true);
  return leaf;
}
