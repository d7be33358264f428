import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  http,
  type Transport,
  type WalletClient,
} from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Evidence } from "../../../src/consensus/types.ts";
import { sign } from "../../../src/crypto/index.ts";
import { StakingManagerAbi } from "../../../src/l1/artifacts.ts";
import { EvidenceSubmitter, offenceKey } from "../../../src/l1/evidence-submitter.ts";
import { ValidatorSetFollower } from "../../../src/l1/validator-set-follower.ts";
import { createMetrics } from "../../../src/metrics/index.ts";
import { silentLogger } from "../../../src/node/logger.ts";
import { signingRootOfVote, type Vote } from "../../../src/types/index.ts";
import {
  blsSecret,
  type Fixture,
  MEGA,
  mine,
  nextEpoch,
  register,
  setUpSuite,
} from "../contracts/fixture.ts";

const REPORTER = 5;

function voteEquivocation(
  chainId: number,
  secret: Uint8Array,
  validatorIndex: number,
  epoch: number,
  round: number,
): Evidence {
  const voteA: Vote = { epoch, round, blockRoot: new Uint8Array(32).fill(0xaa) };
  const voteB: Vote = { epoch, round, blockRoot: new Uint8Array(32).fill(0xbb) };
  return {
    kind: "vote",
    epoch,
    evidence: {
      validatorIndex,
      voteA,
      signatureA: sign(secret, signingRootOfVote(chainId, voteA)),
      voteB,
      signatureB: sign(secret, signingRootOfVote(chainId, voteB)),
    },
  };
}

