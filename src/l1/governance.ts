import {
  type Address,
  type Chain,
  encodeFunctionData,
  getAddress,
  type Hex,
  keccak256,
  type PublicClient,
  parseAbiItem,
  type Transport,
  toBytes,
} from "viem";
import { CodedError } from "../util/coded-error.ts";
import { StakingManagerAbi } from "./artifacts.ts";

export class GovernanceError extends CodedError<"UNKNOWN_PARAMETER" | "BAD_VALUE" | "UNKNOWN_PROPOSAL"> {}

/** Governable StakingManager parameters and the setter the timelock calls for each. */
export const PARAMETER_SETTERS = {
  unbondingPeriod: "setUnbondingPeriod",
  minSelfStake: "setMinSelfStake",
  maxValidators: "setMaxValidators",
  slashFractionBps: "setSlashFraction",
  reporterRewardBps: "setReporterReward",
  rewardPerEpoch: "setRewardPerEpoch",
  epochLength: "setEpochLength",
  evidenceWindow: "setEvidenceWindow",
} as const;
export type GovernableParameter = keyof typeof PARAMETER_SETTERS;

export const PROPOSAL_STATES = [
  "Pending",
  "Active",
  "Canceled",
  "Defeated",
  "Succeeded",
  "Queued",
  "Expired",
  "Executed",
] as const;

export interface ProposalActions {
  targets: Address[];
  values: bigint[];
  calldatas: Hex[];
  description: string;
}

/** The call a proposal makes to change one StakingManager parameter. */
export function parameterChange(
  staking: Address,
  parameter: string,
  value: bigint,
  description: string,
): ProposalActions {
  if (!(parameter in PARAMETER_SETTERS)) {
    throw new GovernanceError(
      "UNKNOWN_PARAMETER",
      `unknown parameter "${parameter}"; one of: ${Object.keys(PARAMETER_SETTERS).join(", ")}`,
    );
  }
  if (value < 0n) throw new GovernanceError("BAD_VALUE", "a parameter value cannot be negative");
  const functionName = PARAMETER_SETTERS[parameter as GovernableParameter];
  return {
    targets: [getAddress(staking)],
    values: [0n],
    calldatas: [encodeFunctionData({ abi: StakingManagerAbi, functionName, args: [value] })],
    description,
  };
}

export function descriptionHash(description: string): Hex {
  return keccak256(toBytes(description));
}

const PROPOSAL_CREATED = parseAbiItem(
  "event ProposalCreated(uint256 proposalId, address proposer, address[] targets, uint256[] values, string[] signatures, bytes[] calldatas, uint256 voteStart, uint256 voteEnd, string description)",
);

/** Reads a proposal's actions back from its ProposalCreated event (queue and execute need them). */
export async function proposalActions(
  pc: PublicClient<Transport, Chain>,
  governor: Address,
  proposalId: bigint,
): Promise<ProposalActions> {
  const logs = await pc.getLogs({
    address: governor,
    event: PROPOSAL_CREATED,
    fromBlock: 0n,
    toBlock: "latest",
  });
  const log = logs.find((l) => l.args.proposalId === proposalId);
  if (!log?.args.targets || !log.args.values || !log.args.calldatas || log.args.description === undefined) {
    throw new GovernanceError("UNKNOWN_PROPOSAL", `no proposal ${proposalId} on governor ${governor}`);
  }
  return {
    targets: log.args.targets.map((t) => getAddress(t)),
    values: [...log.args.values],
    calldatas: [...log.args.calldatas],
    description: log.args.description,
  };
}
