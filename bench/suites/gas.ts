import { type Address, createPublicClient, http, parseUnits } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { secretKeyFromSeed, sign } from "../../src/crypto/index.ts";
import { ANVIL_DEV_KEYS, startAnvil } from "../../src/l1/anvil.ts";
import { MegaTokenAbi, SlashingAbi, StakingManagerAbi } from "../../src/l1/artifacts.ts";
import { connectL1 } from "../../src/l1/clients.ts";
import { DEFAULT_L2_CHAIN_ID, deploySuite } from "../../src/l1/deploy.ts";
import { voteEvidence } from "../../src/l1/evidence.ts";
import { type OperatorContext, sendTx } from "../../src/l1/operator.ts";
import { registrationKey } from "../../src/l1/pop.ts";
import { signingRootOfVote, type Vote } from "../../src/types/index.ts";
import { type BenchResult, median, progress } from "../harness.ts";

/**
 * Gas of the staking transactions a node operator and a delegator send, measured on a real anvil
 * (Prague precompiles) from the receipts: registerValidator with its on-chain PoP check, delegate,
 * undelegate, withdraw, and submitDoubleSign (two hash-to-G2 + two pairings + the slash).
 * Gas is deterministic, so one sample would do; several validators give a median anyway.
 */
const MEGA = (v: string): bigint => parseUnits(v, 18);
const SAMPLES = 3;

export async function run(): Promise<BenchResult> {
  const anvil = await startAnvil();
  try {
    const accounts = ANVIL_DEV_KEYS.map((k) => privateKeyToAccount(k));
    const deployer = await connectL1(anvil.rpcUrl, accounts[0]);
    progress("deploying the suite");
    const d = await deploySuite(deployer, {
      staking: {
        epochLength: 10n,
        unbondingPeriod: 1000n,
        evidenceWindow: 500n,
        minSelfStake: MEGA("100"),
      },
      rewardReserve: MEGA("1000000"),
    });
    const { MegaToken, StakingManager, Slashing } = d.contracts;
    const ctxOf = async (i: number): Promise<OperatorContext> => ({
      l1: await connectL1(anvil.rpcUrl, accounts[i]),
      contracts: d.contracts,
      account: accounts[i],
    });
    const root = await ctxOf(0);
    const gas: Record<string, number[]> = {
      register_with_pop: [],
      delegate: [],
      undelegate: [],
      withdraw: [],
      submit_double_sign: [],
      advance_epoch: [],
    };
    const secrets: Uint8Array[] = [];
    for (let i = 1; i <= SAMPLES; i++) {
      await sendTx(root, {
        address: MegaToken,
        abi: MegaTokenAbi,
        functionName: "transfer",
        args: [accounts[i].address, MEGA("100000")],
      });
      await sendTx(root, {
        address: MegaToken,
        abi: MegaTokenAbi,
        functionName: "transfer",
        args: [accounts[i + 3].address, MEGA("100000")],
      });
    }
    for (let i = 1; i <= SAMPLES; i++) {
      progress(`validator ${i}: register, delegate, undelegate`);
      const op = await ctxOf(i);
      const del = await ctxOf(i + 3);
      const secret = secretKeyFromSeed(new Uint8Array(32).fill(100 + i));
      secrets.push(secret);
      const key = registrationKey(secret, d.chainId, StakingManager, accounts[i].address);
      await sendTx(op, {
        address: MegaToken,
        abi: MegaTokenAbi,
        functionName: "approve",
        args: [StakingManager, MEGA("100000")],
      });
      await sendTx(del, {
        address: MegaToken,
        abi: MegaTokenAbi,
        functionName: "approve",
        args: [StakingManager, MEGA("100000")],
      });
      const reg = await sendTx(op, {
        address: StakingManager,
        abi: StakingManagerAbi,
        functionName: "registerValidator",
        args: [key.pubkey, key.pop, 1000n, MEGA("1000") * BigInt(i), 0n],
      });
      gas.register_with_pop.push(Number(reg.gasUsed));
      const dg = await sendTx(del, {
        address: StakingManager,
        abi: StakingManagerAbi,
        functionName: "delegate",
        args: [accounts[i].address, MEGA("500"), 0n],
      });
      gas.delegate.push(Number(dg.gasUsed));
      const ud = await sendTx(del, {
        address: StakingManager,
        abi: StakingManagerAbi,
        functionName: "undelegate",
        args: [accounts[i].address, MEGA("100"), 2n ** 255n],
      });
      gas.undelegate.push(Number(ud.gasUsed));
    }
    const pc = createPublicClient({ transport: http(anvil.rpcUrl, { timeout: 120_000 }) });
    const rpc = pc.request as unknown as (a: { method: string; params: unknown[] }) => Promise<unknown>;
    await rpc({ method: "anvil_mine", params: ["0xa"] });
    progress("advance epoch (freezes the set of 3 validators)");
    const adv = await sendTx(root, {
      address: StakingManager,
      abi: StakingManagerAbi,
      functionName: "advanceEpoch",
      args: [],
    });
    gas.advance_epoch.push(Number(adv.gasUsed));
    await rpc({ method: "evm_increaseTime", params: ["0x3e9"] });
    await rpc({ method: "anvil_mine", params: ["0x1"] });
    for (let i = 1; i <= SAMPLES; i++) {
      const w = await sendTx(await ctxOf(i + 3), {
        address: StakingManager,
        abi: StakingManagerAbi,
        functionName: "withdraw",
        args: [],
      });
      gas.withdraw.push(Number(w.gasUsed));
    }
    // Evidence window counts from the epoch start; the time travel above used it up, so start
    // a fresh epoch before the double signs.
    await rpc({ method: "anvil_mine", params: ["0xa"] });
    await sendTx(root, {
      address: StakingManager,
      abi: StakingManagerAbi,
      functionName: "advanceEpoch",
      args: [],
    });
    const epoch = Number(
      await pc.readContract({
        address: StakingManager,
        abi: StakingManagerAbi,
        functionName: "currentEpoch",
      }),
    );
    const [set] = await pc.readContract({
      address: StakingManager,
      abi: StakingManagerAbi,
      functionName: "validatorSet",
      args: [BigInt(epoch)],
    });
    for (let i = 1; i <= SAMPLES; i++) {
      progress(`double sign by validator ${i}`);
      const index = set.findIndex((a: Address) => a === accounts[i].address);
      const chain = Number(DEFAULT_L2_CHAIN_ID);
      const a: Vote = { epoch, round: 7, blockRoot: new Uint8Array(32).fill(1) };
      const b: Vote = { epoch, round: 7, blockRoot: new Uint8Array(32).fill(2) };
      const evidence = voteEvidence({
        validatorIndex: index,
        voteA: a,
        signatureA: sign(secrets[i - 1], signingRootOfVote(chain, a)),
        voteB: b,
        signatureB: sign(secrets[i - 1], signingRootOfVote(chain, b)),
      });
      const s = await sendTx(await ctxOf(9), {
        address: Slashing,
        abi: SlashingAbi,
        functionName: "submitDoubleSign",
        args: [evidence],
      });
      gas.submit_double_sign.push(Number(s.gasUsed));
    }
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(gas)) metrics[`gas_${k}`] = median(v);
    return {
      metrics,
      ratios: {
        register_vs_delegate: metrics.gas_register_with_pop / metrics.gas_delegate,
        double_sign_vs_delegate: metrics.gas_submit_double_sign / metrics.gas_delegate,
      },
      details: { samples: gas },
    };
  } finally {
    await anvil.stop();
  }
}
