/**
 * Proposals as they arrive, live from the leader or fetched during catch-up: checked (epoch,
 * proposer, shape, signature, certificates, leader of the round), inserted into the block tree,
 * then voted for when live. A live proposal whose parent is missing waits (bounded) while the
 * parent is fetched.
 */
import { type Block, BlockHeader, Justification, signingRootFromMessageRoot } from "../types/index.ts";
import { payloadRootOf } from "../types/payload-root.ts";
import type { TreeNode } from "./block-tree.ts";
import { bytesEqual, toHex } from "./bytes.ts";
import type { CoreParts } from "./core-parts.ts";
import type { CoreState } from "./core-state.ts";
import type { SeenRecord } from "./equivocation.ts";
import { placementAndLeader, summaryOf } from "./round-leader.ts";
import type { ConsensusInput } from "./types.ts";

/** "live": from the network, voted for; "fetched": an ancestor from a catch-up answer, never voted for. */
export type ProposalMode = "live" | "fetched";

/**
 * What was established about a proposal before it reached the intake:
 * - "verified": the host verified its proposer's signature and its certificates;
 * - "fromProposer": the host verified its certificates; the signature was not checked because the
 *   proposal came over its proposer's own authenticated connection;
 * - "certified": a fetched block certified by a QC this core verified: the QC shows a quorum took
 *   it as the leader's proposal, so its proposer's signature is not needed (a certified block
 *   whose signature is bad must not stop a node that syncs); its certificates are checked here;
 * - "unverified": nothing; the intake checks the signature and the certificates.
 */
export type ProposalChecks = "verified" | "fromProposer" | "certified" | "unverified";

function structuralProblem(block: Block): string | null {
  const h = block.header;
  const { qc, tc } = block.justify;
  if (!bytesEqual(h.parentRoot, qc.blockRoot) || h.parentRound !== qc.round)
    return "parent does not match QC";
  if (qc.round >= h.round) return "QC not below round";
  if (qc.round + 1 === h.round) {
    if (tc.length !== 0) return "TC on a QC-justified round";
  } else if (tc.length !== 1 || tc[0].round + 1 !== h.round) {
    return "round not justified by QC or TC";
  }
  if (!bytesEqual(h.payloadRoot, payloadRootOf(block.payload))) return "payload root mismatch";
  if (!bytesEqual(h.justifyRoot, Justification.hashTreeRoot(block.justify))) return "justify root mismatch";
  return null;
}

export class ProposalIntake {
  private readonly s: CoreState;
  private readonly p: CoreParts;

  constructor(state: CoreState, parts: CoreParts) {
    this.s = state;
    this.p = parts;
  }

