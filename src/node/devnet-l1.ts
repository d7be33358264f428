import { type Address, type Hex, numberToHex, parseEther, parseUnits } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { g1ToEip2537, keccak256 } from "../crypto/index.ts";
import { MegaTokenAbi, StakingManagerAbi } from "../l1/artifacts.ts";
import { connectL1, type L1Clients } from "../l1/clients.ts";
import type { Deployment } from "../l1/deploy.ts";
import { loadBlsSecret } from "../l1/keys.ts";
import { type OperatorContext, sendTx } from "../l1/operator.ts";
import { registrationKey } from "../l1/pop.ts";
import { ensureAllowance } from "../l1/staking-ops.ts";
import { CodedError } from "../util/coded-error.ts";
import type { GenesisJson } from "./genesis.ts";
import type { LocalValidator } from "./local-network.ts";

export class DevnetL1Error extends CodedError<"SET_MISMATCH" | "TX_REVERTED"> {}

/** Self-stake each devnet validator bonds (MEGA). */
export const DEVNET_SELF_STAKE = parseUnits("10000", 18);

/**
 * A deterministic development key from a label: devnet operators and test accounts are
 * reproducible across runs (so `--keep` and docs can name them), and worthless by construction.
 */
export function devKey(label: string): Hex {
  const bytes = keccak256(new TextEncoder().encode(`megaseq-devnet/${label}`));
  return `0x${Buffer.from(bytes).toString("hex")}`;
}

export function operatorKey(index: number): Hex {
  return devKey(`operator/${index}`);
}

export function operatorAddress(index: number): Address {
  return privateKeyToAccount(operatorKey(index)).address;
}

async function anvilRpc(l1: L1Clients, method: string, params: unknown[]): Promise<void> {
  const request = l1.publicClient.request as unknown as (args: {
    method: string;
    params: unknown[];
  }) => Promise<unknown>;
  await request({ method, params });
}

export interface ValidatorSetEntry {
  address: Address;
  blsPubkey128: Hex;
  votingPower: bigint;
}

export interface RegisteredSet {
  epoch: bigint;
  anchorBlock: bigint;
  set: ValidatorSetEntry[];
}

/**
 * Registers and stakes every local validator on L1 exactly as an operator would with
 * `megaseq validator register` (BLS key, proof of possession, self-stake), after the deployer
 * gives each operator gas money and MEGA. Then crosses an epoch boundary and reads the frozen
 * set back from StakingManager.validatorSet(epoch): that set, not our local list, is the truth.
 */
export async function registerValidators(
  rpcUrl: string,
  deployerKey: Hex,
  deployment: Deployment,
  validators: LocalValidator[],
  progress: (step: string) => void,
): Promise<RegisteredSet> {
  const deployer = await connectL1(rpcUrl, privateKeyToAccount(deployerKey));
  const contracts = deployment.contracts;
  const deployerCtx: OperatorContext = { l1: deployer, contracts, account: deployer.walletClient?.account };
  for (const v of validators) {
    await registerValidator(rpcUrl, deployerKey, deployment, v);
    progress(`registered validator ${v.index} (${operatorAddress(v.index)}) with 10000 MEGA self-stake`);
  }
  // Freeze the set: mine to the next epoch boundary and cross it on chain.
  const pc = deployer.publicClient;
  const epochLength = await pc.readContract({
    address: contracts.StakingManager,
    abi: StakingManagerAbi,
    functionName: "epochLength",
  });
  await anvilRpc(deployer, "anvil_mine", [numberToHex(epochLength as bigint)]);
  await sendTx(deployerCtx, {
    address: contracts.StakingManager,
    abi: StakingManagerAbi,
    functionName: "advanceEpoch",
    args: [],
  });
  const epoch = await pc.readContract({
    address: contracts.StakingManager,
    abi: StakingManagerAbi,
    functionName: "currentEpoch",
  });
  const [addresses, pubkeys, powers] = await pc.readContract({
    address: contracts.StakingManager,
    abi: StakingManagerAbi,
    functionName: "validatorSet",
    args: [epoch],
  });
  const set = addresses.map((address, i) => ({
    address,
    blsPubkey128: pubkeys[i],
    votingPower: powers[i],
  }));
  if (set.length !== validators.length) {
    throw new DevnetL1Error(
      "SET_MISMATCH",
      `StakingManager's set for epoch ${epoch} has ${set.length} validators, expected ${validators.length}`,
    );
  }
  progress(`epoch ${epoch} validator set read back from StakingManager: ${set.length} validators`);
  return { epoch, anchorBlock: await pc.getBlockNumber(), set };
}

/**
 * Gives a local validator's operator gas money and DEVNET_SELF_STAKE MEGA, and approves the
 * StakingManager to take it: what an operator has before `megaseq validator register`.
 */
