import { type Address, type Hex, maxUint256 } from "viem";
import { MegaTokenAbi, StakingManagerAbi } from "./artifacts.ts";
import { formatMega, type OperatorContext, OperatorError, type SentTx, sendTx } from "./operator.ts";

/**
 * Staking actions shared by the CLI commands: each checks what it can before sending and returns
 * the transactions it sent.
 */

export const DEFAULT_SLIPPAGE_BPS = 50n;

function me(ctx: OperatorContext): Address {
  if (!ctx.account) throw new OperatorError("NO_KEY", "this needs --key FILE");
  return ctx.account.address;
}

/** Approves the StakingManager for `amount` if the current allowance is lower. */
export async function ensureAllowance(ctx: OperatorContext, amount: bigint): Promise<SentTx | undefined> {
  const { MegaToken, StakingManager } = ctx.contracts;
  const [balance, allowance] = await Promise.all([
    ctx.l1.publicClient.readContract({
      address: MegaToken,
      abi: MegaTokenAbi,
      functionName: "balanceOf",
      args: [me(ctx)],
    }),
    ctx.l1.publicClient.readContract({
      address: MegaToken,
      abi: MegaTokenAbi,
      functionName: "allowance",
      args: [me(ctx), StakingManager],
    }),
  ]);
  if (balance < amount) {
    throw new OperatorError(
      "BAD_AMOUNT",
      `balance is ${formatMega(balance)} MEGA, less than ${formatMega(amount)} MEGA`,
    );
  }
  if (allowance >= amount) return undefined;
  return sendTx(ctx, {
    address: MegaToken,
    abi: MegaTokenAbi,
    functionName: "approve",
    args: [StakingManager, amount],
  });
}

export async function delegateStake(
  ctx: OperatorContext,
  validator: Address,
  amount: bigint,
  slippageBps = DEFAULT_SLIPPAGE_BPS,
): Promise<{ approve?: Hex; tx: SentTx; minShares: bigint }> {
  const { StakingManager } = ctx.contracts;
  const preview = await ctx.l1.publicClient.readContract({
    address: StakingManager,
    abi: StakingManagerAbi,
    functionName: "previewDelegate",
    args: [validator, amount],
  });
  const minShares = (preview * (10_000n - slippageBps)) / 10_000n;
  const approve = await ensureAllowance(ctx, amount);
  const tx = await sendTx(ctx, {
    address: StakingManager,
    abi: StakingManagerAbi,
    functionName: "delegate",
    args: [validator, amount, minShares],
  });
  return { approve: approve?.hash, tx, minShares };
}

/** `amount` undefined means everything. */
export async function undelegateStake(
  ctx: OperatorContext,
  validator: Address,
  amount: bigint | undefined,
  slippageBps = DEFAULT_SLIPPAGE_BPS,
): Promise<{ tx: SentTx; maxShares: bigint }> {
  const { StakingManager } = ctx.contracts;
  let maxShares: bigint;
  if (amount === undefined) {
    const d = await ctx.l1.publicClient.readContract({
      address: StakingManager,
      abi: StakingManagerAbi,
      functionName: "getDelegation",
      args: [validator, me(ctx)],
    });
    if (d.shares === 0n) throw new OperatorError("BAD_AMOUNT", `you have no stake with ${validator}`);
    maxShares = d.shares;
  } else {
    const preview = await ctx.l1.publicClient.readContract({
      address: StakingManager,
      abi: StakingManagerAbi,
      functionName: "previewUndelegate",
      args: [validator, amount],
    });
    maxShares = (preview * (10_000n + slippageBps)) / 10_000n;
  }
  const tx = await sendTx(ctx, {
    address: StakingManager,
    abi: StakingManagerAbi,
    functionName: "undelegate",
    args: [validator, amount ?? maxUint256, maxShares],
  });
  return { tx, maxShares };
}

