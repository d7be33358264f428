import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MegaGovernorAbi, MegaTokenAbi, StakingManagerAbi } from "../../../src/l1/artifacts.ts";
import { descriptionHash, parameterChange, proposalActions } from "../../../src/l1/governance.ts";
import { type Fixture, increaseTime, MEGA, mine, register, revertName, send, setUpSuite } from "./fixture.ts";

describe("Governance on anvil", () => {
  let f: Fixture;
  let governor: Hex;
  const votes = (who: Hex, block: bigint): Promise<bigint> =>
    f.pc.readContract({
      address: governor,
      abi: MegaGovernorAbi,
      functionName: "getVotes",
      args: [who, block],
    });

  beforeAll(async () => {
    f = await setUpSuite();
    governor = f.deployment.contracts.Governor;
  });
  afterAll(async () => {
    await f?.close();
  });

  it("staked MEGA keeps its voting power, and past snapshots never change", async () => {
    const holder = f.accounts[1].address;
    await send(f.pc, f.wallets[1], f.token, MegaTokenAbi, "delegate", [holder]);
    await mine(f, 1);
    const before = await f.pc.getBlockNumber({ cacheTime: 0 });
    await register(f, 1, 21, MEGA("400000"));
    await mine(f, 1);
    const after = (await f.pc.getBlockNumber({ cacheTime: 0 })) - 1n;
    expect(await votes(holder, before - 1n)).toBe(MEGA("1000000"));
    expect(await votes(holder, after)).toBe(MEGA("1000000"));
    const tokenVotes = await f.pc.readContract({
      address: f.token,
      abi: MegaTokenAbi,
      functionName: "getVotes",
      args: [holder],
    });
    expect(tokenVotes).toBe(MEGA("600000"));
    // Undelegating removes the staked weight from then on; the past stays as it was.
    await send(f.pc, f.wallets[1], f.staking, StakingManagerAbi, "undelegate", [
      holder,
      2n ** 256n - 1n,
      2n ** 255n,
    ]);
    await mine(f, 1);
    const later = (await f.pc.getBlockNumber({ cacheTime: 0 })) - 1n;
    expect(await votes(holder, later)).toBe(MEGA("600000"));
    expect(await votes(holder, after)).toBe(MEGA("1000000"));
  });

  it("a passed proposal changes the unbonding period through the timelock, and nothing else can", async () => {
    const voter = f.accounts[0].address;
    await send(f.pc, f.wallets[0], f.token, MegaTokenAbi, "delegate", [voter]);
    await mine(f, 1);
    const actions = parameterChange(f.staking, "unbondingPeriod", 2000n, "Unbonding to 2000 s");
    await send(f.pc, f.wallets[0], governor, MegaGovernorAbi, "propose", [
      actions.targets,
      actions.values,
      actions.calldatas,
      actions.description,
    ]);
    const id = await f.pc.readContract({
      address: governor,
      abi: MegaGovernorAbi,
      functionName: "hashProposal",
      args: [actions.targets, actions.values, actions.calldatas, descriptionHash(actions.description)],
    });
    expect(await proposalActions(f.pc, governor, id)).toEqual(actions);
    await mine(f, 2);
    await send(f.pc, f.wallets[0], governor, MegaGovernorAbi, "castVote", [id, 1]);
    expect(
      await revertName(() => send(f.pc, f.wallets[0], governor, MegaGovernorAbi, "castVote", [id, 1])),
    ).toBe("GovernorAlreadyCastVote");
    await mine(f, 11);
    const args = [
      actions.targets,
      actions.values,
      actions.calldatas,
      descriptionHash(actions.description),
    ] as const;
    await send(f.pc, f.wallets[0], governor, MegaGovernorAbi, "queue", args);
    expect(await revertName(() => send(f.pc, f.wallets[0], governor, MegaGovernorAbi, "execute", args))).toBe(
      "TimelockUnexpectedOperationState",
    );
    await increaseTime(f, 101);
    await send(f.pc, f.wallets[0], governor, MegaGovernorAbi, "execute", args);
    expect(
      await f.pc.readContract({
        address: f.staking,
        abi: StakingManagerAbi,
        functionName: "unbondingPeriod",
      }),
    ).toBe(2000n);
    // The deployer gave up the timelock admin role: it cannot bypass the vote.
    expect(
      await revertName(() =>
        send(f.pc, f.wallets[0], f.staking, StakingManagerAbi, "setUnbondingPeriod", [3000n]),
      ),
    ).toBe("NotGovernance");
  });
});
