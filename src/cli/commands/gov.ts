import type { Command } from "commander";
import { MegaGovernorAbi, MegaTokenAbi } from "../../l1/artifacts.ts";
import { type L1CommandOptions, withL1Options } from "../../l1/cli-options.ts";
import {
  descriptionHash,
  PARAMETER_SETTERS,
  PROPOSAL_STATES,
  parameterChange,
  proposalActions,
} from "../../l1/governance.ts";
import {
  formatMega,
  type OperatorContext,
  OperatorError,
  operatorContext,
  parseAddress,
  parseInteger,
  sendTx,
} from "../../l1/operator.ts";
import { action, printResult } from "../output.ts";

const SUPPORT = { against: 0, for: 1, abstain: 2 } as const;

function parseSet(text: string): { parameter: string; value: bigint } {
  const match = /^([A-Za-z]+)=(\d+)$/.exec(text);
  if (!match || !(match[1] in PARAMETER_SETTERS)) {
    throw new OperatorError(
      "BAD_ARGUMENT",
      `--set wants parameter=value with a whole-number value (wei for MEGA amounts); parameters: ${Object.keys(PARAMETER_SETTERS).join(", ")}`,
    );
  }
  return { parameter: match[1], value: BigInt(match[2]) };
}

async function lifecycle(ctx: OperatorContext, id: bigint, step: "queue" | "execute"): Promise<unknown> {
  const a = await proposalActions(ctx.l1.publicClient, ctx.contracts.Governor, id);
  return sendTx(ctx, {
    address: ctx.contracts.Governor,
    abi: MegaGovernorAbi,
    functionName: step,
    args: [a.targets, a.values, a.calldatas, descriptionHash(a.description)],
  });
}

