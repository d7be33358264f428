/**
 * Commits by the 2-chain rule: a QC that certifies B' whose parent B has round B'.round - 1
 * commits B and its ancestors. A commit that reaches the epoch's boundary ends the epoch there.
 */
import type { QuorumCertificate } from "../types/index.ts";
import type { TreeNode } from "./block-tree.ts";
import type { CoreParts } from "./core-parts.ts";
import type { CoreState } from "./core-state.ts";

export class Commits {
  private readonly s: CoreState;
  private readonly p: CoreParts;

  constructor(state: CoreState, parts: CoreParts) {
    this.s = state;
    this.p = parts;
  }

  /** 2-chain rule: QC on `certified` commits its parent when their rounds are consecutive. */
  tryCommit(certified: TreeNode, qc: QuorumCertificate): void {
    if (certified.parentKey === null) return;
    const parent = this.s.tree.getByKey(certified.parentKey);
    if (parent === undefined || parent.parentKey === null) return; // parent is the root: already committed
    if (parent.summary.round + 1 !== certified.summary.round) return;
    this.commitUpTo(parent, qc);
  }

  private commitUpTo(target: TreeNode, qc: QuorumCertificate): void {
    const s = this.s;
    if (s.epochEnded !== null) return;
    let path = s.tree.pathFromRoot(target.summary.root);
    if (path === null || path.length === 0) return;
    const epochLength = s.opts.epochLengthRounds;
    let boundary: TreeNode | null = null;
    if (epochLength > 0) {
      const idx = path.findIndex((n) => n.summary.round >= epochLength);
      if (idx >= 0) {
        boundary = path[idx];
        path = path.slice(0, idx + 1);
      }
    }
    const blocks = path.flatMap((n) => (n.block === null ? [] : [{ root: n.summary.root, block: n.block }]));
    const last = path[path.length - 1];
    s.out.push({ type: "commit", epoch: s.committee.epoch, blocks, qc });
    s.tree.advanceRoot(last.summary.root);
    for (const n of path) s.recentCommitted.push(n.summary);
    const keep = Math.max(s.opts.reputationWindow, 1);
    if (s.recentCommitted.length > keep) s.recentCommitted.splice(0, s.recentCommitted.length - keep);
    if (boundary !== null) {
      s.epochEnded = boundary.summary;
      s.epochEndQc = qc;
      this.p.epochs.announceEpochEnd(qc);
      this.p.epochs.maybeSwitchEpoch();
    }
  }
}
