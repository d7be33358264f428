import type { Command } from "commander";
import { type Hex, numberToHex } from "viem";
import { MegaTokenAbi } from "../../l1/artifacts.ts";
import { type L1CommandOptions, withL1Options } from "../../l1/cli-options.ts";
import { connectL1 } from "../../l1/clients.ts";
import {
  DEFAULT_GOVERNANCE_PARAMS,
  DEFAULT_L2_CHAIN_ID,
  DEFAULT_STAKING_PARAMS,
  deployToRpc,
} from "../../l1/deploy.ts";
import {
  operatorContext,
  parseAddress,
  parseInteger,
  parseMega,
  requireKey,
  resolveRpc,
  sendTx,
} from "../../l1/operator.ts";
import { action, printResult } from "../output.ts";

interface DeployCliOptions {
  json?: boolean;
  rpc?: string;
  key?: string;
  out?: string;
  l2ChainId: string;
  unbondingPeriod: string;
  evidenceWindow: string;
  epochLength: string;
  minSelfStake: string;
  maxValidators: string;
  slashFractionBps: string;
  rewardPerEpoch: string;
  rewardReserve: string;
  votingDelay: string;
  votingPeriod: string;
  quorumPercent: string;
  timelockDelay: string;
}

export function register(program: Command): void {
  const l1 = program.command("l1").description("MEGA contracts on L1: deployment and dev-chain helpers");
  const s = DEFAULT_STAKING_PARAMS;
  const g = DEFAULT_GOVERNANCE_PARAMS;

  l1.command("deploy")
    .description("deploy MegaToken, StakingManager, Slashing, Governor and Timelock, and wire their roles")
    .option("--rpc <url>", "L1 JSON-RPC URL (default: $MEGASEQ_L1_RPC)")
    .option("--key <file>", "L1 key file of the deployer, who receives the whole MEGA supply")
    .option("--out <file>", "write the deployment JSON here")
    .option(
      "--l2-chain-id <n>",
      "consensus chain id the signing domains commit to",
      DEFAULT_L2_CHAIN_ID.toString(),
    )
    .option(
      "--unbonding-period <seconds>",
      "seconds from undelegate to withdraw",
      s.unbondingPeriod.toString(),
    )
    .option("--evidence-window <seconds>", "seconds evidence stays slashable", s.evidenceWindow.toString())
    .option("--epoch-length <blocks>", "L1 blocks per epoch", s.epochLength.toString())
    .option("--min-self-stake <MEGA>", "minimum self-stake", "1000")
    .option("--max-validators <n>", "active set size", s.maxValidators.toString())
    .option("--slash-fraction-bps <bps>", "double-sign slash, basis points", s.slashFractionBps.toString())
    .option("--reward-per-epoch <MEGA>", "rewards paid per epoch", "100")
    .option("--reward-reserve <MEGA>", "MEGA the deployer moves into the reward reserve", "1000000")
    .option("--voting-delay <blocks>", "blocks before voting starts", String(g.votingDelayBlocks))
    .option("--voting-period <blocks>", "blocks a vote lasts", String(g.votingPeriodBlocks))
    .option("--quorum-percent <n>", "quorum as a percentage of supply", String(g.quorumPercent))
    .option("--timelock-delay <seconds>", "timelock delay", g.timelockDelaySeconds.toString())
    .option("--json", "print one JSON object")
    .action(
      action(async (opts: DeployCliOptions) => {
        // Every argument is checked before anything is sent.
        const rpc = resolveRpc(opts.rpc);
        const account = requireKey(opts.key);
        const staking = {
          unbondingPeriod: parseInteger(opts.unbondingPeriod, "--unbonding-period"),
          evidenceWindow: parseInteger(opts.evidenceWindow, "--evidence-window"),
          epochLength: parseInteger(opts.epochLength, "--epoch-length"),
          minSelfStake: parseMega(opts.minSelfStake, "--min-self-stake"),
          maxValidators: parseInteger(opts.maxValidators, "--max-validators", 100n),
          slashFractionBps: parseInteger(opts.slashFractionBps, "--slash-fraction-bps", 5000n),
          reporterRewardBps: s.reporterRewardBps,
          rewardPerEpoch: parseMega(opts.rewardPerEpoch, "--reward-per-epoch"),
        };
        const governance = {
          votingDelayBlocks: Number(parseInteger(opts.votingDelay, "--voting-delay", 2n ** 47n)),
          votingPeriodBlocks: Number(parseInteger(opts.votingPeriod, "--voting-period", 2n ** 31n)),
          quorumPercent: Number(parseInteger(opts.quorumPercent, "--quorum-percent", 100n)),
          timelockDelaySeconds: parseInteger(opts.timelockDelay, "--timelock-delay"),
        };
        const deployment = await deployToRpc(rpc, account, {
          out: opts.out,
          l2ChainId: parseInteger(opts.l2ChainId, "--l2-chain-id", 2n ** 64n - 1n),
          rewardReserve: parseMega(opts.rewardReserve, "--reward-reserve"),
          staking,
          governance,
          onProgress: opts.json ? undefined : (step) => process.stderr.write(`  ${step}\n`),
        });
        const c = deployment.contracts;
        printResult(
          opts,
          deployment,
          [
            `deployed on chain ${deployment.chainId}${opts.out ? ` (written to ${opts.out})` : ""}`,
            `  MegaToken       ${c.MegaToken}`,
            `  StakingManager  ${c.StakingManager}`,
            `  Slashing        ${c.Slashing}`,
            `  Governor        ${c.Governor}`,
            `  Timelock        ${c.Timelock}`,
          ].join("\n"),
        );
      }),
    );

  l1.command("advance")
    .description("dev chains only (anvil): move time forward and/or mine blocks")
    .option("--rpc <url>", "L1 JSON-RPC URL (default: $MEGASEQ_L1_RPC)")
    .option("--seconds <n>", "seconds to add to the clock", "0")
    .option("--blocks <n>", "blocks to mine", "1")
    .option("--json", "print one JSON object")
    .action(
      action(async (opts: { rpc?: string; seconds: string; blocks: string; json?: boolean }) => {
        const seconds = parseInteger(opts.seconds, "--seconds");
        const blocks = parseInteger(opts.blocks, "--blocks", 1_000_000n);
        const { publicClient } = await connectL1(resolveRpc(opts.rpc));
        const rpc = publicClient.request as unknown as (args: {
          method: string;
          params: unknown[];
        }) => Promise<unknown>;
        if (seconds > 0n) await rpc({ method: "evm_increaseTime", params: [numberToHex(seconds)] });
        if (blocks > 0n) await rpc({ method: "anvil_mine", params: [numberToHex(blocks) as Hex] });
        const block = await publicClient.getBlock({ blockTag: "latest" });
        printResult(
          opts,
          { blockNumber: block.number, timestamp: block.timestamp },
          `now at block ${block.number}, time ${new Date(Number(block.timestamp) * 1000).toISOString()}`,
        );
      }),
    );

  withL1Options(l1.command("transfer <to> <amount>").description("send MEGA to an address"), {
    key: true,
  }).action(
    action(async (to: string, amount: string, opts: L1CommandOptions) => {
      const target = parseAddress(to);
      const wei = parseMega(amount);
      const ctx = await operatorContext(opts, true);
      const tx = await sendTx(ctx, {
        address: ctx.contracts.MegaToken,
        abi: MegaTokenAbi,
        functionName: "transfer",
        args: [target, wei],
      });
      printResult(opts, { to: target, amount, ...tx }, `sent ${amount} MEGA to ${target} (tx ${tx.hash})`);
    }),
  );
}