export function register(program: Command): void {
  const gov = program.command("gov").description("MEGA governance: proposals that change staking parameters");

  withL1Options(
    gov
      .command("propose")
      .description("propose a parameter change (executed by the timelock if it passes)")
      .requiredOption("--set <parameter=value>", "e.g. unbondingPeriod=1209600")
      .requiredOption("--description <text>", "what and why (part of the proposal id)"),
    { key: true },
  ).action(
    action(async (opts: L1CommandOptions & { set: string; description: string }) => {
      const { parameter, value } = parseSet(opts.set);
      if (opts.description.trim() === "") throw new OperatorError("BAD_ARGUMENT", "--description is empty");
      const ctx = await operatorContext(opts, true);
      const a = parameterChange(ctx.contracts.StakingManager, parameter, value, opts.description);
      const pc = ctx.l1.publicClient;
      const id = await pc.readContract({
        address: ctx.contracts.Governor,
        abi: MegaGovernorAbi,
        functionName: "hashProposal",
        args: [a.targets, a.values, a.calldatas, descriptionHash(a.description)],
      });
      const tx = await sendTx(ctx, {
        address: ctx.contracts.Governor,
        abi: MegaGovernorAbi,
        functionName: "propose",
        args: [a.targets, a.values, a.calldatas, a.description],
      });
      const [start, end] = await Promise.all([
        pc.readContract({
          address: ctx.contracts.Governor,
          abi: MegaGovernorAbi,
          functionName: "proposalSnapshot",
          args: [id],
        }),
        pc.readContract({
          address: ctx.contracts.Governor,
          abi: MegaGovernorAbi,
          functionName: "proposalDeadline",
          args: [id],
        }),
      ]);
      printResult(
        opts,
        { proposalId: id.toString(), parameter, value, voteStart: start, voteEnd: end, ...tx },
        `proposal ${id}\nsets ${parameter} = ${value}; voting from block ${start + 1n} to ${end} (tx ${tx.hash})`,
      );
    }),
  );

  withL1Options(gov.command("vote <proposalId> <support>").description("vote for, against or abstain"), {
    key: true,
  }).action(
    action(async (proposalId: string, support: string, opts: L1CommandOptions) => {
      const id = parseInteger(proposalId, "proposal id");
      if (!(support in SUPPORT))
        throw new OperatorError("BAD_ARGUMENT", 'support must be "for", "against" or "abstain"');
      const ctx = await operatorContext(opts, true);
      const tx = await sendTx(ctx, {
        address: ctx.contracts.Governor,
        abi: MegaGovernorAbi,
        functionName: "castVote",
        args: [id, SUPPORT[support as keyof typeof SUPPORT]],
      });
      printResult(opts, { proposalId, support, ...tx }, `voted ${support} on ${proposalId} (tx ${tx.hash})`);
    }),
  );

  for (const step of ["queue", "execute"] as const) {
    withL1Options(
      gov
        .command(`${step} <proposalId>`)
        .description(
          step === "queue"
            ? "queue a succeeded proposal in the timelock"
            : "execute a queued proposal after the delay",
        ),
      { key: true },
    ).action(
      action(async (proposalId: string, opts: L1CommandOptions) => {
        const id = parseInteger(proposalId, "proposal id");
        const ctx = await operatorContext(opts, true);
        const tx = await lifecycle(ctx, id, step);
        printResult(
          opts,
          { proposalId, ...(tx as object) },
          `${step === "queue" ? "queued" : "executed"} ${proposalId}`,
        );
      }),
    );
  }

  withL1Options(gov.command("show <proposalId>").description("state, votes and actions of a proposal"), {
    key: false,
  }).action(
    action(async (proposalId: string, opts: L1CommandOptions) => {
      const id = parseInteger(proposalId, "proposal id");
      const ctx = await operatorContext(opts, false);
      const g = { address: ctx.contracts.Governor, abi: MegaGovernorAbi } as const;
      const pc = ctx.l1.publicClient;
      const a = await proposalActions(pc, ctx.contracts.Governor, id);
      const [state, votes, snapshot, deadline, eta] = await Promise.all([
        pc.readContract({ ...g, functionName: "state", args: [id] }),
        pc.readContract({ ...g, functionName: "proposalVotes", args: [id] }),
        pc.readContract({ ...g, functionName: "proposalSnapshot", args: [id] }),
        pc.readContract({ ...g, functionName: "proposalDeadline", args: [id] }),
        pc.readContract({ ...g, functionName: "proposalEta", args: [id] }),
      ]);
      const quorum = await pc.readContract({ ...g, functionName: "quorum", args: [snapshot] });
      const info = {
        proposalId,
        state: PROPOSAL_STATES[state],
        description: a.description,
        votes: { against: formatMega(votes[0]), for: formatMega(votes[1]), abstain: formatMega(votes[2]) },
        quorum: formatMega(quorum),
        voteStart: snapshot,
        voteEnd: deadline,
        eta,
        actions: a.targets.map((t, i) => ({ target: t, calldata: a.calldatas[i] })),
      };
      printResult(
        opts,
        info,
        `${info.state}: ${a.description}\nfor ${info.votes.for}, against ${info.votes.against}, abstain ${info.votes.abstain} (quorum ${info.quorum}) MEGA\nvoting blocks ${snapshot + 1n}..${deadline}${eta > 0n ? `, executable after ${new Date(Number(eta) * 1000).toISOString()}` : ""}`,
      );
    }),
  );

  withL1Options(
    gov
      .command("delegate-votes [to]")
      .description(
        "activate the voting power of your liquid MEGA (to yourself by default); staked MEGA votes anyway",
      ),
    { key: true },
  ).action(
    action(async (to: string | undefined, opts: L1CommandOptions) => {
      const target = to ? parseAddress(to) : undefined;
      const ctx = await operatorContext(opts, true);
      const delegatee = target ?? ctx.account!.address;
      const tx = await sendTx(ctx, {
        address: ctx.contracts.MegaToken,
        abi: MegaTokenAbi,
        functionName: "delegate",
        args: [delegatee],
      });
      const votes = await ctx.l1.publicClient.readContract({
        address: ctx.contracts.MegaToken,
        abi: MegaTokenAbi,
        functionName: "getVotes",
        args: [delegatee],
      });
      printResult(
        opts,
        { delegatee, votes: formatMega(votes), ...tx },
        `votes of ${delegatee}: ${formatMega(votes)} MEGA`,
      );
    }),
  );
}
