import fc from "fast-check";
import { type Address, type Hex, hexToBytes, keccak256 } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { g1FromEip2537, popProve, popVerify, sign } from "../../../src/crypto/index.ts";
import { MegaTokenAbi, SlashingAbi, StakingManagerAbi } from "../../../src/l1/artifacts.ts";
import { DEFAULT_L2_CHAIN_ID } from "../../../src/l1/deploy.ts";
import { voteEvidence } from "../../../src/l1/evidence.ts";
import { popMessage, registrationKey } from "../../../src/l1/pop.ts";
import { decodeRevert } from "../../../src/l1/revert.ts";
import { signingRootOfVote, type Vote } from "../../../src/types/index.ts";
import {
  blsSecret,
  type Fixture,
  increaseTime,
  MEGA,
  nextEpoch,
  register,
  revertTo,
  send,
  setUpSuite,
  snapshot,
} from "./fixture.ts";

/**
 * Random sequences of stake, delegate, undelegate, withdraw, reward claims, slashes, time travel
 * and epoch advances against the real contracts; each sequence starts from one anvil snapshot.
 * The invariants of issue 3 are checked during and after every sequence.
 */
const RUNS = Number(process.env.MEGASEQ_INVARIANT_RUNS ?? 200);
const SEED = Number(process.env.MEGASEQ_INVARIANT_SEED ?? 20261121);
const VALIDATORS = [1, 2, 3]; // account indexes; BLS seeds 31, 32, 33
const DELEGATORS = [4, 5, 6, 7];
const MAX_SET = 2;
const FRACTION_BPS = 1000n;
const CHAIN = Number(DEFAULT_L2_CHAIN_ID);
const ACCEPTED_REVERTS = new Set([
  "InsufficientShares",
  "NothingToWithdraw",
  "NothingToClaim",
  "TooManyUnbondingEntries",
  "ValidatorNotAcceptingStake",
  "SelfStakeTooLow",
  "Tombstoned",
  "NotInSet",
  "StaleEvidence",
  "ZeroAmount",
]);

type Action =
  | { t: "delegate"; d: number; v: number; amount: bigint }
  | { t: "stake"; v: number; amount: bigint }
  | { t: "undelegate"; d: number; v: number; pct: number }
  | { t: "roundTrip"; d: number; v: number; amount: bigint }
  | { t: "withdraw"; d: number }
  | { t: "claim"; d: number }
  | { t: "time"; seconds: number }
  | { t: "epoch" }
  | { t: "slash"; v: number; round: number }
  | { t: "forgedPop"; d: number };

const amountArb = fc.bigInt({ min: 1n, max: MEGA("5000") });
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    t: fc.constant("delegate" as const),
    d: fc.constantFrom(...DELEGATORS),
    v: fc.constantFrom(...VALIDATORS),
    amount: amountArb,
  }),
  fc.record({ t: fc.constant("stake" as const), v: fc.constantFrom(...VALIDATORS), amount: amountArb }),
  fc.record({
    t: fc.constant("undelegate" as const),
    d: fc.constantFrom(...DELEGATORS, ...VALIDATORS),
    v: fc.constantFrom(...VALIDATORS),
    pct: fc.integer({ min: 1, max: 100 }),
  }),
  fc.record({
    t: fc.constant("roundTrip" as const),
    d: fc.constantFrom(...DELEGATORS),
    v: fc.constantFrom(...VALIDATORS),
    amount: amountArb,
  }),
  fc.record({ t: fc.constant("withdraw" as const), d: fc.constantFrom(...DELEGATORS, ...VALIDATORS) }),
  fc.record({ t: fc.constant("claim" as const), d: fc.constantFrom(...DELEGATORS, ...VALIDATORS) }),
  fc.record({ t: fc.constant("time" as const), seconds: fc.integer({ min: 1, max: 1500 }) }),
  fc.record({ t: fc.constant("epoch" as const) }),
  fc.record({
    t: fc.constant("slash" as const),
    v: fc.constantFrom(...VALIDATORS),
    round: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ t: fc.constant("forgedPop" as const), d: fc.constantFrom(...DELEGATORS) }),
);

interface ValidatorView {
  registered: boolean;
  jailed: boolean;
  tombstoned: boolean;
  exited: boolean;
  stake: bigint;
  shares: bigint;
  unbondingTokens: bigint;
  unbondingShares: bigint;
  blsPubkey: Hex;
}

