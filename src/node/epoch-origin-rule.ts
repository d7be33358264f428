import type { L1Origin } from "./epoch-l1-view.ts";

/**
 * The L1 origin rule for mini-blocks (docs/operator.md, "Epochs from L1"):
 *
 * - A leader stamps its proposal with the latest confirmed L1 block it knows, or with its
 *   parent's origin when that is not older (never backwards).
 * - A voter accepts an origin that equals its parent's (same number and hash: nothing new is
 *   claimed), or that is higher and is a confirmed block the voter itself knows with that hash.
 * - An origin going backwards, or naming a confirmed height with another hash, is invalid.
 * - An origin higher than the voter's own confirmed block is "not yet": the voter's L1 view may
 *   just be a poll behind the leader's. It is neither voted for nor refused for good: the node
 *   holds the proposal for a bounded grace and re-delivers it once its view has caught up (or
 *   drops it when the grace runs out, and the round times out as for a bad leader). A voter
 *   never votes for a block it has not itself seen confirmed, so a quorum certificate on a
 *   mini-block implies that more than 2/3 of the stake saw its origin confirmed on L1.
 */
export type OriginVerdict =
  | { kind: "ok" }
  | { kind: "invalid"; reason: string }
  | { kind: "unknown"; reason: string; fetch: boolean };

export interface KnownL1 {
  /** The latest confirmed block this node knows (undefined before its first L1 poll). */
  latest(): L1Origin | undefined;
  hashOf(n: number): Uint8Array | undefined;
}

export function judgeOrigin(origin: L1Origin, parent: L1Origin, known: KnownL1): OriginVerdict {
  if (origin.number < parent.number) {
    return {
      kind: "invalid",
      reason: `L1 origin ${origin.number} goes back from the parent's ${parent.number}`,
    };
  }
  if (origin.number === parent.number) {
    return sameBytes(origin.hash, parent.hash)
      ? { kind: "ok" }
      : { kind: "invalid", reason: `L1 origin ${origin.number} has another hash than the parent's` };
  }
  const hash = known.hashOf(origin.number);
  if (hash !== undefined) {
    return sameBytes(hash, origin.hash)
      ? { kind: "ok" }
      : {
          kind: "invalid",
          reason: `L1 origin ${origin.number} is not the confirmed L1 block at that height`,
        };
  }
  const latest = known.latest();
  if (latest === undefined || origin.number > latest.number) {
    return { kind: "unknown", reason: `L1 block ${origin.number} is not confirmed here yet`, fetch: false };
  }
  return {
    kind: "unknown",
    reason: `L1 block ${origin.number} is confirmed but its hash is not held`,
    fetch: true,
  };
}

/** What a leader stamps: its latest confirmed block, unless the parent's origin is not older. */
export function stampOrigin(parent: L1Origin, latest: L1Origin | undefined): L1Origin {
  if (latest === undefined || latest.number <= parent.number) return parent;
  return latest;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}
