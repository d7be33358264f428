/**
 * Leader schedule: a stake-weighted round robin over the epoch's validators (smooth weighted
 * round robin, so a validator with twice the power leads twice as often, spread out), cut into
 * slots; one slot is a leader TERM of up to K rounds. A term ends after K rounds or at a
 * timeout: a proposal justified by a TC starts a new term in the next slot(s).
 *
 * Everything here is a function of the proposal's certified parent and round, so every node that
 * evaluates a proposal computes the same leader. Reputation: leaders of slots that were skipped by
 * a timeout inside the last W ancestors of the proposal's parent are passed over.
 */
import type { BlockSummary, ValidatorInfo } from "./types.ts";

/** Rotation length is capped so that huge stakes do not make a huge table. */
export const MAX_ROTATION_LENGTH = 4096;

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** The stake-weighted rotation: rotation[s mod L] is the base leader of slot s. */
export function buildRotation(validators: readonly ValidatorInfo[]): number[] {
  const active = validators.filter((v) => v.votingPower > 0n);
  if (active.length === 0) return [];
  let g = 0n;
  for (const v of active) g = gcd(v.votingPower, g);
  let weights = active.map((v) => v.votingPower / g);
  let total = weights.reduce((a, b) => a + b, 0n);
  const cap = BigInt(Math.max(MAX_ROTATION_LENGTH, active.length));
  if (total > cap) {
    // Scale down, keeping every active validator in the rotation at least once.
    weights = weights.map((w) => {
      const scaled = (w * cap) / total;
      return scaled > 0n ? scaled : 1n;
    });
    total = weights.reduce((a, b) => a + b, 0n);
  }
  const current = weights.map(() => 0n);
  const rotation: number[] = [];
  for (let n = 0n; n < total; n++) {
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      current[i] += weights[i];
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    rotation.push(active[best].index);
  }
  return rotation;
}

export interface TermPlacement {
  slot: number;
  termStart: number;
  /** Slots [failedFrom, failedTo) were skipped by the timeout(s) this proposal follows. */
  failedFrom: number;
  failedTo: number;
}

/** The slot of round parent.round + 1 if it is justified by the parent's QC. */
function slotAfter(parent: BlockSummary, termRounds: number): { slot: number; termStart: number } {
  const round = parent.round + 1;
  if (round - parent.termStart < termRounds) return { slot: parent.slot, termStart: parent.termStart };
  return { slot: parent.slot + 1, termStart: round };
}

/**
 * Where a proposal of `round` whose certified parent is `parent` sits in the schedule.
 * QC-justified (round == parent.round + 1): same term while it lasts K rounds, else the next slot.
 * TC-justified: rounds parent.round+1 .. round-1 failed, one slot each; a new term starts now.
 */
export function placeTerm(parent: BlockSummary, round: number, termRounds: number): TermPlacement {
  const next = slotAfter(parent, termRounds);
  if (round === parent.round + 1) {
    return { slot: next.slot, termStart: next.termStart, failedFrom: 0, failedTo: 0 };
  }
  const skipped = round - parent.round - 1;
  return {
    slot: next.slot + skipped,
    termStart: round,
    failedFrom: next.slot,
    failedTo: next.slot + skipped,
  };
}

export interface ScheduleOpts {
  rotation: readonly number[];
  termRounds: number;
  reputationWindow: number;
}

/**
 * Leader of the slot in `placement`, given the ancestors (newest first, starting at the parent).
 * A leader that failed in the window (including the failures this very placement records) is
 * skipped in favour of the next rotation entry that did not.
 */
export function leaderFor(
  opts: ScheduleOpts,
  placement: TermPlacement,
  ancestorsNewestFirst: readonly BlockSummary[],
): number {
  const { rotation } = opts;
  const len = rotation.length;
  const base = rotation[placement.slot % len];
  if (opts.reputationWindow <= 0) return base;
  const failed = new Set<number>();
  const addRange = (from: number, to: number): void => {
    for (let s = from; s < to && s - from < len; s++) failed.add(rotation[s % len]);
  };
  addRange(placement.failedFrom, placement.failedTo);
  for (let i = 0; i < ancestorsNewestFirst.length && i < opts.reputationWindow; i++) {
    const a = ancestorsNewestFirst[i];
    addRange(a.failedFrom, a.failedTo);
  }
  if (failed.size === 0) return base;
  for (let j = 0; j < len; j++) {
    const candidate = rotation[(placement.slot + j) % len];
    if (!failed.has(candidate)) return candidate;
  }
  return base;
}
