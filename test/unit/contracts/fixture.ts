/**
 * Shared set-up for the contract tests: one real anvil per test file, the suite deployed with
 * short test parameters, dev accounts funded with MEGA, and snapshot/revert helpers.
 */
import {
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  type PublicClient,
  parseUnits,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { secretKeyFromSeed } from "../../../src/crypto/index.ts";
import { ANVIL_DEV_KEYS, type AnvilHandle, startAnvil } from "../../../src/l1/anvil.ts";
import { MegaTokenAbi, StakingManagerAbi } from "../../../src/l1/artifacts.ts";
import { connectL1 } from "../../../src/l1/clients.ts";
import { type Deployment, deploySuite, type StakingParams } from "../../../src/l1/deploy.ts";
import { registrationKey } from "../../../src/l1/pop.ts";

export const MEGA = (v: string): bigint => parseUnits(v, 18);

export const TEST_STAKING: StakingParams = {
  unbondingPeriod: 1000n,
  minSelfStake: MEGA("100"),
  maxValidators: 3n,
  slashFractionBps: 1000n,
  reporterRewardBps: 1000n,
  rewardPerEpoch: MEGA("10"),
  epochLength: 5n,
  evidenceWindow: 500n,
};

export interface Fixture {
  anvil: AnvilHandle;
  pc: PublicClient<Transport, Chain>;
  chainId: number;
  deployment: Deployment;
  token: Address;
  staking: Address;
  slashing: Address;
  accounts: Account[];
  wallets: WalletClient<Transport, Chain, Account>[];
  /** Stops anvil. */
  close(): Promise<void>;
}

export async function setUpSuite(
  opts: { reserve?: bigint; staking?: Partial<StakingParams> } = {},
): Promise<Fixture> {
  const anvil = await startAnvil();
  const accounts = ANVIL_DEV_KEYS.map((k) => privateKeyToAccount(k));
  const l1 = await connectL1(anvil.rpcUrl, accounts[0]);
  const deployment = await deploySuite(l1, {
    staking: { ...TEST_STAKING, ...opts.staking },
    governance: {
      votingDelayBlocks: 1,
      votingPeriodBlocks: 10,
      quorumPercent: 4,
      timelockDelaySeconds: 100n,
    },
    rewardReserve: opts.reserve ?? MEGA("100000"),
  });
  const wallets = accounts.map((account) =>
    createWalletClient({ chain: l1.chain, transport: http(anvil.rpcUrl), account }),
  );
  // JSON-RPC batching: the concurrent reads of a test go to anvil in one HTTP request.
  const pc = createPublicClient({ chain: l1.chain, transport: http(anvil.rpcUrl, { batch: true }) });
  const { MegaToken: token, StakingManager: staking, Slashing: slashing } = deployment.contracts;
  // Fund accounts 1..9 with MEGA and approve the StakingManager for everyone.
  for (let i = 1; i < accounts.length; i++) {
    await send(pc, wallets[0], token, MegaTokenAbi, "transfer", [accounts[i].address, MEGA("1000000")]);
  }
  for (const w of wallets) {
    await send(pc, w, token, MegaTokenAbi, "approve", [staking, 2n ** 255n]);
  }
  const fixture: Fixture = {
    anvil,
    pc,
    chainId: l1.chain.id,
    deployment,
    token,
    staking,
    slashing,
    accounts,
    wallets,
    // The current anvil: a test may replace it (an L1 restarted on the same port).
    close: () => fixture.anvil.stop(),
  };
  return fixture;
}

/** Sends a contract call and waits for it; throws (with the revert) when it fails. */
export async function send(
  pc: PublicClient<Transport, Chain>,
  wallet: WalletClient<Transport, Chain, Account>,
  address: Address,
  // biome-ignore lint/suspicious/noExplicitAny: one helper for every ABI of the suite
  abi: any,
  functionName: string,
  args: readonly unknown[],
): Promise<Hex> {
  const { request } = await pc.simulateContract({
    address,
    abi,
    functionName,
    args,
    account: wallet.account,
  });
  const hash = await wallet.writeContract(request);
  // anvil automines: the receipt exists as soon as the send returns, no need to poll for it.
  const receipt = await pc
    .getTransactionReceipt({ hash })
    .catch(() => pc.waitForTransactionReceipt({ hash }));
  if (receipt.status !== "success") throw new Error(`${functionName} reverted in a mined tx`);
  return hash;
}

export function blsSecret(seed: number): Uint8Array {
  return secretKeyFromSeed(new Uint8Array(32).fill(seed));
}

/** Registers `wallet`'s account as a validator with the BLS key of `seed`. */
export async function register(
  f: Fixture,
  index: number,
  seed: number,
  selfStake = MEGA("1000"),
  commissionBps = 1000n,
): Promise<{ pubkey: Hex; secret: Uint8Array }> {
  const secret = blsSecret(seed);
  const key = registrationKey(secret, f.chainId, f.staking, f.accounts[index].address);
  await send(f.pc, f.wallets[index], f.staking, StakingManagerAbi, "registerValidator", [
    key.pubkey,
    key.pop,
    commissionBps,
    selfStake,
    0n,
  ]);
  return { pubkey: key.pubkey, secret };
}

export async function mine(f: Fixture, blocks: number): Promise<void> {
  await f.pc.request({ method: "anvil_mine" as never, params: [`0x${blocks.toString(16)}`] as never });
}

export async function increaseTime(f: Fixture, seconds: number): Promise<void> {
  await f.pc.request({ method: "evm_increaseTime" as never, params: [`0x${seconds.toString(16)}`] as never });
  await mine(f, 1);
}

export async function snapshot(f: Fixture): Promise<Hex> {
  return (await f.pc.request({ method: "evm_snapshot" as never })) as Hex;
}

export async function revertTo(f: Fixture, id: Hex): Promise<void> {
  await f.pc.request({ method: "evm_revert" as never, params: [id] as never });
}

/**
 * Mines up to the next epoch boundary and crosses it on chain with the boundary block itself, so
 * the new epoch has epochLength - 1 blocks left for the test's transactions.
 */
export async function nextEpoch(f: Fixture): Promise<void> {
  const read = (functionName: "lastEpochStartBlock" | "epochLength"): Promise<bigint> =>
    f.pc.readContract({ address: f.staking, abi: StakingManagerAbi, functionName });
  const [start, length, current] = await Promise.all([
    read("lastEpochStartBlock"),
    read("epochLength"),
    f.pc.getBlockNumber({ cacheTime: 0 }),
  ]);
  let next = start + length;
  while (next <= current) next += length;
  const gap = Number(next - current - 1n);
  if (gap > 0) await mine(f, gap);
  await send(f.pc, f.wallets[0], f.staking, StakingManagerAbi, "advanceEpoch", []);
}

/** Runs `fn` and returns the decoded custom error name it reverts with. */
export async function revertName(fn: () => Promise<unknown>): Promise<string> {
  const { decodeRevert } = await import("../../../src/l1/revert.ts");
  try {
    await fn();
  } catch (error) {
    const decoded = decodeRevert(error);
    if (decoded) return decoded.errorName;
    throw error;
  }
  throw new Error("expected a revert, but the call succeeded");
}
