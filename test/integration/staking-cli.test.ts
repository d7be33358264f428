import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, http } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANVIL_DEV_KEYS, type AnvilHandle, startAnvil } from "../../src/l1/anvil.ts";
import { StakingManagerAbi } from "../../src/l1/artifacts.ts";

/**
 * The walk-through of docs/staking.md, step by step through the real CLI (`node bin/megaseq.js`)
 * against a real anvil: deploy, register, delegate, undelegate, withdraw after the unbonding
 * period, and a governance proposal that changes the unbonding period.
 */
// biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON output, checked field by field below
type CliJson = any;

const BIN = join(import.meta.dirname, "..", "..", "bin", "megaseq.js");

describe("staking walk-through through the CLI", () => {
  let anvil: AnvilHandle;
  let dir: string;
  let common: string[];

  // Asynchronous on purpose: a synchronous spawn would stop this process from draining anvil's
  // output pipe, and anvil blocks once that pipe is full.
  const run = async (
    args: string[],
    expectOk = true,
  ): Promise<{ code: number; json: CliJson; stderr: string }> => {
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args, "--json"],
        { cwd: dir, timeout: 300_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
          resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        },
      );
    });
    const lines = r.stdout.trim().split("\n");
    const json =
      lines.length > 0 && lines[lines.length - 1] ? JSON.parse(lines[lines.length - 1]) : undefined;
    if (expectOk && r.code !== 0)
      throw new Error(`megaseq ${args.join(" ")} failed: ${r.stdout} ${r.stderr}`);
    return { code: r.code, json, stderr: r.stderr };
  };

  beforeAll(async () => {
    anvil = await startAnvil();
    dir = mkdtempSync(join(tmpdir(), "megaseq-staking-"));
    writeFileSync(join(dir, "deployer.key"), `${ANVIL_DEV_KEYS[0]}\n`, { mode: 0o600 });
    writeFileSync(join(dir, "operator.key"), `${ANVIL_DEV_KEYS[1]}\n`, { mode: 0o600 });
    writeFileSync(join(dir, "delegator.key"), `${ANVIL_DEV_KEYS[2]}\n`, { mode: 0o600 });
    writeFileSync(join(dir, "password.txt"), "correct horse battery staple\n", { mode: 0o600 });
    common = ["--rpc", anvil.rpcUrl, "--deployment", "deployment.json"];
  });
  afterAll(async () => {
    await anvil?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("deploys, registers, delegates, unbonds, withdraws and governs", async () => {
    // 1. Deploy.
    const deployed = (
      await run([
        "l1",
        "deploy",
        "--rpc",
        anvil.rpcUrl,
        "--key",
        "deployer.key",
        "--out",
        "deployment.json",
        "--unbonding-period",
        "600",
        "--evidence-window",
        "300",
        "--epoch-length",
        "5",
        "--min-self-stake",
        "100",
        "--voting-period",
        "10",
        "--timelock-delay",
        "60",
      ])
    ).json;
    expect(Object.keys(deployed.contracts).sort()).toEqual([
      "Governor",
      "MegaToken",
      "Slashing",
      "StakingManager",
      "Timelock",
    ]);
    expect(JSON.parse(readFileSync(join(dir, "deployment.json"), "utf8"))).toEqual(deployed);
    const operator = (await run(["keys", "show", "operator.key"])).json.address as string;
    const delegator = (await run(["keys", "show", "delegator.key"])).json.address as string;
    await run(["l1", "transfer", operator, "5000", ...common, "--key", "deployer.key"]);
    await run(["l1", "transfer", delegator, "5000", ...common, "--key", "deployer.key"]);

    // 2. Register a validator with a fresh BLS keystore.
    await run([
      "keys",
      "new-bls",
      "--out",
      "validator-keystore.json",
      "--password-file",
      "password.txt",
      "--insecure-fast-kdf",
    ]);
    const registered = (
      await run([
        "validator",
        "register",
        "--bls-keystore",
        "validator-keystore.json",
        "--password-file",
        "password.txt",
        "--self-stake",
        "1000",
        "--commission-bps",
        "1000",
        ...common,
        "--key",
        "operator.key",
      ])
    ).json;
    expect(registered.validator).toBe(operator);
    await run(["l1", "advance", "--rpc", anvil.rpcUrl, "--blocks", "5"]);
    const info = (await run(["validator", "info", operator, ...common])).json;
    expect(info.validator.selfStake).toMatch(/^(1000|999\.9+)$/);

    // Bad arguments are refused before anything is sent.
    const bad = await run(["delegate", operator, "-3", ...common, "--key", "delegator.key"], false);
    expect(bad.code).not.toBe(0);
    const noKey = await run(["delegate", operator, "1", ...common], false);
    expect(noKey.json.error.code).toBe("NO_KEY");

    // 3. Delegate, undelegate.
    await run(["delegate", operator, "250.5", ...common, "--key", "delegator.key"]);
    let stake = (await run(["stake-info", delegator, ...common])).json;
    expect(Number(stake.delegations[0].stake)).toBeCloseTo(250.5, 6);
    await run(["undelegate", operator, "100", ...common, "--key", "delegator.key"]);

    // 4. Withdrawing before the unbonding period is refused, in words.
    const early = await run(["withdraw", ...common, "--key", "delegator.key"], false);
    expect(early.code).toBe(1);
    expect(early.json.error.code).toBe("L1_REVERT");
    expect(early.json.error.message).toMatch(/no unbonding entry has reached its unlock time/);

    // 5. Time travel past the unbonding period, then withdraw.
    await run(["l1", "advance", "--rpc", anvil.rpcUrl, "--seconds", "601"]);
    const withdrawn = (await run(["withdraw", ...common, "--key", "delegator.key"])).json;
    expect(withdrawn.withdrawn).toBe("100");
    stake = (await run(["stake-info", delegator, ...common])).json;
    expect(stake.unbonding).toEqual([]);

    // 6. Governance: change the unbonding period to 1200 s.
    await run(["gov", "delegate-votes", ...common, "--key", "deployer.key"]);
    const proposal = (
      await run([
        "gov",
        "propose",
        "--set",
        "unbondingPeriod=1200",
        "--description",
        "Unbonding period to 1200 s",
        ...common,
        "--key",
        "deployer.key",
      ])
    ).json;
    await run(["l1", "advance", "--rpc", anvil.rpcUrl, "--blocks", "2"]);
    await run(["gov", "vote", proposal.proposalId, "for", ...common, "--key", "deployer.key"]);
    await run(["l1", "advance", "--rpc", anvil.rpcUrl, "--blocks", "11"]);
    expect((await run(["gov", "show", proposal.proposalId, ...common])).json.state).toBe("Succeeded");
    await run(["gov", "queue", proposal.proposalId, ...common, "--key", "deployer.key"]);
    await run(["l1", "advance", "--rpc", anvil.rpcUrl, "--seconds", "61"]);
    await run(["gov", "execute", proposal.proposalId, ...common, "--key", "deployer.key"]);
    expect((await run(["gov", "show", proposal.proposalId, ...common])).json.state).toBe("Executed");
  }, 900_000);

  it("reads the new unbonding period from the contract", async () => {
    const deployment = JSON.parse(readFileSync(join(dir, "deployment.json"), "utf8"));
    const pc = createPublicClient({ transport: http(anvil.rpcUrl) });
    const period = await pc.readContract({
      address: deployment.contracts.StakingManager,
      abi: StakingManagerAbi,
      functionName: "unbondingPeriod",
    });
    expect(period).toBe(1200n);
  });
});
