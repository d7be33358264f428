/**
 * This node's proposals: when it leads the current round it asks the host for a payload, then
 * builds, signs and inserts the block. The proposal leaves once a crash can no longer make this
 * node propose twice in the round: at once when the round was reserved by a durable earlier
 * write, else together with (after the fsync of) the leader's own vote.
 */
import {
  type Block,
  BlockHeader,
  Justification,
  type MiniBlockPayload,
  signingRootFromMessageRoot,
} from "../types/index.ts";
import { payloadRootOf } from "../types/payload-root.ts";
import type { TreeNode } from "./block-tree.ts";
import { bytesEqual, toHex } from "./bytes.ts";
import type { CoreParts } from "./core-parts.ts";
import type { CoreState } from "./core-state.ts";
import { emptyPayload } from "./empty-payload.ts";
import { leaderOf, placementAndLeader, summaryOf } from "./round-leader.ts";
import type { ConsensusInput, ConsensusModules, Effect } from "./types.ts";

export class Proposer {
  private readonly s: CoreState;
  private readonly p: CoreParts;

  constructor(state: CoreState, parts: CoreParts) {
    this.s = state;
    this.p = parts;
  }

  /** The block this node may propose on in the current round now, or null. */
  private parentToProposeOn(): TreeNode | null {
    const s = this.s;
    if (s.self === null || s.modules.signer === undefined || s.epochEnded !== null || !s.started) return null;
    const round = s.round;
    if (s.lastProposedRound >= round || s.safety.lastVotedRound >= round) return null;
    // The high QC may certify a block this node has not fetched yet.
    const parent = s.tree.get(s.highQc.blockRoot);
    if (parent === undefined) return null;
    if (s.highQc.round !== round - 1 && (s.lastTc === null || s.lastTc.round !== round - 1)) return null;
    return leaderOf(s, parent, round) === s.self ? parent : null;
  }

  maybePropose(): void {
    const s = this.s;
    const round = s.round;
    if (s.payloadRequestedRound >= round) return;
    const parent = this.parentToProposeOn();
    if (parent === null) return;
    const epochLength = s.opts.epochLengthRounds;
    if (epochLength > 0 && parent.summary.round >= epochLength) {
      // Past the epoch boundary: these blocks only certify it and are never committed.
      const payload = emptyPayload();
      this.propose(payload, payloadRootOf(payload), 0, new Uint8Array(32));
      return;
    }
    s.payloadRequestedRound = round;
    s.payloadParentRoot = parent.summary.root;
    s.out.push({
      type: "requestPayload",
      epoch: s.committee.epoch,
      round,
      parentRoot: parent.summary.root,
    });
  }

  onPayload(input: Extract<ConsensusInput, { type: "payload" }>): void {
    const s = this.s;
    if (
      input.epoch !== s.committee.epoch ||
      input.round !== s.round ||
      s.payloadRequestedRound !== input.round ||
      s.lastProposedRound >= input.round
    ) {
      s.drop("stale_payload", input, null);
      return;
    }
    const parent = this.parentToProposeOn();
    if (
      parent === null ||
      s.payloadParentRoot === null ||
      !bytesEqual(parent.summary.root, s.payloadParentRoot)
    ) {
      // The high QC moved while the payload was built (to a block not fetched yet, or to one
      // another validator leads on): this payload fits no proposal now. Ask again when it can.
      s.payloadRequestedRound = 0;
      s.drop("stale_payload", input, null, "parent changed while the payload was built");
      return;
    }
    if (
      input.stateRoot.length !== 32 ||
      !Number.isSafeInteger(input.stateBlockNumber) ||
      input.stateBlockNumber < 0
    ) {
      s.drop("invalid_block", input, null, "bad state root or block number");
      return;
    }
    let payloadRoot: Uint8Array;
    try {
      payloadRoot = payloadRootOf(input.payload);
    } catch (err) {
      s.drop("invalid_block", input, null, `payload: ${(err as Error).message}`);
      return;
    }
    this.propose(input.payload, payloadRoot, input.stateBlockNumber, input.stateRoot);
  }

  private propose(
    payload: MiniBlockPayload,
    payloadRoot: Uint8Array,
    stateBlockNumber: number,
    stateRoot: Uint8Array,
  ): void {
    const s = this.s;
    const self = s.self as number;
    const round = s.round;
    const qc = s.highQc;
    const justify = { qc, tc: qc.round === round - 1 || s.lastTc === null ? [] : [s.lastTc] };
    const header: BlockHeader = {
      epoch: s.committee.epoch,
      round,
      proposerIndex: self,
      parentRoot: qc.blockRoot,
      parentRound: qc.round,
      payloadRoot,
      stateBlockNumber,
      stateRoot,
      justifyRoot: Justification.hashTreeRoot(justify),
    };
    const root = BlockHeader.hashTreeRoot(header);
    const signature = (s.modules.signer as NonNullable<ConsensusModules["signer"]>).sign(
      signingRootFromMessageRoot("proposal", s.opts.chainId, header.epoch, root),
    );
    const block: Block = { header, signature, payload, justify };
    s.lastProposedRound = round;
    const parent = s.tree.get(qc.blockRoot) as TreeNode;
    const { placement } = placementAndLeader(s, parent, round);
    s.proposalSeen.observe(self, round, {
      rootHex: toHex(root),
      message: header,
      signature,
      verified: true,
    });
    s.tree.insert(summaryOf(root, header, placement), block, qc.blockRoot);
    const node = s.tree.get(root) as TreeNode;
    const broadcast: Effect = { type: "broadcast", message: { kind: "proposal", block } };
    const reserved = s.reservation;
    if (reserved !== null && reserved.round === round) {
      // This round was reserved (persisted) with this node's previous vote: a restart never
      // proposes in it again, so the proposal need not wait for the fsync of the vote below.
      this.p.writes.afterDurable(reserved.seq, () => s.out.push(broadcast));
      this.p.voter.maybeVote(node, block, null);
      return;
    }
    // Otherwise the proposal leaves together with (after the fsync of) the leader's own vote, so
    // that a crash cannot make this node propose twice in one round.
    this.p.voter.maybeVote(node, block, broadcast);
  }
}