export interface StakeInfo {
  address: Address;
  currentEpoch: bigint;
  delegations: { validator: Address; shares: bigint; stake: string }[];
  unbonding: { validator: Address; value: string; unlockTime: bigint; unlocked: boolean }[];
  pendingRewards: string;
  stakedVotes: string;
  validator?: {
    blsPubkey: Hex;
    stake: string;
    selfStake: string;
    commissionBps: number;
    jailed: boolean;
    tombstoned: boolean;
    exited: boolean;
    inCurrentSet: boolean;
  };
}

/** Everything the staking contract knows about `address`, formatted in MEGA. */
export async function stakeInfo(ctx: OperatorContext, address: Address): Promise<StakeInfo> {
  const pc = ctx.l1.publicClient;
  const sm = { address: ctx.contracts.StakingManager, abi: StakingManagerAbi } as const;
  const [candidates, queue, epoch, votes, block] = await Promise.all([
    pc.readContract({ ...sm, functionName: "candidates" }),
    pc.readContract({ ...sm, functionName: "unbondings", args: [address] }),
    pc.readContract({ ...sm, functionName: "currentEpoch" }),
    pc.readContract({ ...sm, functionName: "getStakedVotes", args: [address] }),
    pc.getBlock({ blockTag: "latest" }),
  ]);
  const delegations = [];
  for (const v of candidates) {
    const d = await pc.readContract({ ...sm, functionName: "getDelegation", args: [v, address] });
    if (d.shares === 0n) continue;
    const stake = await pc.readContract({ ...sm, functionName: "stakeOf", args: [v, address] });
    delegations.push({ validator: v, shares: d.shares, stake: formatMega(stake) });
  }
  const unbonding = await Promise.all(
    queue.map(async (e, i) => ({
      validator: e.validator,
      value: formatMega(
        await pc.readContract({ ...sm, functionName: "unbondingValue", args: [address, BigInt(i)] }),
      ),
      unlockTime: e.unlockTime,
      unlocked: e.unlockTime <= block.timestamp,
    })),
  );
  const pending = await pc.readContract({
    ...sm,
    functionName: "pendingRewards",
    args: [address, candidates],
  });
  const info: StakeInfo = {
    address,
    currentEpoch: epoch,
    delegations,
    unbonding,
    pendingRewards: formatMega(pending),
    stakedVotes: formatMega(votes),
  };
  const v = await pc.readContract({ ...sm, functionName: "getValidator", args: [address] });
  if (v.registered) {
    const [self, set] = await Promise.all([
      pc.readContract({ ...sm, functionName: "selfStake", args: [address] }),
      pc.readContract({ ...sm, functionName: "validatorSet", args: [epoch] }),
    ]);
    info.validator = {
      blsPubkey: v.blsPubkey,
      stake: formatMega(v.stake),
      selfStake: formatMega(self),
      commissionBps: v.commissionBps,
      jailed: v.jailed,
      tombstoned: v.tombstoned,
      exited: v.exited,
      inCurrentSet: set[0].some((a) => a.toLowerCase() === address.toLowerCase()),
    };
  }
  return info;
}

export function describeStake(info: StakeInfo): string {
  const lines = [`${info.address} (epoch ${info.currentEpoch})`];
  if (info.validator) {
    const v = info.validator;
    const state = v.tombstoned ? "tombstoned" : v.jailed ? "jailed" : v.exited ? "exited" : "active";
    lines.push(
      `validator: ${state}, stake ${v.stake} MEGA (self ${v.selfStake}), commission ${v.commissionBps} bps, ${v.inCurrentSet ? "in" : "not in"} the current set`,
    );
  }
  for (const d of info.delegations) lines.push(`delegated to ${d.validator}: ${d.stake} MEGA`);
  for (const u of info.unbonding) {
    const when = new Date(Number(u.unlockTime) * 1000).toISOString();
    lines.push(
      `unbonding from ${u.validator}: ${u.value} MEGA, ${u.unlocked ? "withdrawable" : `unlocks ${when}`}`,
    );
  }
  lines.push(`pending rewards: ${info.pendingRewards} MEGA`, `staked voting power: ${info.stakedVotes} MEGA`);
  return lines.join("\n");
}
