import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { DevnetInfo } from "../../src/node/devnet.ts";
import { MEGASEQ_BIN } from "../../src/node/devnet-process.ts";
import { committedHeight, pidAlive, waitUntil } from "./node-helpers.ts";

/**
 * `megaseq devnet` end to end in a real process: anvil, the L1 suite, 4 validators registered and
 * staked, genesis from StakingManager's set, 4 nodes that commit, devnet.json, funded accounts
 * visible over a node's JSON-RPC, and SIGTERM stopping every process it started.
 */
describe("megaseq devnet", () => {
  const root = mkdtempSync(join(tmpdir(), "megaseq-devnet-"));
  let devnet: ChildProcess | undefined;

  afterAll(() => {
    if (devnet && devnet.exitCode === null) devnet.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  });

  it("refuses bad options and starts nothing", async () => {
    const dir = join(root, "bad");
    const out = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [MEGASEQ_BIN, "devnet", "--validators", "0", "--dir", dir, "--json"],
        { timeout: 60_000 },
        (error, stdout) => resolve({ code: error ? Number(error.code) : 0, stdout: String(stdout) }),
      );
    });
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout.trim()).error.code).toBe("BAD_OPTION");
    expect(existsSync(dir)).toBe(false);
  }, 60_000);

  it("starts 4 committing nodes, writes devnet.json, and stops everything on SIGTERM", async () => {
    const dir = join(root, "net");
    let stdout = "";
    let stderr = "";
    const child = spawn(
      process.execPath,
      [MEGASEQ_BIN, "devnet", "--validators", "4", "--dir", dir, "--base-timeout-ms", "500", "--json"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    devnet = child;
    child.stdout?.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

    const info = await waitUntil(
      "devnet to print its JSON",
      () => {
        if (child.exitCode !== null) throw new Error(`devnet exited: ${stdout} ${stderr.slice(-2000)}`);
        const line = stdout.split("\n").find((l) => l.startsWith("{"));
        return line ? (JSON.parse(line) as DevnetInfo) : undefined;
      },
      240_000,
      200,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${stderr.slice(-3000)}`);
    });

    // devnet.json on disk is what was printed, in the documented shape.
    const file = JSON.parse(readFileSync(join(dir, "devnet.json"), "utf8")) as DevnetInfo;
    expect(file).toEqual(info);
    expect(info.chainId).toBe(4242);
    expect(info.nodes).toHaveLength(4);
    expect(info.accounts).toHaveLength(10);
    expect(Object.keys(info.contracts).sort()).toEqual(
      ["Governor", "MegaToken", "Slashing", "StakingManager", "Timelock"].sort(),
    );
    // The genesis validators are the set StakingManager reported, with stake as voting power.
    const genesis = JSON.parse(readFileSync(info.genesisFile, "utf8")) as {
      validators: { address: string; votingPower: string }[];
      l1: { contracts: Record<string, string> };
    };
    expect(genesis.validators.map((v) => v.address.toLowerCase()).sort()).toEqual(
      info.nodes.map((n) => n.validator.toLowerCase()).sort(),
    );
    expect(genesis.validators.every((v) => BigInt(v.votingPower) === 10_000n * 10n ** 18n)).toBe(true);
    expect(genesis.l1.contracts.StakingManager).toBe(info.contracts.StakingManager);

    await waitUntil(
      "all 4 devnet nodes to commit 3 blocks",
      async () => {
        const hs = await Promise.all(info.nodes.map((n) => committedHeight(n.metricsUrl)));
        return hs.every((h) => (h ?? 0) >= 3);
      },
      120_000,
      200,
    );

    // A funded test account is visible through a node's JSON-RPC (when the node serves one).
    const rpcUrl = info.nodes[0].rpcUrl;
    if (rpcUrl !== null) {
      const response = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "eth_getBalance",
          params: [info.accounts[0].address, "latest"],
        }),
      });
      const body = (await response.json()) as { result: string };
      expect(BigInt(body.result)).toBe(BigInt(info.accounts[0].balance));
    }

    const pids = [...stderr.matchAll(/\(pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids.length).toBe(5); // anvil and 4 nodes
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr).toContain("devnet: stopped");
    expect(pids.filter(pidAlive)).toEqual([]);
    // anvil saved its state for --keep on the way out.
    expect(existsSync(join(dir, "anvil-state.json"))).toBe(true);
  }, 360_000);
});