describe("EvidenceSubmitter", () => {
  let f: Fixture;
  let l2ChainId: number;
  let reporter: WalletClient<Transport, Chain, Account>;
  beforeAll(async () => {
    f = await setUpSuite();
    l2ChainId = Number(f.deployment.l2ChainId);
    reporter = f.wallets[REPORTER];
  }, 60_000);
  afterAll(async () => {
    await f?.close();
  });

  function submitter(metrics?: ReturnType<typeof createMetrics>["metrics"]["l1"]): EvidenceSubmitter {
    return new EvidenceSubmitter(
      { slashing: f.slashing, maxAttempts: 3, backoffBaseMs: 10, backoffMaxMs: 40 },
      { publicClient: f.pc, walletClient: reporter, log: silentLogger, metrics },
    );
  }

  const nonce = (): Promise<number> =>
    f.pc.getTransactionCount({ address: f.accounts[REPORTER].address, blockTag: "latest" });

  it("slashes and jails a validator for a real vote equivocation, once; it leaves the next set", async () => {
    const { registry, metrics } = createMetrics({ processMetrics: false });
    const { secret } = await register(f, 1, 1, MEGA("1000"));
    await nextEpoch(f);
    const epoch = Number(
      await f.pc.readContract({ address: f.staking, abi: StakingManagerAbi, functionName: "currentEpoch" }),
    );
    const sub = submitter(metrics.l1);
    const evidence = voteEquivocation(l2ChainId, secret, 0, epoch, 7);
    const before = await nonce();
    const outcome = await sub.submit(evidence);
    expect(outcome.result, outcome.reason).toBe("slashed");
    expect(outcome.txHash).toMatch(/^0x/);
    expect(outcome.offence).toBe(offenceKey(evidence));
    const v = await f.pc.readContract({
      address: f.staking,
      abi: StakingManagerAbi,
      functionName: "getValidator",
      args: [f.accounts[1].address],
    });
    expect(v.jailed).toBe(true);
    expect(v.tombstoned).toBe(true);
    expect(v.stake).toBe(MEGA("900")); // the test suite slashes 10%
    expect(await nonce()).toBe(before + 1);

    // Again: no second transaction.
    const again = await sub.submit(evidence);
    expect(again.result).toBe("duplicate");
    expect(await nonce()).toBe(before + 1);
    // A submitter without that memory is told by the contract, in words, and sends nothing.
    const fresh = await submitter().submit(evidence);
    expect(fresh.result).toBe("already_slashed");
    expect(fresh.reason).toMatch(/already been slashed/);
    expect(await nonce()).toBe(before + 1);
    const counted = await registry.getSingleMetricAsString("megaseq_l1_evidence_submitted_total");
    expect(counted).toMatch(/result="slashed"} 1/);
    expect(counted).toMatch(/result="duplicate"} 1/);

    // The follower no longer sees the validator from the next epoch on.
    const follower = new ValidatorSetFollower(
      { stakingManager: f.staking, confirmations: 2, pollIntervalMs: 20, fromEpoch: epoch },
      { log: silentLogger, publicClient: f.pc },
    );
    await nextEpoch(f);
    await mine(f, 2);
    const sets = await follower.pollOnce();
    expect(sets.map((s) => s.epoch)).toEqual([epoch, epoch + 1]);
    expect(sets[0].validators.map((x) => x.address)).toContain(f.accounts[1].address);
    expect(sets[1].validators.map((x) => x.address)).not.toContain(f.accounts[1].address);
  }, 60_000);

  it("rejects forged evidence (wrong signer) with a decoded reason, without retrying or sending", async () => {
    const { registry, metrics } = createMetrics({ processMetrics: false });
    await register(f, 2, 2, MEGA("1000"));
    await nextEpoch(f);
    const epoch = Number(
      await f.pc.readContract({ address: f.staking, abi: StakingManagerAbi, functionName: "currentEpoch" }),
    );
    const set = await f.pc.readContract({
      address: f.staking,
      abi: StakingManagerAbi,
      functionName: "validatorSet",
      args: [BigInt(epoch)],
    });
    const index = set[0].indexOf(f.accounts[2].address);
    expect(index).toBeGreaterThanOrEqual(0);
    const before = await nonce();
    // Signed by a key that is not validator 2's.
    const forged = voteEquivocation(l2ChainId, blsSecret(99), index, epoch, 3);
    const outcome = await submitter(metrics.l1).submit(forged);
    expect(outcome.result).toBe("rejected");
    expect(outcome.attempts).toBe(1);
    expect(outcome.reason).toMatch(/signature A does not verify.*InvalidSignature/);
    expect(await nonce()).toBe(before);
    expect(await registry.getSingleMetricAsString("megaseq_l1_evidence_submitted_total")).toMatch(
      /result="rejected"} 1/,
    );
    const v = await f.pc.readContract({
      address: f.staking,
      abi: StakingManagerAbi,
      functionName: "getValidator",
      args: [f.accounts[2].address],
    });
    expect(v.jailed).toBe(false);
  }, 60_000);

  it("retries an unreachable L1 a bounded number of times, then gives up and may try again later", async () => {
    const { registry, metrics } = createMetrics({ processMetrics: false });
    // Port 9 (discard) on loopback: connection refused.
    const dead = http("http://127.0.0.1:9", { retryCount: 0, timeout: 1_000 });
    const sub = new EvidenceSubmitter(
      { slashing: f.slashing, maxAttempts: 3, backoffBaseMs: 5, backoffMaxMs: 20 },
      {
        publicClient: createPublicClient({ transport: dead }),
        walletClient: createWalletClient({ transport: dead, account: f.accounts[REPORTER] }),
        log: silentLogger,
        metrics: metrics.l1,
      },
    );
    const evidence = voteEquivocation(l2ChainId, blsSecret(3), 0, 0, 1);
    const first = await sub.submit(evidence);
    expect(first.result).toBe("failed");
    expect(first.attempts).toBe(3);
    expect(await registry.getSingleMetricAsString("megaseq_l1_rpc_errors_total")).toMatch(
      /megaseq_l1_rpc_errors_total 3/,
    );
    // Not remembered as handled: a later sighting tries again.
    expect((await sub.submit(evidence)).result).toBe("failed");
  }, 60_000);
});