describe("StakingManager invariants (fast-check on anvil)", () => {
  let f: Fixture;
  let base: Hex;
  const secrets = new Map<number, Uint8Array>();
  const keys = new Map<number, Hex>();
  const forged = new Map<number, { pubkey: Hex; pop: Hex }>();
  const addr = (i: number): Address => f.accounts[i].address;
  // biome-ignore lint/suspicious/noExplicitAny: read helper over the typed ABI
  const read = (fn: string, args: readonly unknown[] = []): Promise<any> =>
    f.pc.readContract({
      address: f.staking,
      abi: StakingManagerAbi,
      functionName: fn as never,
      args: args as never,
    });
  const validator = (i: number): Promise<ValidatorView> => read("getValidator", [addr(i)]);

  beforeAll(async () => {
    f = await setUpSuite({ staking: { maxValidators: BigInt(MAX_SET) } });
    for (const v of VALIDATORS) {
      const { secret, pubkey } = await register(f, v, 30 + v, MEGA("100") * BigInt(v));
      secrets.set(v, secret);
      keys.set(v, pubkey);
      // The PoP as registered, checked by the TS verifier too.
      const message = popMessage(f.chainId, f.staking, addr(v), pubkey);
      expect(popVerify(g1FromEip2537(hexToBytes(pubkey)), message, popProve(secret, message))).toBe(true);
    }
    for (const d of DELEGATORS)
      forged.set(d, registrationKey(blsSecret(90 + d), f.chainId, f.staking, addr(1)));
    await nextEpoch(f);
    base = await snapshot(f);
  });
  afterAll(async () => {
    await f?.close();
  });

  /** Runs a transaction; an accepted revert returns its name, anything else fails the test. */
  const attempt = async (
    who: number,
    address: Address,
    abi: unknown,
    fn: string,
    args: readonly unknown[],
  ): Promise<string | undefined> => {
    try {
      await send(f.pc, f.wallets[who], address, abi, fn, args);
      return undefined;
    } catch (error) {
      const decoded = decodeRevert(error);
      if (decoded && ACCEPTED_REVERTS.has(decoded.errorName)) return decoded.errorName;
      throw error;
    }
  };

  const topN = (
    views: Map<number, ValidatorView>,
    selfStakes: Map<number, bigint>,
    minSelf: bigint,
  ): Address[] => {
    const eligible = VALIDATORS.filter((i) => {
      const v = views.get(i)!;
      return (
        v.registered &&
        !v.jailed &&
        !v.tombstoned &&
        !v.exited &&
        v.stake > 0n &&
        selfStakes.get(i)! >= minSelf
      );
    });
    eligible.sort((a, b) => {
      const sa = views.get(a)!.stake;
      const sb = views.get(b)!.stake;
      if (sa !== sb) return sa > sb ? -1 : 1;
      return BigInt(addr(a)) < BigInt(addr(b)) ? -1 : 1;
    });
    return eligible.slice(0, MAX_SET).map(addr);
  };

  const checkGlobal = async (): Promise<void> => {
    const [balance, totalStake, totalUnbonding, owed, reserve] = await Promise.all([
      f.pc.readContract({
        address: f.token,
        abi: MegaTokenAbi,
        functionName: "balanceOf",
        args: [f.staking],
      }),
      read("totalStake"),
      read("totalUnbonding"),
      read("rewardsOwed"),
      read("rewardReserve"),
    ]);
    // Token conservation.
    expect(balance).toBe(totalStake + totalUnbonding + owed + reserve);
    const holders = [...DELEGATORS, ...VALIDATORS];
    const perValidator = await Promise.all(
      VALIDATORS.map(async (vi) => {
        const [v, dels, values] = await Promise.all([
          validator(vi),
          Promise.all(holders.map((h) => read("getDelegation", [addr(vi), addr(h)]))),
          Promise.all(holders.map((h) => read("stakeOf", [addr(vi), addr(h)]))),
        ]);
        const owner = await read("validatorOfKey", [keccak256(v.blsPubkey)]);
        return { vi, v, dels, values, owner };
      }),
    );
    let sumStake = 0n;
    let sumUnbonding = 0n;
    for (const { vi, v, dels, values, owner } of perValidator) {
      sumStake += v.stake;
      sumUnbonding += v.unbondingTokens;
      // Stake = self-stake + delegations: shares add up exactly, values up to rounding dust.
      expect(dels.reduce((s: bigint, d: { shares: bigint }) => s + d.shares, 0n)).toBe(v.shares);
      const sumValues = values.reduce((s: bigint, x: bigint) => s + x, 0n);
      expect(sumValues <= v.stake).toBe(true);
      expect(v.stake - sumValues <= BigInt(holders.length) + 1n).toBe(true);
      // Key and validator one-to-one, and the key is the one registered with a PoP checked valid
      // (in TS too) in beforeAll.
      expect(owner).toBe(addr(vi));
      expect(v.blsPubkey).toBe(keys.get(vi));
    }
    expect(sumStake).toBe(totalStake);
    expect(sumUnbonding).toBe(totalUnbonding);
  };

  it(`holds over ${RUNS} random sequences (seed ${SEED})`, async () => {
    const minSelf = (await read("minSelfStake")) as bigint;
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 1, maxLength: 6 }), async (actions) => {
        await revertTo(f, base);
        base = await snapshot(f);
        const seenSets = new Map<bigint, string>();
        const voteSnapshots: { who: Address; block: bigint; votes: bigint }[] = [];
        const observeSet = async (): Promise<void> => {
          const epoch = (await read("currentEpoch")) as bigint;
          const [vals] = await read("validatorSet", [epoch]);
          const key = JSON.stringify(vals);
          const prev = seenSets.get(epoch);
          if (prev !== undefined) expect(key).toBe(prev); // frozen within the epoch
          seenSets.set(epoch, key);
        };
        await observeSet();
        for (const a of actions) {
          switch (a.t) {
            case "delegate":
              await attempt(a.d, f.staking, StakingManagerAbi, "delegate", [addr(a.v), a.amount, 0n]);
              break;
            case "stake":
              await attempt(a.v, f.staking, StakingManagerAbi, "delegate", [addr(a.v), a.amount, 0n]);
              break;
            case "undelegate": {
              const value = (await read("stakeOf", [addr(a.v), addr(a.d)])) as bigint;
              const amount = a.pct === 100 ? 2n ** 256n - 1n : (value * BigInt(a.pct)) / 100n;
              if (amount === 0n) break;
              await attempt(a.d, f.staking, StakingManagerAbi, "undelegate", [addr(a.v), amount, 2n ** 255n]);
              break;
            }
            case "roundTrip": {
              // Delegate then undelegate everything at once: never get back more than was put in.
              const before = (await read("getDelegation", [addr(a.v), addr(a.d)])).shares as bigint;
              if (before !== 0n) break;
              if (await attempt(a.d, f.staking, StakingManagerAbi, "delegate", [addr(a.v), a.amount, 0n]))
                break;
              const r = await attempt(a.d, f.staking, StakingManagerAbi, "undelegate", [
                addr(a.v),
                2n ** 256n - 1n,
                2n ** 255n,
              ]);
              if (r) break;
              const queue = (await read("unbondings", [addr(a.d)])) as unknown[];
              const got = (await read("unbondingValue", [addr(a.d), BigInt(queue.length - 1)])) as bigint;
              expect(got <= a.amount).toBe(true);
              break;
            }
            case "withdraw": {
              const queue = (await read("unbondings", [addr(a.d)])) as { unlockTime: bigint }[];
              const block = await f.pc.getBlock();
              // The withdraw tx is mined one second (or more) later; entries due by then pay.
              const due = await Promise.all(
                queue.map(async (e, i) => ({
                  e,
                  value: (await read("unbondingValue", [addr(a.d), BigInt(i)])) as bigint,
                })),
              );
              const balBefore = await f.pc.readContract({
                address: f.token,
                abi: MegaTokenAbi,
                functionName: "balanceOf",
                args: [addr(a.d)],
              });
              const r = await attempt(a.d, f.staking, StakingManagerAbi, "withdraw", []);
              const mined = await f.pc.getBlock();
              const balAfter = await f.pc.readContract({
                address: f.token,
                abi: MegaTokenAbi,
                functionName: "balanceOf",
                args: [addr(a.d)],
              });
              const expected = due
                .filter((x) => x.e.unlockTime <= mined.timestamp)
                .reduce((s, x) => s + x.value, 0n);
              expect(balAfter - balBefore).toBe(r ? 0n : expected);
              // Nothing unlocked later than the mined block was paid; paid entries are gone.
              const left = (await read("unbondings", [addr(a.d)])) as { unlockTime: bigint }[];
              expect(left.every((e) => e.unlockTime > mined.timestamp)).toBe(true);
              expect(left.length).toBe(due.filter((x) => x.e.unlockTime > mined.timestamp).length);
              expect(mined.number >= block.number).toBe(true);
              break;
            }
            case "claim":
              await attempt(a.d, f.staking, StakingManagerAbi, "claimRewards", [VALIDATORS.map(addr)]);
              break;
            case "time":
              await increaseTime(f, a.seconds);
              break;
            case "epoch": {
              await nextEpoch(f);
              const views = new Map<number, ValidatorView>();
              const selfStakes = new Map<number, bigint>();
              for (const vi of VALIDATORS) {
                views.set(vi, await validator(vi));
                selfStakes.set(vi, (await read("selfStake", [addr(vi)])) as bigint);
              }
              const [vals] = await read("validatorSet", [await read("currentEpoch")]);
              expect(vals).toEqual(topN(views, selfStakes, minSelf));
              break;
            }
            case "slash": {
              const epoch = Number(await read("currentEpoch"));
              const [vals] = (await read("validatorSet", [BigInt(epoch)])) as [Address[]];
              const index = vals.indexOf(addr(a.v));
              if (index < 0) break;
              const sk = secrets.get(a.v)!;
              const va: Vote = { epoch, round: a.round, blockRoot: new Uint8Array(32).fill(1) };
              const vb: Vote = { epoch, round: a.round, blockRoot: new Uint8Array(32).fill(2) };
              const evidence = voteEvidence({
                validatorIndex: index,
                voteA: va,
                signatureA: sign(sk, signingRootOfVote(CHAIN, va)),
                voteB: vb,
                signatureB: sign(sk, signingRootOfVote(CHAIN, vb)),
              });
              const before = await validator(a.v);
              const queues = await Promise.all(DELEGATORS.map((d) => read("unbondings", [addr(d)])));
              const r = await attempt(9, f.slashing, SlashingAbi, "submitDoubleSign", [evidence]);
              const after = await validator(a.v);
              if (r) {
                expect(after.stake).toBe(before.stake);
                break;
              }
              // Exactly the fraction of bonded stake and of the unbonding pool, never more.
              expect(before.stake - after.stake).toBe((before.stake * FRACTION_BPS) / 10_000n);
              expect(before.unbondingTokens - after.unbondingTokens).toBe(
                (before.unbondingTokens * FRACTION_BPS) / 10_000n,
              );
              expect(after.tombstoned).toBe(true);
              // It reached the pending unbonds of this validator (when there were any).
              if (before.unbondingTokens >= 10n) {
                expect(after.unbondingTokens < before.unbondingTokens).toBe(true);
                expect(
                  queues.some((q: { validator: Address }[]) => q.some((e) => e.validator === addr(a.v))),
                ).toBe(true);
              }
              // The same evidence again is refused.
              let again: string | undefined;
              try {
                await send(f.pc, f.wallets[9], f.slashing, SlashingAbi, "submitDoubleSign", [evidence]);
              } catch (error) {
                again = decodeRevert(error)?.errorName;
              }
              expect(again).toBe("AlreadySlashed");
              break;
            }
            case "forgedPop": {
              // A PoP made for another operator never registers a key.
              const { pubkey, pop } = forged.get(a.d)!;
              let name: string | undefined;
              try {
                await send(f.pc, f.wallets[a.d], f.staking, StakingManagerAbi, "registerValidator", [
                  pubkey,
                  pop,
                  0n,
                  MEGA("100"),
                  0n,
                ]);
              } catch (error) {
                name = decodeRevert(error)?.errorName;
              }
              expect(name).toBe("InvalidProofOfPossession");
              break;
            }
          }
          await observeSet();
          const block = await f.pc.getBlockNumber({ cacheTime: 0 });
          const who = addr(DELEGATORS[actions.indexOf(a) % DELEGATORS.length]);
          voteSnapshots.push({
            who,
            block: block - 1n,
            votes: (await read("getPastStakedVotes", [who, block - 1n])) as bigint,
          });
        }
        await checkGlobal();
        // Past vote snapshots never change.
        await f.pc.request({ method: "anvil_mine" as never, params: ["0x1"] as never });
        for (const s of voteSnapshots) {
          expect(await read("getPastStakedVotes", [s.who, s.block])).toBe(s.votes);
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  }, 600_000);
});
