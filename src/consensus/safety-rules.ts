/**
 * Jolteon's 2-chain safety rules (as in DiemBFT-v4 / Aptos safety_rules_2chain), written as pure
 * checks over SafetyData. The core updates the data; these only decide.
 *
 * vote for block B at round r, justified by QC(qc) and maybe TC(r-1):
 *   r > lastVotedRound, and
 *   r == qc.round + 1  OR  (r == tc.round + 1 AND qc.round >= max(tc.highQcRounds))
 *   (the lock: qc.round >= oneChainRound is implied by the first for honest QCs; checked anyway)
 * timeout for round r with highQc round h:
 *   r >= lastVotedRound (a timeout after voting in r is allowed), h >= oneChainRound, and
 *   r == h + 1 OR r == lastTcRound + 1
 * quorum: signed power * 3 > total power * 2.
 */
import type { SafetyData, SafetyRules, TimeoutCandidate, VoteCandidate } from "./types.ts";

export class JolteonSafetyRules implements SafetyRules {
  readonly name: string = "jolteon-2chain";

  checkVote(data: SafetyData, c: VoteCandidate): string | null {
    if (c.epoch !== data.epoch) return "epoch_mismatch";
    if (c.round <= data.lastVotedRound) return "round_not_above_last_voted";
    if (c.qcRound < data.oneChainRound) return "qc_below_lock";
    if (c.round === c.qcRound + 1) return null;
    if (c.tc !== null && c.round === c.tc.round + 1 && c.qcRound >= c.tc.maxHighQcRound) return null;
    return "not_safe_to_vote";
  }

  checkTimeout(data: SafetyData, c: TimeoutCandidate): string | null {
    if (c.epoch !== data.epoch) return "epoch_mismatch";
    if (c.round < data.lastVotedRound) return "round_below_last_voted";
    if (c.highQcRound < data.oneChainRound) return "qc_below_lock";
    if (c.round === c.highQcRound + 1 || c.round === c.lastTcRound + 1) return null;
    return "not_safe_to_timeout";
  }

  isQuorum(signedPower: bigint, totalPower: bigint): boolean {
    return signedPower * 3n > totalPower * 2n;
  }
}

export function initialSafetyData(epoch: number): SafetyData {
  return {
    epoch,
    lastVotedRound: 0,
    oneChainRound: 0,
    highestTimeoutRound: 0,
    lastVote: null,
    lastTimeout: null,
    proposalReservedRound: 0,
  };
}

/**
 * The round of the timeout a restored safety record holds: it is durable, so it may be sent
 * again (and counted) after a restart; a restarted node that only kept it to itself would leave
 * the round without the TC it may be the last signer of.
 */
export function durableTimeoutRound(safety: SafetyData): number {
  const last = safety.lastTimeout;
  return last !== null && last.timeout.epoch === safety.epoch ? last.timeout.round : 0;
}
