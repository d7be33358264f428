import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicKeyFromSecretKey } from "../../../src/crypto/index.ts";
import { type AnvilHandle, startAnvil } from "../../../src/l1/anvil.ts";
import { StakingManagerAbi } from "../../../src/l1/artifacts.ts";
import { backoffDelayMs } from "../../../src/l1/backoff.ts";
import {
  type EpochValidatorSet,
  ValidatorSetFollower,
  ValidatorSetFollowerError,
} from "../../../src/l1/validator-set-follower.ts";
import { createMetrics } from "../../../src/metrics/index.ts";
import { silentLogger } from "../../../src/node/logger.ts";
import {
  type Fixture,
  MEGA,
  mine,
  nextEpoch,
  register,
  revertTo,
  setUpSuite,
  snapshot,
} from "../contracts/fixture.ts";

const CONFIRMATIONS = 3;

/** Moves to the first block of a fresh epoch (so the test's few transactions stay inside it). */
async function freshEpoch(f: Fixture): Promise<number> {
  await nextEpoch(f);
  return currentEpoch(f);
}

async function currentEpoch(f: Fixture): Promise<number> {
  return Number(
    await f.pc.readContract({ address: f.staking, abi: StakingManagerAbi, functionName: "currentEpoch" }),
  );
}

function follower(f: Fixture, fromEpoch: number, extra: { rpcUrl?: string } = {}): ValidatorSetFollower {
  return new ValidatorSetFollower(
    {
      stakingManager: f.staking,
      confirmations: CONFIRMATIONS,
      pollIntervalMs: 20,
      backoffBaseMs: 20,
      backoffMaxMs: 80,
      fromEpoch,
      keepEpochs: 2,
      ...extra,
    },
    { log: silentLogger, publicClient: extra.rpcUrl ? undefined : f.pc },
  );
}

