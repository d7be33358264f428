import { writeFileSync } from "node:fs";
import { type Account, type Address, type Hex, parseUnits, zeroAddress } from "viem";
import { CodedError } from "../util/coded-error.ts";
import {
  BYTECODE,
  MegaGovernorAbi,
  MegaTimelockAbi,
  MegaTokenAbi,
  SlashingAbi,
  StakingManagerAbi,
} from "./artifacts.ts";
import { connectL1, type L1Clients } from "./clients.ts";
import { explainRevert } from "./revert.ts";

export class DeployError extends CodedError<"NO_ACCOUNT" | "DEPLOY_FAILED" | "BAD_PARAMS"> {}

/** StakingManager parameters (all changeable later by the timelock only). */
export interface StakingParams {
  /** Seconds from undelegate to withdraw. */
  unbondingPeriod: bigint;
  /** Minimum self-stake of a validator, in MEGA wei. */
  minSelfStake: bigint;
  /** Size of the active set. */
  maxValidators: bigint;
  /** Fraction of stake a double-sign slash takes, in basis points. */
  slashFractionBps: bigint;
  /** Share of a slash paid to the reporter, in basis points. */
  reporterRewardBps: bigint;
  /** MEGA wei paid from the reserve per epoch. */
  rewardPerEpoch: bigint;
  /** L1 blocks per epoch. */
  epochLength: bigint;
  /** Seconds after an epoch starts during which double-sign evidence about it is accepted. */
  evidenceWindow: bigint;
}

export interface GovernanceParams {
  votingDelayBlocks: number;
  votingPeriodBlocks: number;
  quorumPercent: number;
  timelockDelaySeconds: bigint;
}

export interface DeployOptions {
  /** Consensus (L2) chain id that the signing domains commit to. */
  l2ChainId?: bigint;
  /** Total MEGA supply in wei, minted to the deployer. */
  supply?: bigint;
  /** MEGA wei moved from the deployer into the reward reserve. */
  rewardReserve?: bigint;
  staking?: Partial<StakingParams>;
  governance?: Partial<GovernanceParams>;
  /** Called before each step (deployments take a few seconds on a real chain). */
  onProgress?: (step: string) => void;
}

export interface Deployment {
  chainId: number;
  l2ChainId: string;
  deployer: Address;
  blockNumber: string;
  contracts: {
    MegaToken: Address;
    StakingManager: Address;
    Slashing: Address;
    Governor: Address;
    Timelock: Address;
  };
}

export const DEFAULT_L2_CHAIN_ID = 4242n;

export const DEFAULT_STAKING_PARAMS: StakingParams = {
  unbondingPeriod: 7n * 24n * 3600n,
  minSelfStake: parseUnits("1000", 18),
  maxValidators: 21n,
  slashFractionBps: 500n,
  reporterRewardBps: 1000n,
  rewardPerEpoch: parseUnits("100", 18),
  epochLength: 32n,
  evidenceWindow: 3n * 24n * 3600n,
};

export const DEFAULT_GOVERNANCE_PARAMS: GovernanceParams = {
  votingDelayBlocks: 1,
  votingPeriodBlocks: 50,
  quorumPercent: 4,
  timelockDelaySeconds: 3600n,
};

export const DEFAULT_SUPPLY = parseUnits("1000000000", 18);

/**
 * Deploys MegaToken, MegaTimelock, StakingManager, Slashing and MegaGovernor, then wires them:
 * the Slashing contract becomes the StakingManager's slasher, the Governor becomes the timelock's
 * proposer and canceller, anyone may execute, and the deployer gives up the timelock admin role,
 * so that from then on only proposals passed by MEGA holders change parameters.
 */