  onProposal(
    block: Block,
    from: number,
    checks: ProposalChecks,
    mode: ProposalMode,
    input?: ConsensusInput,
  ): void {
    const s = this.s;
    const what: ConsensusInput["type"] = input?.type ?? (mode === "fetched" ? "blocksFetched" : "message");
    const inp = input ?? what;
    const h = block.header;
    if (h.epoch !== s.committee.epoch) {
      if (input !== undefined) this.p.epochs.epochMismatch(h.epoch, input, from);
      else s.drop(h.epoch > s.committee.epoch ? "future_epoch" : "wrong_epoch", what, from);
      return;
    }
    if (s.epochEnded !== null) {
      s.drop("epoch_ended", inp, from);
      return;
    }
    if (!s.committee.has(h.proposerIndex)) {
      s.drop("unknown_signer", inp, from);
      return;
    }
    if (h.round <= s.committedRound) {
      s.drop("stale_round", inp, from);
      return;
    }
    const root = BlockHeader.hashTreeRoot(h);
    if (s.tree.has(root)) {
      s.drop("duplicate", inp, from);
      return;
    }
    const problem = structuralProblem(block);
    if (problem !== null) {
      s.drop("invalid_block", inp, from, problem);
      return;
    }
    if (checks === "unverified" && !this.signatureValid(h, root, block.signature)) {
      s.drop("bad_signature", inp, from);
      return;
    }
    if (checks === "verified" || checks === "fromProposer")
      this.p.certificates.trust(block.justify.qc, block.justify.tc);
    const seen = s.proposalSeen.observe(h.proposerIndex, h.round, {
      rootHex: toHex(root),
      message: h,
      signature: block.signature,
      verified: checks === "verified" || checks === "unverified",
    });
    if (seen.kind === "conflict") this.reportEquivocation(seen.record, h, root, block.signature, checks);
    const qcCheck = this.p.certificates.processQc(block.justify.qc, from);
    if (qcCheck !== "ok") {
      s.drop("bad_certificate", inp, from, `qc: ${qcCheck}`);
      return;
    }
    if (block.justify.tc.length === 1 && s.committee.epoch === h.epoch) {
      const tcCheck = this.p.certificates.processTc(block.justify.tc[0]);
      if (tcCheck !== "ok") {
        s.drop("bad_certificate", inp, from, `tc: ${tcCheck}`);
        return;
      }
    }
    if (s.epochEnded !== null || s.committee.epoch !== h.epoch) return; // the QC above ended the epoch
    const parent = s.tree.get(h.parentRoot);
    if (parent === undefined) {
      if (mode === "fetched") {
        s.drop("unknown_parent", inp, from);
        return;
      }
      if (
        h.round >= s.round &&
        (s.pendingProposals.size < s.limits.maxPendingRounds || s.pendingProposals.has(h.round))
      ) {
        if (!s.pendingProposals.has(h.round)) s.pendingProposals.set(h.round, { block, from, checks });
        this.p.catchUp.requestFetch(from, h.parentRoot, h.parentRound);
      } else {
        s.drop(h.round >= s.round ? "pending_full" : "unknown_parent", inp, from);
      }
      return;
    }
    const { placement, leader } = placementAndLeader(s, parent, h.round);
    if (h.proposerIndex !== leader) {
      s.drop("not_leader", inp, from, `leader is ${leader}`);
      return;
    }
    if (mode === "live" && s.modules.proposalCheck !== undefined) {
      const refused = s.modules.proposalCheck(block, parent.block);
      if (refused !== null) {
        s.drop("invalid_block", inp, from, `payload: ${refused}`);
        return;
      }
    }
    if (s.tree.isFull()) {
      s.drop("tree_full", inp, from);
      return;
    }
    s.tree.insert(summaryOf(root, h, placement), block, h.parentRoot);
    const node = s.tree.get(root) as TreeNode;
    // The embedded QC certifies the parent: a commit may follow now that the path is complete.
    this.p.commits.tryCommit(parent, block.justify.qc);
    // A QC already seen for this block (e.g. fetched after its QC) can commit its parent too.
    if (bytesEqual(s.highQc.blockRoot, root)) this.p.commits.tryCommit(node, s.highQc);
    if (mode === "live") this.p.voter.maybeVote(node, block, null);
  }
  private signatureValid(h: BlockHeader, root: Uint8Array, signature: Uint8Array): boolean {
    const s = this.s;
    return s.modules.scheme.verify(
      s.committee.pubkey(h.proposerIndex),
      signingRootFromMessageRoot("proposal", s.opts.chainId, h.epoch, root),
      signature,
    );
  }

  /**
   * Two proposals of one round by one proposer. Signatures not checked on arrival (proposals
   * taken from the proposer's own connection, certified fetched blocks) are checked now: evidence
   * goes to L1, where a bad signature would only make the report fail.
   */
  private reportEquivocation(
    first: SeenRecord<BlockHeader>,
    h: BlockHeader,
    root: Uint8Array,
    signature: Uint8Array,
    checks: ProposalChecks,
  ): void {
    const s = this.s;
    if (s.proposalSeen.wasEmitted(h.proposerIndex, h.round)) return;
    const secondOk =
      checks === "verified" || checks === "unverified" || this.signatureValid(h, root, signature);
    if (!secondOk) return;
    if (!first.verified) {
      if (!this.signatureValid(first.message, BlockHeader.hashTreeRoot(first.message), first.signature)) {
        // The first copy's signature was bad: keep the genuine one as the record.
        s.proposalSeen.replace(h.proposerIndex, h.round, {
          rootHex: toHex(root),
          message: h,
          signature,
          verified: true,
        });
        return;
      }
      first.verified = true;
    }
    if (!s.proposalSeen.markEmitted(h.proposerIndex, h.round)) return;
    s.out.push({
      type: "evidence",
      evidence: {
        kind: "proposal",
        epoch: h.epoch,
        evidence: {
          validatorIndex: h.proposerIndex,
          headerA: first.message,
          signatureA: first.signature,
          headerB: h,
          signatureB: signature,
        },
      },
    });
  }
}
