import { BaseError, decodeErrorResult, formatUnits, type Hex } from "viem";
import { CodedError } from "../util/coded-error.ts";
import { ALL_ERRORS_ABI } from "./artifacts.ts";

/** A transaction or call the contracts refused, with the custom error decoded and explained. */
export class L1RevertError extends CodedError<"L1_REVERT"> {
  readonly errorName: string;
  readonly args: readonly unknown[];

  constructor(errorName: string, args: readonly unknown[], explanation: string) {
    super("L1_REVERT", explanation, { errorName, args: args.map(String) });
    this.errorName = errorName;
    this.args = args;
  }
}

const mega = (v: unknown): string => `${formatUnits(BigInt(v as bigint), 18)} MEGA`;

/** Words for the errors people meet; anything else is shown as Name(args). */
const EXPLAIN: Record<string, (args: readonly unknown[]) => string> = {
  NotGovernance: () => "only governance (the timelock) may do this",
  NotSlasher: () => "only the Slashing contract may slash",
  AlreadyRegistered: (a) => `${a[0]} is already registered as a validator`,
  NotRegistered: (a) => `${a[0]} is not a registered validator`,
  PubkeyTaken: () => "this BLS public key is already registered by another validator",
  BadPubkeyLength: (a) => `the BLS public key must be 128 bytes (EIP-2537 G1), got ${a[0]}`,
  BadSignatureLength: (a) => `the BLS signature must be 256 bytes (EIP-2537 G2), got ${a[0]}`,
  PubkeyIsInfinity: () => "the BLS public key is the point at infinity",
  InvalidProofOfPossession: () =>
    "the proof of possession does not verify (wrong key, wrong sender, chain or contract, or a bad signature)",
  TooManyCandidates: () => "the candidate list is full",
  CommissionTooHigh: (a) => `commission ${a[0]} bps is above the maximum ${a[1]} bps`,
  CommissionChangeTooLarge: (a) =>
    `commission may move by at most 500 bps at a time (from ${a[0]} to ${a[1]})`,
  CommissionChangedThisEpoch: () => "commission was already changed this epoch; wait for the next one",
  SelfStakeTooLow: (a) => `self-stake would be ${mega(a[0])}, below the minimum ${mega(a[1])}`,
  ZeroAmount: () => "the amount is zero (or rounds to zero shares)",
  ValidatorNotAcceptingStake: (a) => `validator ${a[0]} has exited or is tombstoned and takes no new stake`,
  SlippageExceeded: (a) => `share price moved: ${a[0]} shares against your bound of ${a[1]}`,
  InsufficientShares: (a) => `not enough stake: ${a[0]} shares needed, ${a[1]} held`,
  TooManyUnbondingEntries: () => "too many pending unbonding entries (16); withdraw matured ones first",
  NothingToWithdraw: () => "nothing to withdraw: no unbonding entry has reached its unlock time",
  NothingToClaim: () => "no rewards to claim",
  NotJailed: () => "the validator is not jailed",
  StillJailed: (a) => `still jailed until ${new Date(Number(a[0]) * 1000).toISOString()}`,
  Tombstoned: (a) => `validator ${a[0]} is tombstoned (slashed for double signing)`,
  AlreadyExited: () => "the validator has already exited",
  BadParameter: (a) => `bad value ${a[1]} for parameter ${a[0]}`,
  EpochNotStarted: (a) => `epoch ${a[0]} has not started`,
  UnknownKind: (a) => `unknown message kind ${a[0]} (1 proposal, 2 vote, 3 timeout)`,
  BadMessageLength: (a) => `message is ${a[0]} bytes, expected ${a[1]}`,
  DifferentEpochs: (a) => `the two messages are for different epochs (${a[0]} vs ${a[1]})`,
  DifferentRounds: (a) => `the two messages are for different rounds (${a[0]} vs ${a[1]})`,
  IdenticalMessages: () => "the two messages are identical: that is not equivocation",
  WrongProposer: (a) => `the header's proposer index ${a[0]} is not the accused validator ${a[1]}`,
  EvidenceFromFuture: (a) => `epoch ${a[0]} has not started`,
  NotInSet: (a) => `no validator at index ${a[1]} in epoch ${a[0]}'s set`,
  StaleEvidence: (a) => `evidence about epoch ${a[0]} is too old (deadline ${a[1]})`,
  InvalidSignature: (a) => `signature ${a[0] === 0 ? "A" : "B"} does not verify under the validator's key`,
  AlreadySlashed: () => "this offence has already been slashed",
  ERC20InsufficientBalance: (a) => `balance too low: have ${mega(a[1])}, need ${mega(a[2])}`,
  ERC20InsufficientAllowance: (a) => `allowance too low: have ${mega(a[1])}, need ${mega(a[2])}`,
  GovernorUnexpectedProposalState: (a) => `the proposal is in the wrong state for this (state ${a[1]})`,
  GovernorAlreadyCastVote: (a) => `${a[0]} has already voted on this proposal`,
  GovernorNonexistentProposal: (a) => `no proposal ${a[0]}`,
  TimelockUnexpectedOperationState: () => "the timelock operation is not ready (delay not passed?)",
  TimelockUnauthorizedCaller: (a) => `${a[0]} may not call the timelock directly`,
};

/** Finds the revert data inside a viem error (or any error whose cause chain carries it). */
export function revertData(error: unknown): Hex | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 10 && current; depth++) {
    if (typeof current === "object" && current !== null) {
      const raw = (current as { raw?: unknown }).raw;
      if (typeof raw === "string" && raw.startsWith("0x") && raw.length >= 10) return raw as Hex;
      const data = (current as { data?: unknown }).data;
      if (typeof data === "string" && data.startsWith("0x") && data.length >= 10) return data as Hex;
      current = (current as { cause?: unknown }).cause;
    } else {
      break;
    }
  }
  return undefined;
}

/** Decoded custom error of a revert, if the error carries one the suite's ABIs know. */
export function decodeRevert(error: unknown): { errorName: string; args: readonly unknown[] } | undefined {
  const data = revertData(error);
  if (!data) return undefined;
  try {
    const decoded = decodeErrorResult({ abi: ALL_ERRORS_ABI, data });
    return { errorName: decoded.errorName, args: decoded.args ?? [] };
  } catch {
    try {
      // Error(string) and Panic(uint256) are built into viem's decoder.
      const decoded = decodeErrorResult({ abi: [], data });
      return { errorName: decoded.errorName, args: decoded.args ?? [] };
    } catch {
      return undefined;
    }
  }
}

/** Turns a failed call into an L1RevertError with words when it is a revert; rethrows otherwise. */
export function explainRevert(error: unknown): never {
  const decoded = decodeRevert(error);
  if (decoded) {
    const explain = EXPLAIN[decoded.errorName];
    const words = explain
      ? explain(decoded.args)
      : `${decoded.errorName}(${decoded.args.map((a) => String(a)).join(", ")})`;
    throw new L1RevertError(decoded.errorName, decoded.args, `reverted: ${words} [${decoded.errorName}]`);
  }
  if (error instanceof BaseError) {
    throw new L1RevertError("Unknown", [], `L1 call failed: ${error.shortMessage}`);
  }
  throw error;
}
