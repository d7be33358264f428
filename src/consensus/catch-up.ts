/**
 * Catch-up: ask a peer for the blocks this node is missing (one request in flight per target),
 * take in its answer (checked like proposals, never voted for, plus its best QC so the chain
 * can commit), and answer peers' requests from the block tree or the previous epoch's tail.
 */
import { type Block, BlockHeader, type QuorumCertificate } from "../types/index.ts";
import type { TreeNode } from "./block-tree.ts";
import { bytesEqual, toHex } from "./bytes.ts";
import type { CoreParts } from "./core-parts.ts";
import type { CoreState } from "./core-state.ts";
import type { ConsensusInput } from "./types.ts";

export class CatchUp {
  private readonly s: CoreState;
  private readonly p: CoreParts;

  constructor(state: CoreState, parts: CoreParts) {
    this.s = state;
    this.p = parts;
  }

  requestFetch(from: number | null, toRoot: Uint8Array | null, toRound: number): void {
    const s = this.s;
    const key = `${s.committee.epoch}/${toRoot === null ? "tip" : toHex(toRoot)}`;
    if (s.fetchInFlight === key) return;
    let peer = from;
    if (peer === null || peer === s.self || !s.committee.has(peer)) {
      // Ask the proposer of the highest QC's round as a reasonable default peer.
      peer = this.pickPeer();
      if (peer === null) return;
    }
    s.fetchInFlight = key;
    s.out.push({
      type: "fetchBlocks",
      from: peer,
      epoch: s.committee.epoch,
      afterRound: s.committedRound,
      toRoot,
      toRound,
    });
  }

  private pickPeer(): number | null {
    const s = this.s;
    const n = s.committee.size;
    for (let k = 1; k <= n; k++) {
      const candidate = (s.highQc.round + k) % n;
      if (candidate !== s.self) return candidate;
    }
    return null;
  }

  onBlocksFetched(input: Extract<ConsensusInput, { type: "blocksFetched" }>): void {
    const s = this.s;
    s.fetchInFlight = null;
    if (input.blocks.length > s.limits.maxFetchBlocks) {
      s.drop("bad_fetch", input, input.from, `${input.blocks.length} blocks > ${s.limits.maxFetchBlocks}`);
      return;
    }
    const sorted = [...input.blocks].sort((a, b) => a.header.round - b.header.round);
    const certifiers = certifyingQcs(sorted, input.qc);
    for (const block of sorted) {
      if (s.epochEnded !== null) break;
      if (block.header.epoch !== s.committee.epoch) {
        s.drop("bad_fetch", input, input.from, "block of another epoch");
        continue;
      }
      const root = BlockHeader.hashTreeRoot(block.header);
      if (block.header.round <= s.committedRound || s.tree.has(root)) continue;
      const checks = this.isCertified(root, certifiers) ? "certified" : "unverified";
      this.p.proposalIntake.onProposal(block, input.from, checks, "fetched");
    }
    if (input.qc !== undefined && s.epochEnded === null && input.qc.epoch === s.committee.epoch) {
      const check = this.p.certificates.processQc(input.qc, input.from);
      if (check !== "ok") s.drop("bad_fetch", input, input.from, `qc: ${check}`);
    }
    const certified = s.tree.get(s.highQc.blockRoot);
    if (certified !== undefined && s.epochEnded === null) this.p.commits.tryCommit(certified, s.highQc);
    this.p.proposer.maybePropose();
    const pending = s.pendingProposals.get(s.round);
    if (pending !== undefined && s.tree.has(pending.block.header.parentRoot)) {
      s.pendingProposals.delete(s.round);
      this.p.proposalIntake.onProposal(pending.block, pending.from, pending.checks, "live");
    }
  }

  /**
   * Whether a QC that verifies certifies `root`: the high QC, or one in the answer (checked here
   * only for blocks about to go in; the committee caches it, so the check is not made again when
   * the block that carries it is inserted).
   */
  private isCertified(root: Uint8Array, certifiers: ReadonlyMap<string, QuorumCertificate>): boolean {
    const s = this.s;
    if (bytesEqual(root, s.highQc.blockRoot)) return true;
    const qc = certifiers.get(toHex(root));
    return qc !== undefined && qc.epoch === s.committee.epoch && s.committee.checkQc(qc) === "ok";
  }

  /** Uncommitted blocks after `afterRound` on the way to `toRoot` (or all), to answer a peer's fetch. */
  blocksForFetch(epoch: number, afterRound: number, toRoot: Uint8Array | null): Block[] {
    const s = this.s;
    const prev = s.previousEpoch;
    if (prev !== null && epoch === prev.epoch) {
      return prev.tail.filter((b) => b.header.round > afterRound).slice(0, s.limits.maxFetchBlocks);
    }
    if (epoch !== s.committee.epoch) return [];
    let nodes: TreeNode[];
    if (toRoot !== null) {
      nodes = s.tree.pathFromRoot(toRoot) ?? [];
    } else {
      nodes = s.tree.blocksInRoundOrder();
    }
    return nodes
      .filter((n) => n.summary.round > afterRound && n.block !== null)
      .slice(0, s.limits.maxFetchBlocks)
      .map((n) => n.block as Block);
  }

  /** The QC to send with a fetch answer for `epoch`: the high QC, or the previous epoch's commit QC. */
  fetchQc(epoch: number): QuorumCertificate | null {
    const s = this.s;
    if (epoch === s.committee.epoch) return s.highQc;
    if (s.previousEpoch !== null && epoch === s.previousEpoch.epoch) return s.previousEpoch.qc;
    return null;
  }
}

/** The QCs a fetch answer carries (inside its blocks, and its own), by the root they certify. */
function certifyingQcs(
  blocks: readonly Block[],
  answerQc: QuorumCertificate | undefined,
): Map<string, QuorumCertificate> {
  const byRoot = new Map<string, QuorumCertificate>();
  for (const b of blocks) byRoot.set(toHex(b.justify.qc.blockRoot), b.justify.qc);
  if (answerQc !== undefined) byRoot.set(toHex(answerQc.blockRoot), answerQc);
  return byRoot;
}