export async function deploySuite(l1: L1Clients, opts: DeployOptions = {}): Promise<Deployment> {
  const wallet = l1.walletClient;
  if (!wallet) throw new DeployError("NO_ACCOUNT", "deploying needs an account (a key file)");
  const account = wallet.account;
  const staking = { ...DEFAULT_STAKING_PARAMS, ...opts.staking };
  const gov = { ...DEFAULT_GOVERNANCE_PARAMS, ...opts.governance };
  const supply = opts.supply ?? DEFAULT_SUPPLY;
  const l2ChainId = opts.l2ChainId ?? DEFAULT_L2_CHAIN_ID;
  if (staking.evidenceWindow >= staking.unbondingPeriod) {
    throw new DeployError("BAD_PARAMS", "the evidence window must be shorter than the unbonding period");
  }
  if ((opts.rewardReserve ?? 0n) > supply)
    throw new DeployError("BAD_PARAMS", "reward reserve exceeds the supply");

  const pc = l1.publicClient;
  const deployed = async (hash: Hex, what: string): Promise<Address> => {
    opts.onProgress?.(`deployed ${what}`);
    const receipt = await pc.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success" || !receipt.contractAddress) {
      throw new DeployError("DEPLOY_FAILED", `deploying ${what} failed (tx ${hash})`);
    }
    return receipt.contractAddress;
  };
  const mined = async (hash: Hex, what: string): Promise<void> => {
    opts.onProgress?.(what);
    const receipt = await pc.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new DeployError("DEPLOY_FAILED", `${what} failed (tx ${hash})`);
  };

  try {
    const token = await deployed(
      await wallet.deployContract({
        abi: MegaTokenAbi,
        bytecode: BYTECODE.MegaToken,
        args: [account.address, supply],
      }),
      "MegaToken",
    );
    const timelock = await deployed(
      await wallet.deployContract({
        abi: MegaTimelockAbi,
        bytecode: BYTECODE.MegaTimelock,
        args: [gov.timelockDelaySeconds, [], [zeroAddress], account.address],
      }),
      "MegaTimelock",
    );
    const stakingManager = await deployed(
      await wallet.deployContract({
        abi: StakingManagerAbi,
        bytecode: BYTECODE.StakingManager,
        args: [token, timelock, staking],
      }),
      "StakingManager",
    );
    const slashing = await deployed(
      await wallet.deployContract({
        abi: SlashingAbi,
        bytecode: BYTECODE.Slashing,
        args: [stakingManager, l2ChainId],
      }),
      "Slashing",
    );
    const governor = await deployed(
      await wallet.deployContract({
        abi: MegaGovernorAbi,
        bytecode: BYTECODE.MegaGovernor,
        args: [
          token,
          timelock,
          stakingManager,
          gov.votingDelayBlocks,
          gov.votingPeriodBlocks,
          BigInt(gov.quorumPercent),
        ],
      }),
      "MegaGovernor",
    );

    await mined(
      await wallet.writeContract({
        address: stakingManager,
        abi: StakingManagerAbi,
        functionName: "setSlasher",
        args: [slashing],
      }),
      "setSlasher",
    );
    const [proposer, canceller, admin] = await Promise.all(
      (["PROPOSER_ROLE", "CANCELLER_ROLE", "DEFAULT_ADMIN_ROLE"] as const).map((name) =>
        pc.readContract({ address: timelock, abi: MegaTimelockAbi, functionName: name }),
      ),
    );
    for (const role of [proposer, canceller]) {
      await mined(
        await wallet.writeContract({
          address: timelock,
          abi: MegaTimelockAbi,
          functionName: "grantRole",
          args: [role, governor],
        }),
        "timelock grantRole",
      );
    }
    await mined(
      await wallet.writeContract({
        address: timelock,
        abi: MegaTimelockAbi,
        functionName: "renounceRole",
        args: [admin, account.address],
      }),
      "timelock renounceRole",
    );
    if (opts.rewardReserve && opts.rewardReserve > 0n) {
      await mined(
        await wallet.writeContract({
          address: token,
          abi: MegaTokenAbi,
          functionName: "approve",
          args: [stakingManager, opts.rewardReserve],
        }),
        "approve reserve",
      );
      await mined(
        await wallet.writeContract({
          address: stakingManager,
          abi: StakingManagerAbi,
          functionName: "fundRewards",
          args: [opts.rewardReserve],
        }),
        "fundRewards",
      );
    }
    const blockNumber = await pc.getBlockNumber();
    return {
      chainId: l1.chain.id,
      l2ChainId: l2ChainId.toString(),
      deployer: account.address,
      blockNumber: blockNumber.toString(),
      contracts: {
        MegaToken: token,
        StakingManager: stakingManager,
        Slashing: slashing,
        Governor: governor,
        Timelock: timelock,
      },
    };
  } catch (error) {
    if (error instanceof DeployError) throw error;
    return explainRevert(error);
  }
}

/** Connects to `rpcUrl` with `account`, deploys, and writes the deployment JSON when `out` is set. */
export async function deployToRpc(
  rpcUrl: string,
  account: Account,
  opts: DeployOptions & { out?: string } = {},
): Promise<Deployment> {
  const l1 = await connectL1(rpcUrl, account);
  const deployment = await deploySuite(l1, opts);
  if (opts.out) writeFileSync(opts.out, `${JSON.stringify(deployment, null, 2)}\n`);
  return deployment;
}
