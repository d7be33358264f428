/** Checks the host-supplied configuration once, so the state machine can trust it. */
import { MAX_VALIDATORS } from "../types/index.ts";
import { ConsensusError } from "./errors.ts";
import type { ConsensusLimits, ConsensusModules, ConsensusOpts, ValidatorInfo } from "./types.ts";

export const DEFAULT_LIMITS: ConsensusLimits = {
  maxRoundsAhead: 100,
  maxBlocksInTree: 1024,
  maxEquivocationRecords: 65536,
  maxPendingRounds: 128,
  maxFetchBlocks: 256,
};

/** Null when the set is usable, else why not. */
export function validatorSetProblem(validators: readonly ValidatorInfo[]): string | null {
  if (validators.length === 0) return "empty validator set";
  if (validators.length > MAX_VALIDATORS) return `more than ${MAX_VALIDATORS} validators`;
  let total = 0n;
  for (let i = 0; i < validators.length; i++) {
    const v = validators[i];
    if (v.index !== i) return `validator at position ${i} has index ${v.index}`;
    if (v.votingPower < 0n) return `validator ${i} has negative voting power`;
    if (!(v.pubkey instanceof Uint8Array) || v.pubkey.length === 0) return `validator ${i} has no public key`;
    total += v.votingPower;
  }
  if (total === 0n) return "total voting power is zero";
  return null;
}

export function resolveLimits(opts: ConsensusOpts): ConsensusLimits {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isInteger(v) || v < 1)
      throw new ConsensusError("BAD_OPTION", `limits.${k} must be a positive integer`);
  }
  return limits;
}

export function validateOpts(opts: ConsensusOpts, modules: ConsensusModules): void {
  const problem = validatorSetProblem(opts.validators);
  if (problem !== null) throw new ConsensusError("BAD_VALIDATOR_SET", problem);
  if (
    opts.selfIndex !== null &&
    (!Number.isInteger(opts.selfIndex) || opts.selfIndex < 0 || opts.selfIndex >= opts.validators.length)
  ) {
    throw new ConsensusError("BAD_SELF_INDEX", `selfIndex ${opts.selfIndex} is not in the validator set`);
  }
  if (opts.selfIndex !== null && modules.signer === undefined) {
    throw new ConsensusError("MISSING_SIGNER", "a voting validator needs a signer module");
  }
  const t = opts.timing;
  if (!(t.baseTimeoutMs > 0) || !(t.backoffFactor >= 1) || !(t.maxTimeoutMs >= t.baseTimeoutMs)) {
    throw new ConsensusError(
      "BAD_TIMING",
      "timing needs baseTimeoutMs > 0, backoffFactor >= 1, maxTimeoutMs >= baseTimeoutMs",
    );
  }
  if (!Number.isInteger(opts.leaderTermRounds) || opts.leaderTermRounds < 1) {
    throw new ConsensusError("BAD_OPTION", "leaderTermRounds must be an integer >= 1");
  }
  if (!Number.isInteger(opts.reputationWindow) || opts.reputationWindow < 0) {
    throw new ConsensusError("BAD_OPTION", "reputationWindow must be an integer >= 0");
  }
  if (!Number.isInteger(opts.epochLengthRounds) || opts.epochLengthRounds < 0) {
    throw new ConsensusError("BAD_OPTION", "epochLengthRounds must be an integer >= 0");
  }
  if (
    !Number.isSafeInteger(opts.chainId) ||
    opts.chainId < 0 ||
    !Number.isSafeInteger(opts.epoch) ||
    opts.epoch < 0
  ) {
    throw new ConsensusError("BAD_OPTION", "chainId and epoch must be non-negative integers");
  }
}