describe("ValidatorSetFollower", () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await setUpSuite();
  }, 60_000);
  afterAll(async () => {
    await f?.close();
  });

  it("computes deterministic capped backoff delays", () => {
    const caps = { backoffBaseMs: 100, backoffMaxMs: 1000 };
    expect([1, 2, 3, 4, 5, 50].map((n) => backoffDelayMs(n, caps))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("rejects bad options with a typed error", () => {
    expect(
      () =>
        new ValidatorSetFollower(
          { stakingManager: f.staking, confirmations: -1, pollIntervalMs: 10 },
          { log: silentLogger, publicClient: f.pc },
        ),
    ).toThrow(ValidatorSetFollowerError);
  });

  it("reports a registered validator's set for the next epoch once its anchor is confirmed", async () => {
    const start = await freshEpoch(f);
    const fol = follower(f, start + 1);
    const seen: EpochValidatorSet[] = [];
    fol.onEpoch((s) => seen.push(s));
    const { secret } = await register(f, 1, 1, MEGA("1000"));
    await nextEpoch(f);
    const epoch = start + 1;
    expect(await currentEpoch(f)).toBe(epoch);
    // The anchor block is the head: not yet confirmed.
    for (let i = 0; i < CONFIRMATIONS; i++) {
      expect(await fol.pollOnce()).toEqual([]);
      await mine(f, 1);
    }
    const reported = await fol.pollOnce();
    expect(reported.map((s) => s.epoch)).toEqual([epoch]);
    const set = reported[0];
    expect(set.validators).toHaveLength(1);
    expect(set.validators[0].index).toBe(0);
    expect(set.validators[0].address.toLowerCase()).toBe(f.accounts[1].address.toLowerCase());
    expect(set.validators[0].pubkey).toEqual(publicKeyFromSecretKey(secret));
    expect(set.validators[0].pubkey).toHaveLength(48);
    expect(set.validators[0].votingPower).toBe(MEGA("1000"));
    // Exactly once: more polls in the same epoch report nothing.
    await mine(f, 1);
    expect(await fol.pollOnce()).toEqual([]);
    expect(seen.map((s) => s.epoch)).toEqual([epoch]);
    expect(fol.get(epoch)).toBe(set);
  }, 60_000);

  it("a reorg of unconfirmed blocks changes nothing reported", async () => {
    const start = await freshEpoch(f);
    const fol = follower(f, start + 1);
    await fol.pollOnce();
    const snap = await snapshot(f);
    // Fork A: validator 2 registers and the next epoch begins, but too few blocks follow it.
    await register(f, 2, 2, MEGA("2000"));
    await nextEpoch(f);
    await mine(f, CONFIRMATIONS - 1);
    expect(await fol.pollOnce()).toEqual([]);
    await revertTo(f, snap);
    // Fork B (the canonical one): no registration; the epoch begins and is confirmed.
    await nextEpoch(f);
    await mine(f, CONFIRMATIONS);
    const reported = await fol.pollOnce();
    expect(reported).toHaveLength(1);
    expect(reported[0].epoch).toBe(start + 1);
    expect(reported[0].validators.map((v) => v.address.toLowerCase())).toEqual([
      f.accounts[1].address.toLowerCase(),
    ]);
  }, 60_000);

  it("keeps only the last keepEpochs sets and reports skipped epochs in order", async () => {
    const start = await freshEpoch(f);
    const fol = follower(f, start);
    const seen: number[] = [];
    // A faulty listener does not stop the others or the follower.
    fol.onEpoch(() => {
      throw new Error("listener bug");
    });
    fol.onEpoch((s) => seen.push(s.epoch));
    for (let i = 0; i < 3; i++) await nextEpoch(f);
    await mine(f, CONFIRMATIONS);
    await fol.pollOnce();
    expect(seen).toEqual([start, start + 1, start + 2, start + 3]);
    expect(fol.get(start)).toBeUndefined();
    expect(fol.get(start + 3)?.epoch).toBe(start + 3);
  }, 60_000);

  it("survives an L1 outage: counts errors, backs off, and resumes at the next epoch", async () => {
    const dir = mkdtempSync(join(tmpdir(), "megaseq-follower-"));
    const { registry, metrics } = createMetrics({ processMetrics: false });
    let second: AnvilHandle | undefined;
    const start = await freshEpoch(f);
    const fol = new ValidatorSetFollower(
      {
        rpcUrl: f.anvil.rpcUrl,
        stakingManager: f.staking,
        confirmations: CONFIRMATIONS,
        pollIntervalMs: 20,
        backoffBaseMs: 20,
        backoffMaxMs: 80,
        fromEpoch: start,
      },
      { log: silentLogger, metrics: metrics.l1 },
    );
    try {
      await mine(f, CONFIRMATIONS);
      fol.start();
      await fol.waitForEpoch(start);
      // Save the chain, take L1 away, and wait for the follower to notice.
      const state = (await f.pc.request({ method: "anvil_dumpState" as never })) as string;
      const statePath = join(dir, "state.hex");
      // anvil_dumpState answers gzipped JSON as hex; --load-state reads the JSON.
      writeFileSync(statePath, gunzipSync(Buffer.from(state.slice(2), "hex")));
      const failedTwice = new Promise<void>((resolve) => {
        let n = 0;
        fol.onError(() => {
          if (++n === 2) resolve();
        });
      });
      await f.anvil.stop();
      await failedTwice;
      expect(fol.consecutiveFailures).toBeGreaterThanOrEqual(2);
      const errors = await registry.getSingleMetricAsString("megaseq_l1_rpc_errors_total");
      expect(errors).toMatch(/megaseq_l1_rpc_errors_total [1-9]/);
      // L1 comes back on the same port with the same chain.
      second = await startAnvil({ port: f.anvil.port, args: ["--load-state", statePath] });
      f.anvil = second;
      const next = fol.waitForEpoch(start + 1);
      await nextEpoch(f);
      await mine(f, CONFIRMATIONS);
      const set = await next;
      expect(set.epoch).toBe(start + 1);
      expect(fol.consecutiveFailures).toBe(0);
      expect(fol.nextEpoch).toBe(start + 2);
    } finally {
      await fol.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("a validator jailed on L1 leaves the next epoch's set", async () => {
    const start = await freshEpoch(f);
    const fol = follower(f, start + 1);
    await register(f, 3, 3, MEGA("1500"));
    // Governance jails; here the test impersonates the timelock through anvil.
    const governance = await f.pc.readContract({
      address: f.staking,
      abi: StakingManagerAbi,
      functionName: "governance",
    });
    await f.pc.request({ method: "anvil_impersonateAccount" as never, params: [governance] as never });
    await f.pc.request({
      method: "anvil_setBalance" as never,
      params: [governance, "0xde0b6b3a7640000"] as never,
    });
    await nextEpoch(f);
    await mine(f, CONFIRMATIONS);
    const before = (await fol.pollOnce())[0];
    expect(before.validators.map((v) => v.address.toLowerCase())).toContain(
      f.accounts[3].address.toLowerCase(),
    );
    const { createWalletClient, http } = await import("viem");
    const gov = createWalletClient({
      chain: f.pc.chain,
      transport: http(f.anvil.rpcUrl),
      account: governance,
    });
    const hash = await gov.writeContract({
      address: f.staking,
      abi: StakingManagerAbi,
      functionName: "jail",
      args: [f.accounts[3].address, 2n ** 63n],
    });
    expect((await f.pc.waitForTransactionReceipt({ hash })).status).toBe("success");
    await nextEpoch(f);
    await mine(f, CONFIRMATIONS);
    const after = (await fol.pollOnce())[0];
    expect(after.epoch).toBe(start + 2);
    expect(after.validators.map((v) => v.address.toLowerCase())).not.toContain(
      f.accounts[3].address.toLowerCase(),
    );
  }, 60_000);
});
