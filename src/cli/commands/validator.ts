import type { Command } from "commander";
import { StakingManagerAbi } from "../../l1/artifacts.ts";
import { type L1CommandOptions, withL1Options } from "../../l1/cli-options.ts";
import { loadBlsSecret } from "../../l1/keys.ts";
import {
  OperatorError,
  operatorContext,
  parseAddress,
  parseInteger,
  parseMega,
  requireKey,
  sendTx,
} from "../../l1/operator.ts";
import { registrationKey } from "../../l1/pop.ts";
import {
  delegateStake,
  describeStake,
  ensureAllowance,
  stakeInfo,
  undelegateStake,
} from "../../l1/staking-ops.ts";
import { action, printResult } from "../output.ts";

export function register(program: Command): void {
  const validator = program.command("validator").description("run a validator's stake on L1");

  withL1Options(
    validator
      .command("register")
      .description(
        "register as a validator: BLS key with an on-chain proof of possession, self-stake, commission",
      )
      .requiredOption("--bls-keystore <file>", "EIP-2335 keystore of the validator's BLS key")
      .requiredOption("--password-file <file>", "file holding the keystore password")
      .requiredOption("--self-stake <MEGA>", "MEGA to bond as self-stake")
      .option("--commission-bps <bps>", "commission on rewards, basis points (max 5000)", "1000"),
    { key: true },
  ).action(
    action(
      async (
        opts: L1CommandOptions & {
          blsKeystore: string;
          passwordFile: string;
          selfStake: string;
          commissionBps: string;
        },
      ) => {
        const selfStake = parseMega(opts.selfStake, "--self-stake");
        const commission = parseInteger(opts.commissionBps, "--commission-bps", 5000n);
        requireKey(opts.key);
        const secret = await loadBlsSecret(opts.blsKeystore, opts.passwordFile);
        const ctx = await operatorContext(opts, true);
        const operator = ctx.account!.address;
        const key = registrationKey(secret, ctx.l1.chain.id, ctx.contracts.StakingManager, operator);
        const approve = await ensureAllowance(ctx, selfStake);
        const tx = await sendTx(ctx, {
          address: ctx.contracts.StakingManager,
          abi: StakingManagerAbi,
          functionName: "registerValidator",
          args: [key.pubkey, key.pop, commission, selfStake, 0n],
        });
        printResult(
          opts,
          {
            validator: operator,
            blsPubkey: key.pubkey,
            selfStake: opts.selfStake,
            approveTx: approve?.hash,
            ...tx,
          },
          `registered validator ${operator} with ${opts.selfStake} MEGA self-stake (tx ${tx.hash}, gas ${tx.gasUsed})`,
        );
      },
    ),
  );

  withL1Options(validator.command("stake <amount>").description("add MEGA to your own self-stake"), {
    key: true,
  }).action(
    action(async (amount: string, opts: L1CommandOptions) => {
      const wei = parseMega(amount);
      const ctx = await operatorContext(opts, true);
      const r = await delegateStake(ctx, ctx.account!.address, wei);
      printResult(opts, { amount, ...r.tx }, `staked ${amount} MEGA (tx ${r.tx.hash})`);
    }),
  );

  withL1Options(
    validator
      .command("unstake <amount>")
      .description('start unbonding self-stake ("all" to leave; what remains must stay above the minimum)'),
    { key: true },
  ).action(
    action(async (amount: string, opts: L1CommandOptions) => {
      const wei = amount === "all" ? undefined : parseMega(amount);
      const ctx = await operatorContext(opts, true);
      const r = await undelegateStake(ctx, ctx.account!.address, wei);
      printResult(opts, { amount, ...r.tx }, `unbonding ${amount} MEGA of self-stake (tx ${r.tx.hash})`);
    }),
  );

  withL1Options(
    validator.command("commission <bps>").description("change commission (at most 500 bps, once per epoch)"),
    { key: true },
  ).action(
    action(async (bps: string, opts: L1CommandOptions) => {
      const value = parseInteger(bps, "commission", 5000n);
      const ctx = await operatorContext(opts, true);
      const tx = await sendTx(ctx, {
        address: ctx.contracts.StakingManager,
        abi: StakingManagerAbi,
        functionName: "setCommission",
        args: [value],
      });
      printResult(
        opts,
        { commissionBps: Number(value), ...tx },
        `commission set to ${value} bps (tx ${tx.hash})`,
      );
    }),
  );

  for (const [name, fn, words] of [
    ["unjail", "unjail", "unjailed"],
    ["exit", "exitValidator", "left the candidate list (delegators undelegate as usual)"],
  ] as const) {
    withL1Options(
      validator
        .command(name)
        .description(name === "unjail" ? "leave jail after its term" : "stop validating for good"),
      {
        key: true,
      },
    ).action(
      action(async (opts: L1CommandOptions) => {
        const ctx = await operatorContext(opts, true);
        const tx = await sendTx(ctx, {
          address: ctx.contracts.StakingManager,
          abi: StakingManagerAbi,
          functionName: fn,
          args: [],
        });
        printResult(opts, { ...tx }, `${words} (tx ${tx.hash})`);
      }),
    );
  }

  withL1Options(
    validator.command("info [address]").description("a validator's state (default: the --key account)"),
    {
      key: true,
    },
  ).action(
    action(async (address: string | undefined, opts: L1CommandOptions) => {
      const who = address ? parseAddress(address) : undefined;
      if (!who && !opts.key && !process.env.MEGASEQ_L1_KEY) {
        throw new OperatorError("BAD_ARGUMENT", "name the validator address or pass --key");
      }
      const ctx = await operatorContext(opts, !who);
      const info = await stakeInfo(ctx, who ?? ctx.account!.address);
      if (!info.validator)
        throw new OperatorError("BAD_ARGUMENT", `${info.address} is not a registered validator`);
      printResult(opts, info, describeStake(info));
    }),
  );
}
