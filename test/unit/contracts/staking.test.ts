import { type Hex, toHex } from "viem";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { g1ToEip2537, publicKeyFromSecretKey } from "../../../src/crypto/index.ts";
import { StakingManagerAbi } from "../../../src/l1/artifacts.ts";
import { registrationKey } from "../../../src/l1/pop.ts";
import {
  blsSecret,
  type Fixture,
  increaseTime,
  MEGA,
  nextEpoch,
  register,
  revertName,
  revertTo,
  send,
  setUpSuite,
  snapshot,
} from "./fixture.ts";

describe("StakingManager on anvil", () => {
  let f: Fixture;
  let base: Hex;
  const call = (i: number, fn: string, args: readonly unknown[]): Promise<Hex> =>
    send(f.pc, f.wallets[i], f.staking, StakingManagerAbi, fn, args);
  // biome-ignore lint/suspicious/noExplicitAny: read helper over the typed ABI
  const read = (fn: string, args: readonly unknown[] = []): Promise<any> =>
    f.pc.readContract({
      address: f.staking,
      abi: StakingManagerAbi,
      functionName: fn as never,
      args: args as never,
    });
  const addr = (i: number): Hex => f.accounts[i].address;

  beforeAll(async () => {
    f = await setUpSuite();
    base = await snapshot(f);
  });
  afterAll(async () => {
    await f?.close();
  });
  beforeEach(async () => {
    await revertTo(f, base);
    base = await snapshot(f);
  });

  describe("registerValidator", () => {
    it("registers with an on-chain PoP and self-stake, once per key and per operator", async () => {
      const { pubkey } = await register(f, 1, 1);
      const v = await read("getValidator", [addr(1)]);
      expect(v.registered).toBe(true);
      expect(v.blsPubkey).toBe(pubkey);
      expect(v.stake).toBe(MEGA("1000"));
      expect(MEGA("1000") - (await read("selfStake", [addr(1)]))).toBeLessThanOrEqual(1n);
      expect(await read("candidates")).toEqual([addr(1)]);
      expect(await revertName(() => register(f, 1, 2))).toBe("AlreadyRegistered");
      // The same key under another operator (with a PoP valid for that operator) is refused.
      expect(await revertName(() => register(f, 2, 1))).toBe("PubkeyTaken");
    });

    it("refuses a PoP made for another operator, the infinity key, bad lengths, low stake, high commission", async () => {
      const secret = blsSecret(3);
      const forOther = registrationKey(secret, f.chainId, f.staking, addr(2));
      expect(
        await revertName(() =>
          call(1, "registerValidator", [forOther.pubkey, forOther.pop, 0n, MEGA("100"), 0n]),
        ),
      ).toBe("InvalidProofOfPossession");
      const forOtherChain = registrationKey(secret, f.chainId + 1, f.staking, addr(1));
      expect(
        await revertName(() =>
          call(1, "registerValidator", [forOtherChain.pubkey, forOtherChain.pop, 0n, MEGA("100"), 0n]),
        ),
      ).toBe("InvalidProofOfPossession");
      const good = registrationKey(secret, f.chainId, f.staking, addr(1));
      expect(
        await revertName(() =>
          call(1, "registerValidator", [toHex(new Uint8Array(128)), good.pop, 0n, MEGA("100"), 0n]),
        ),
      ).toBe("PubkeyIsInfinity");
      const short = toHex(publicKeyFromSecretKey(secret));
      expect(
        await revertName(() => call(1, "registerValidator", [short, good.pop, 0n, MEGA("100"), 0n])),
      ).toBe("BadPubkeyLength");
      expect(
        await revertName(() => call(1, "registerValidator", [good.pubkey, good.pop, 0n, MEGA("99"), 0n])),
      ).toBe("SelfStakeTooLow");
      expect(
        await revertName(() => call(1, "registerValidator", [good.pubkey, good.pop, 5001n, MEGA("100"), 0n])),
      ).toBe("CommissionTooHigh");
      // A signature by another key over the right message fails too.
      const wrongKey = registrationKey(blsSecret(4), f.chainId, f.staking, addr(1));
      expect(
        await revertName(() =>
          call(1, "registerValidator", [good.pubkey, wrongKey.pop, 0n, MEGA("100"), 0n]),
        ),
      ).toBe("InvalidProofOfPossession");
      expect(toHex(g1ToEip2537(publicKeyFromSecretKey(secret)))).toBe(good.pubkey);
    });
  });

  describe("delegation", () => {
    it("mints shares with a slippage bound and tracks the delegator's stake", async () => {
      await register(f, 1, 1);
      const preview = await read("previewDelegate", [addr(1), MEGA("50")]);
      expect(await revertName(() => call(2, "delegate", [addr(1), MEGA("50"), preview + 1n]))).toBe(
        "SlippageExceeded",
      );
      await call(2, "delegate", [addr(1), MEGA("50"), preview]);
      const d = await read("getDelegation", [addr(1), addr(2)]);
      expect(d.shares).toBe(preview);
      expect(await read("stakeOf", [addr(1), addr(2)])).toBeLessThanOrEqual(MEGA("50"));
      expect(MEGA("50") - (await read("stakeOf", [addr(1), addr(2)]))).toBeLessThan(2n);
      expect((await read("getValidator", [addr(1)])).stake).toBe(MEGA("1050"));
      expect(await revertName(() => call(2, "delegate", [addr(3), MEGA("1"), 0n]))).toBe("NotRegistered");
      expect(await revertName(() => call(2, "delegate", [addr(1), 0n, 0n]))).toBe("ZeroAmount");
    });

    it("undelegates into a queue, refuses early withdrawal, pays once after the unbonding period", async () => {
      await register(f, 1, 1);
      await call(2, "delegate", [addr(1), MEGA("50"), 0n]);
      const maxShares = await read("previewUndelegate", [addr(1), MEGA("20")]);
      expect(await revertName(() => call(2, "undelegate", [addr(1), MEGA("20"), maxShares - 1n]))).toBe(
        "SlippageExceeded",
      );
      await call(2, "undelegate", [addr(1), MEGA("20"), maxShares]);
      const queue = await read("unbondings", [addr(2)]);
      expect(queue.length).toBe(1);
      expect(await revertName(() => call(2, "withdraw", []))).toBe("NothingToWithdraw");
      await increaseTime(f, 1001);
      await call(2, "withdraw", []);
      expect((await read("unbondings", [addr(2)])).length).toBe(0);
      expect(await revertName(() => call(2, "withdraw", []))).toBe("NothingToWithdraw");
      expect(await revertName(() => call(2, "undelegate", [addr(1), MEGA("31"), 2n ** 255n]))).toBe(
        "InsufficientShares",
      );
    });

    it("bounds the unbonding queue and the operator's remaining self-stake", async () => {
      await register(f, 1, 1, MEGA("200"));
      await call(2, "delegate", [addr(1), MEGA("100"), 0n]);
      for (let i = 0; i < 16; i++) await call(2, "undelegate", [addr(1), MEGA("1"), 2n ** 255n]);
      expect(await revertName(() => call(2, "undelegate", [addr(1), MEGA("1"), 2n ** 255n]))).toBe(
        "TooManyUnbondingEntries",
      );
      expect(await revertName(() => call(1, "undelegate", [addr(1), MEGA("150"), 2n ** 255n]))).toBe(
        "SelfStakeTooLow",
      );
      // Leaving entirely is allowed.
      await call(1, "undelegate", [addr(1), 2n ** 256n - 1n, 2n ** 255n]);
      expect(await read("selfStake", [addr(1)])).toBe(0n);
    });
  });

  describe("commission", () => {
    it("changes at most 500 bps, at most once per epoch", async () => {
      await register(f, 1, 1, MEGA("100"), 1000n);
      expect(await revertName(() => call(1, "setCommission", [1100n]))).toBe("CommissionChangedThisEpoch");
      await nextEpoch(f);
      expect(await revertName(() => call(1, "setCommission", [1600n]))).toBe("CommissionChangeTooLarge");
      await call(1, "setCommission", [1500n]);
      expect((await read("getValidator", [addr(1)])).commissionBps).toBe(1500);
      expect(await revertName(() => call(1, "setCommission", [1400n]))).toBe("CommissionChangedThisEpoch");
    });
  });

  describe("epochs and the active set", () => {
    it("freezes the top N by stake at the epoch start", async () => {
      await register(f, 1, 1, MEGA("100"));
      await register(f, 2, 2, MEGA("300"));
      await register(f, 3, 3, MEGA("200"));
      await register(f, 4, 4, MEGA("150"));
      await nextEpoch(f);
      const e1 = await read("currentEpoch");
      const [vals, keys, powers] = await read("validatorSet", [e1]);
      expect(vals).toEqual([addr(2), addr(3), addr(4)]);
      expect(powers).toEqual([MEGA("300"), MEGA("200"), MEGA("150")]);
      expect(keys[0]).toBe((await read("getValidator", [addr(2)])).blsPubkey);
      // A mid-epoch delegation does not change this epoch's set, only the next one's.
      await call(5, "delegate", [addr(1), MEGA("1000"), 0n]);
      expect((await read("validatorSet", [e1]))[0]).toEqual([addr(2), addr(3), addr(4)]);
      await nextEpoch(f);
      const e2 = await read("currentEpoch");
      expect((await read("validatorSet", [e2]))[0]).toEqual([addr(1), addr(2), addr(3)]);
      expect((await read("validatorSet", [e1]))[0]).toEqual([addr(2), addr(3), addr(4)]);
      expect(await revertName(() => read("validatorSet", [e2 + 1n]))).toBe("EpochNotStarted");
    });
  });

  describe("rewards", () => {
    it("pays the epoch reward by power, commission to the operator, and lets delegators claim", async () => {
      await register(f, 1, 1, MEGA("100"), 1000n);
      await call(2, "delegate", [addr(1), MEGA("100"), 0n]);
      await nextEpoch(f); // the set now holds validator 1
      await nextEpoch(f); // one epoch of rewards (10 MEGA) distributed
      const operator = await read("pendingRewards", [addr(1), [addr(1)]]);
      const delegator = await read("pendingRewards", [addr(2), [addr(1)]]);
      // 10 MEGA: 1 commission + 9 split evenly between two equal stakes.
      expect(operator).toBeGreaterThan(MEGA("5.49"));
      expect(operator).toBeLessThanOrEqual(MEGA("5.5"));
      expect(delegator).toBeGreaterThan(MEGA("4.49"));
      expect(delegator).toBeLessThanOrEqual(MEGA("4.5"));
      await call(2, "claimRewards", [[addr(1)]]);
      expect(await read("pendingRewards", [addr(2), [addr(1)]])).toBe(0n);
      expect(await revertName(() => call(2, "claimRewards", [[addr(1)]]))).toBe("NothingToClaim");
    });
  });

  describe("jail, unjail, exit, governance-only parameters", () => {
    it("only the timelock sets parameters or jails", async () => {
      await register(f, 1, 1);
      for (const [fn, arg] of [
        ["setUnbondingPeriod", 10n],
        ["setMinSelfStake", 1n],
        ["setMaxValidators", 5n],
        ["setSlashFraction", 1n],
        ["setRewardPerEpoch", 1n],
        ["setEpochLength", 1n],
        ["setEvidenceWindow", 1n],
        ["setReporterReward", 1n],
      ] as const) {
        expect(await revertName(() => call(1, fn, [arg]))).toBe("NotGovernance");
      }
      expect(await revertName(() => call(1, "jail", [addr(1), 0n]))).toBe("NotGovernance");
      expect(await revertName(() => call(1, "slash", [addr(1), addr(1)]))).toBe("NotSlasher");
      expect(await revertName(() => call(0, "setSlasher", [addr(1)]))).toBe("SlasherAlreadySet");
      expect(await revertName(() => call(1, "unjail", []))).toBe("NotJailed");
    });

    it("exit leaves the set at the next epoch and refuses new stake; delegators still leave", async () => {
      await register(f, 1, 1);
      await call(2, "delegate", [addr(1), MEGA("10"), 0n]);
      await nextEpoch(f);
      await call(1, "exitValidator", []);
      expect(await revertName(() => call(1, "exitValidator", []))).toBe("AlreadyExited");
      expect(await revertName(() => call(3, "delegate", [addr(1), MEGA("1"), 0n]))).toBe(
        "ValidatorNotAcceptingStake",
      );
      expect((await read("validatorSet", [await read("currentEpoch")]))[0]).toEqual([addr(1)]);
      await nextEpoch(f);
      expect((await read("validatorSet", [await read("currentEpoch")]))[0]).toEqual([]);
      await call(2, "undelegate", [addr(1), 2n ** 256n - 1n, 2n ** 255n]);
    });
  });
});
