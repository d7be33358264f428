/**
 * The tree of uncommitted blocks hanging off the last committed block (the root). Blocks enter
 * only when their parent is already here, so every block has a full certified path to the root.
 * A commit moves the root and drops every block that does not descend from it (dead branches).
 */
import type { Block } from "../types/index.ts";
import { toHex } from "./bytes.ts";
import type { BlockSummary } from "./types.ts";

export interface TreeNode {
  summary: BlockSummary;
  /** Null only for the root when it was restored or is an epoch's genesis. */
  block: Block | null;
  parentKey: string | null;
}

export class BlockTree {
  private readonly nodes = new Map<string, TreeNode>();
  private rootKey: string;
  private readonly maxBlocks: number;

  constructor(root: BlockSummary, rootBlock: Block | null, maxBlocks: number) {
    this.maxBlocks = maxBlocks;
    this.rootKey = toHex(root.root);
    this.nodes.set(this.rootKey, { summary: root, block: rootBlock, parentKey: null });
  }

  get root(): TreeNode {
    const node = this.nodes.get(this.rootKey);
    if (node === undefined) throw new Error("block tree lost its root");
    return node;
  }

  get size(): number {
    return this.nodes.size - 1;
  }

  get(root: Uint8Array): TreeNode | undefined {
    return this.nodes.get(toHex(root));
  }

  getByKey(key: string): TreeNode | undefined {
    return this.nodes.get(key);
  }

  has(root: Uint8Array): boolean {
    return this.nodes.has(toHex(root));
  }

  isFull(): boolean {
    return this.size >= this.maxBlocks;
  }

  /** Inserts a block whose parent is present; returns false when the parent is missing. */
  insert(summary: BlockSummary, block: Block, parentRoot: Uint8Array): boolean {
    const parentKey = toHex(parentRoot);
    if (!this.nodes.has(parentKey)) return false;
    const key = toHex(summary.root);
    if (!this.nodes.has(key)) this.nodes.set(key, { summary, block, parentKey });
    return true;
  }

  /** Ancestors of `root` (inclusive), newest first, at most `limit`, stopping at the tree root. */
  ancestors(root: Uint8Array, limit: number): TreeNode[] {
    const out: TreeNode[] = [];
    let key: string | null = toHex(root);
    while (key !== null && out.length < limit) {
      const node = this.nodes.get(key);
      if (node === undefined) break;
      out.push(node);
      key = node.parentKey;
    }
    return out;
  }

  /** The path from just above the root down to `root` (oldest first), or null if not a descendant. */
  pathFromRoot(root: Uint8Array): TreeNode[] | null {
    const path: TreeNode[] = [];
    let key: string | null = toHex(root);
    while (key !== null && key !== this.rootKey) {
      const node = this.nodes.get(key);
      if (node === undefined) return null;
      path.push(node);
      key = node.parentKey;
    }
    if (key !== this.rootKey) return null;
    return path.reverse();
  }

  /** Makes `root` (a descendant) the new root and prunes what does not descend from it. */
  advanceRoot(root: Uint8Array): void {
    const newKey = toHex(root);
    if (!this.nodes.has(newKey)) throw new Error("advanceRoot: unknown block");
    const keep = new Set<string>([newKey]);
    const sorted = [...this.nodes.entries()].sort((a, b) => a[1].summary.round - b[1].summary.round);
    for (const [key, node] of sorted) {
      if (node.parentKey !== null && keep.has(node.parentKey)) keep.add(key);
    }
    for (const key of [...this.nodes.keys()]) if (!keep.has(key)) this.nodes.delete(key);
    const rootNode = this.nodes.get(newKey);
    if (rootNode !== undefined) rootNode.parentKey = null;
    this.rootKey = newKey;
  }

  /** Uncommitted blocks in round order (for snapshots and serving catch-up). */
  blocksInRoundOrder(): TreeNode[] {
    return [...this.nodes.values()]
      .filter((n) => n.parentKey !== null)
      .sort((a, b) => a.summary.round - b.summary.round);
  }
}