export async function fundOperator(
  rpcUrl: string,
  deployerKey: Hex,
  deployment: Deployment,
  v: LocalValidator,
): Promise<void> {
  const deployer = await connectL1(rpcUrl, privateKeyToAccount(deployerKey));
  const contracts = deployment.contracts;
  const deployerCtx: OperatorContext = { l1: deployer, contracts, account: deployer.walletClient?.account };
  const account = privateKeyToAccount(operatorKey(v.index));
  await anvilRpc(deployer, "anvil_setBalance", [account.address, numberToHex(parseEther("100"))]);
  await sendTx(deployerCtx, {
    address: contracts.MegaToken,
    abi: MegaTokenAbi,
    functionName: "transfer",
    args: [account.address, DEVNET_SELF_STAKE],
  });
  const l1 = await connectL1(rpcUrl, account);
  await ensureAllowance({ l1, contracts, account }, DEVNET_SELF_STAKE);
}

/**
 * Registers a funded operator's validator on L1 as `megaseq validator register` does: its BLS key
 * with the proof of possession, bonding DEVNET_SELF_STAKE. It joins the set at the next L1 epoch.
 */
export async function registerFunded(
  rpcUrl: string,
  deployment: Deployment,
  v: LocalValidator,
): Promise<void> {
  const contracts = deployment.contracts;
  const account = privateKeyToAccount(operatorKey(v.index));
  const l1 = await connectL1(rpcUrl, account);
  const secret = await loadBlsSecret(v.keystoreFile, v.passwordFile);
  const key = registrationKey(secret, l1.chain.id, contracts.StakingManager, account.address);
  const { request } = await l1.publicClient.simulateContract({
    address: contracts.StakingManager,
    abi: StakingManagerAbi,
    functionName: "registerValidator",
    args: [key.pubkey, key.pop, 1000n, DEVNET_SELF_STAKE, 0n],
    account,
  });
  // A fixed, generous gas limit: under interval mining the transaction may land in the block
  // that crosses an L1 epoch boundary, which also pays for freezing the set (more than estimated).
  const hash = await (l1.walletClient as NonNullable<typeof l1.walletClient>).writeContract({
    ...request,
    gas: 3_000_000n,
  });
  const receipt = await l1.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") {
    throw new DevnetL1Error("TX_REVERTED", `registerValidator ${hash} reverted on chain`);
  }
}

/** Funds and registers one local validator on L1 (fundOperator, then registerFunded). */
export async function registerValidator(
  rpcUrl: string,
  deployerKey: Hex,
  deployment: Deployment,
  v: LocalValidator,
): Promise<void> {
  await fundOperator(rpcUrl, deployerKey, deployment, v);
  await registerFunded(rpcUrl, deployment, v);
}

/** The EIP-2537 (128-byte) form of a local validator's compressed BLS public key. */
export function pubkey128Of(v: LocalValidator): Hex {
  return `0x${Buffer.from(g1ToEip2537(Buffer.from(v.blsPubkey.slice(2), "hex"))).toString("hex")}`;
}

/**
 * The genesis validator list of a set read from StakingManager: each entry's address and stake
 * from L1, its BLS key and peer from the local validator holding that key.
 */
export function genesisValidatorsOf(
  set: readonly ValidatorSetEntry[],
  local: readonly LocalValidator[],
): GenesisJson["validators"] {
  const byPubkey = new Map(local.map((v) => [pubkey128Of(v).toLowerCase(), v]));
  return set.map((entry) => {
    const v = byPubkey.get(entry.blsPubkey128.toLowerCase());
    if (!v) {
      throw new DevnetL1Error("SET_MISMATCH", `StakingManager lists a BLS key no local validator holds`);
    }
    return {
      address: entry.address,
      blsPubkey: v.blsPubkey,
      votingPower: entry.votingPower.toString(),
      peerId: v.peerId,
      multiaddr: v.multiaddr,
    };
  });
}

/**
 * The genesis of an L2 whose first validator set is `registered` on the L1 at `rpcUrl`: that
 * set's validators (the consensus epoch is the StakingManager epoch of the set, so evidence
 * verifies on L1) and the L1 the nodes follow from the set's anchor block.
 */
export function genesisOnL1(opts: {
  chainId: number;
  rpcUrl: string;
  deployment: Deployment;
  registered: RegisteredSet;
  validators: readonly LocalValidator[];
  consensus: GenesisJson["consensus"];
  alloc?: GenesisJson["alloc"];
}): GenesisJson {
  return {
    chainId: opts.chainId,
    timestampMs: Date.now(),
    epoch: Number(opts.registered.epoch),
    validators: genesisValidatorsOf(opts.registered.set, opts.validators),
    alloc: opts.alloc ?? {},
    consensus: opts.consensus,
    l1: {
      rpcUrl: opts.rpcUrl,
      chainId: opts.deployment.chainId,
      contracts: opts.deployment.contracts,
      anchorBlock: Number(opts.registered.anchorBlock),
    },
  };
}
