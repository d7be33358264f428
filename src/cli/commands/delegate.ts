import type { Command } from "commander";
import { MegaTokenAbi, StakingManagerAbi } from "../../l1/artifacts.ts";
import { type L1CommandOptions, withL1Options } from "../../l1/cli-options.ts";
import {
  formatMega,
  OperatorError,
  operatorContext,
  parseAddress,
  parseInteger,
  parseMega,
  sendTx,
} from "../../l1/operator.ts";
import { delegateStake, describeStake, stakeInfo, undelegateStake } from "../../l1/staking-ops.ts";
import { action, printResult } from "../output.ts";

type WithSlippage = L1CommandOptions & { maxSlippageBps: string };

/** Delegator commands: top-level `delegate`, `undelegate`, `withdraw`, `rewards`, `stake-info`. */
export function register(program: Command): void {
  withL1Options(
    program
      .command("delegate <validator> <amount>")
      .description("bond MEGA to a validator (approves the StakingManager if needed)")
      .option("--max-slippage-bps <bps>", "refuse if fewer shares than previewed minus this", "50"),
    { key: true },
  ).action(
    action(async (validator: string, amount: string, opts: WithSlippage) => {
      const v = parseAddress(validator, "validator");
      const wei = parseMega(amount);
      const slippage = parseInteger(opts.maxSlippageBps, "--max-slippage-bps", 10_000n);
      const ctx = await operatorContext(opts, true);
      const r = await delegateStake(ctx, v, wei, slippage);
      printResult(
        opts,
        { validator: v, amount, minShares: r.minShares, approveTx: r.approve, ...r.tx },
        `delegated ${amount} MEGA to ${v} (tx ${r.tx.hash}, gas ${r.tx.gasUsed})`,
      );
    }),
  );

  withL1Options(
    program
      .command("undelegate <validator> <amount>")
      .description(
        'start unbonding MEGA from a validator ("all" for everything); withdraw after the unbonding period',
      )
      .option("--max-slippage-bps <bps>", "refuse if more shares than previewed plus this", "50"),
    { key: true },
  ).action(
    action(async (validator: string, amount: string, opts: WithSlippage) => {
      const v = parseAddress(validator, "validator");
      const wei = amount === "all" ? undefined : parseMega(amount);
      const slippage = parseInteger(opts.maxSlippageBps, "--max-slippage-bps", 10_000n);
      const ctx = await operatorContext(opts, true);
      const r = await undelegateStake(ctx, v, wei, slippage);
      const period = await ctx.l1.publicClient.readContract({
        address: ctx.contracts.StakingManager,
        abi: StakingManagerAbi,
        functionName: "unbondingPeriod",
      });
      printResult(
        opts,
        { validator: v, amount, unbondingPeriodSeconds: period, ...r.tx },
        `unbonding ${amount} MEGA from ${v}; withdraw in ${period} s (tx ${r.tx.hash})`,
      );
    }),
  );

  withL1Options(
    program.command("withdraw").description("collect every unbonding entry whose unlock time has passed"),
    {
      key: true,
    },
  ).action(
    action(async (opts: L1CommandOptions) => {
      const ctx = await operatorContext(opts, true);
      const token = ctx.contracts.MegaToken;
      const before = await balance(ctx, token);
      const tx = await sendTx(ctx, {
        address: ctx.contracts.StakingManager,
        abi: StakingManagerAbi,
        functionName: "withdraw",
        args: [],
      });
      const received = (await balance(ctx, token)) - before;
      printResult(
        opts,
        { withdrawn: formatMega(received), ...tx },
        `withdrew ${formatMega(received)} MEGA (tx ${tx.hash})`,
      );
    }),
  );

  withL1Options(
    program
      .command("rewards [claim]")
      .description("show pending staking rewards; `rewards claim` collects them"),
    {
      key: true,
    },
  ).action(
    action(async (claim: string | undefined, opts: L1CommandOptions) => {
      if (claim !== undefined && claim !== "claim") {
        throw new OperatorError("BAD_ARGUMENT", `unknown rewards action "${claim}" (only "claim")`);
      }
      const ctx = await operatorContext(opts, true);
      const sm = { address: ctx.contracts.StakingManager, abi: StakingManagerAbi } as const;
      const candidates = await ctx.l1.publicClient.readContract({ ...sm, functionName: "candidates" });
      const pending = await ctx.l1.publicClient.readContract({
        ...sm,
        functionName: "pendingRewards",
        args: [ctx.account!.address, candidates],
      });
      if (claim === undefined) {
        printResult(opts, { pending: formatMega(pending) }, `pending rewards: ${formatMega(pending)} MEGA`);
        return;
      }
      const tx = await sendTx(ctx, { ...sm, functionName: "claimRewards", args: [candidates] });
      printResult(
        opts,
        { claimed: formatMega(pending), ...tx },
        `claimed ${formatMega(pending)} MEGA (tx ${tx.hash})`,
      );
    }),
  );

  withL1Options(
    program.command("stake-info <address>").description("stake, unbonding entries and rewards of an address"),
    {
      key: false,
    },
  ).action(
    action(async (address: string, opts: L1CommandOptions) => {
      const who = parseAddress(address);
      const ctx = await operatorContext(opts, false);
      const info = await stakeInfo(ctx, who);
      printResult(opts, info, describeStake(info));
    }),
  );
}

function balance(ctx: Awaited<ReturnType<typeof operatorContext>>, token: `0x${string}`): Promise<bigint> {
  return ctx.l1.publicClient.readContract({
    address: token,
    abi: MegaTokenAbi,
    functionName: "balanceOf",
    args: [ctx.account!.address],
  });
}
