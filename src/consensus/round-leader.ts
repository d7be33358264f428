/**
 * Who leads a round: the term placement of `round` on top of a parent block, and the leader the
 * schedule (rotation, terms, reputation over recent ancestors) gives it. Pure reads of the state.
 */
import type { TreeNode } from "./block-tree.ts";
import type { CoreState } from "./core-state.ts";
import { leaderFor, placeTerm, type TermPlacement } from "./leader-schedule.ts";
import type { BlockSummary } from "./types.ts";

function ancestorsOf(s: CoreState, node: TreeNode, limit: number): BlockSummary[] {
  const inTree = s.tree.ancestors(node.summary.root, limit).map((n) => n.summary);
  if (inTree.length >= limit) return inTree;
  // Continue below the tree root with committed history (newest first, root already included).
  for (let i = s.recentCommitted.length - 2; i >= 0 && inTree.length < limit; i--) {
    inTree.push(s.recentCommitted[i]);
  }
  return inTree;
}

export function placementAndLeader(
  s: CoreState,
  parent: TreeNode,
  round: number,
): { placement: TermPlacement; leader: number } {
  const placement = placeTerm(parent.summary, round, s.opts.leaderTermRounds);
  const leader = leaderFor(
    {
      rotation: s.committee.rotation,
      termRounds: s.opts.leaderTermRounds,
      reputationWindow: s.opts.reputationWindow,
    },
    placement,
    s.opts.reputationWindow > 0 ? ancestorsOf(s, parent, s.opts.reputationWindow) : [],
  );
  return { placement, leader };
}

export function leaderOf(s: CoreState, parent: TreeNode, round: number): number {
  return placementAndLeader(s, parent, round).leader;
}

/** Leader of `round` if it is proposed on top of this node's high QC. */
export function leaderForRound(s: CoreState, round: number): number | null {
  const parent = s.tree.get(s.highQc.blockRoot);
  if (parent === undefined || round <= parent.summary.round) return null;
  return leaderOf(s, parent, round);
}

/** The tree's summary of a block: its identity and where it sits in the leader schedule. */
export function summaryOf(
  root: Uint8Array,
  header: { epoch: number; round: number; proposerIndex: number },
  placement: TermPlacement,
): BlockSummary {
  return {
    root,
    epoch: header.epoch,
    round: header.round,
    proposerIndex: header.proposerIndex,
    slot: placement.slot,
    termStart: placement.termStart,
    failedFrom: placement.failedFrom,
    failedTo: placement.failedTo,
  };
}
