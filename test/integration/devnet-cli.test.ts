import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import type { DevnetInfo } from "../../src/node/devnet.ts";
import { MEGASEQ_BIN } from "../../src/node/devnet-process.ts";
import { committedHeight, pidAlive, waitUntil } from "./node-helpers.ts";

/**
 * `megaseq devnet` end to end in a real process: anvil, the L1 suite, 4 validators registered and
 * staked, genesis from StakingManager's set, 4 nodes that commit, devnet.json, funded accounts
 * visible over a node's JSON-RPC, and SIGTERM stopping every process it started.
 */
async function rpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

describe("megaseq devnet", () => {
  const root = mkdtempSync(join(tmpdir(), "megaseq-devnet-"));
  let devnet: ChildProcess | undefined;
  /** What the first devnet left behind, for the --keep restart. */
  let kept: { genesis: string; height: number; to: string } | undefined;

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

  interface RunningDevnet {
    child: ChildProcess;
    info: DevnetInfo;
    stderr: () => string;
    exited: Promise<number | null>;
  }

  /** Spawns `megaseq devnet ... --json` and resolves once it printed devnet.json. */
  const startDevnet = async (dir: string, extra: string[]): Promise<RunningDevnet> => {
    let stdout = "";
    let stderr = "";
    const child = spawn(
      process.execPath,
      [
        MEGASEQ_BIN,
        "devnet",
        "--validators",
        "4",
        "--dir",
        dir,
        "--base-timeout-ms",
        "500",
        "--json",
        ...extra,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    devnet = child;
    child.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const info = await new Promise<DevnetInfo>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`devnet printed no JSON in time: ${stderr.slice(-3000)}`)),
        240_000,
      );
      child.stdout?.on("data", (b: Buffer) => {
        stdout += b.toString();
        const line = stdout.split("\n").find((l) => l.startsWith("{"));
        if (line && stdout.includes("\n")) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as DevnetInfo);
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`devnet exited with ${code}: ${stdout} ${stderr.slice(-3000)}`));
      });
    });
    return { child, info, stderr: () => stderr, exited };
  };

  const allCommit = (info: DevnetInfo, atLeast: number): Promise<boolean> =>
    waitUntil(
      `all ${info.nodes.length} devnet nodes to commit ${atLeast} blocks`,
      async () => {
        const hs = await Promise.all(info.nodes.map((n) => committedHeight(n.metricsUrl)));
        return hs.every((h) => (h ?? 0) >= atLeast);
      },
      120_000,
      200,
    );

  /** SIGTERM; the devnet exits 0 and no process it started is left. */
  const stopDevnet = async (run: RunningDevnet): Promise<void> => {
    const pids = [...run.stderr().matchAll(/\(pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids.length).toBe(5); // anvil and 4 nodes
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toContain("devnet: stopped");
    expect(pids.filter(pidAlive)).toEqual([]);
  };

  it("starts 4 committing nodes, writes devnet.json, and stops everything on SIGTERM", async () => {
    const dir = join(root, "net");
    const run = await startDevnet(dir, []);
    const info = run.info;

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

    await allCommit(info, 3);

    // A funded test account is visible through a node's JSON-RPC, and a transfer signed with
    // its key goes through one node and shows on another.
    const rpcUrl = info.nodes[0].rpcUrl as string;
    const otherRpc = info.nodes[2].rpcUrl as string;
    expect(rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(otherRpc).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const [from, to] = info.accounts;
    expect(BigInt(await rpc<string>(rpcUrl, "eth_getBalance", [from.address, "latest"]))).toBe(
      BigInt(from.balance),
    );
    const gasPrice = BigInt(await rpc<string>(rpcUrl, "eth_gasPrice", []));
    const raw = await privateKeyToAccount(from.privateKey).signTransaction({
      type: "eip1559",
      chainId: info.chainId,
      nonce: 0,
      to: to.address,
      value: 10n ** 18n,
      gas: 21_000n,
      maxFeePerGas: gasPrice * 2n + 1n,
      maxPriorityFeePerGas: 1n,
    });
    const hash = await rpc<string>(rpcUrl, "eth_sendRawTransaction", [raw]);
    const receipt = await waitUntil(
      "the transfer's receipt on another node",
      () =>
        rpc<{ status: string } | null>(otherRpc, "eth_getTransactionReceipt", [hash]).then(
          (r) => r ?? undefined,
        ),
      60_000,
      200,
    );
    expect(receipt.status).toBe("0x1");
    expect(BigInt(await rpc<string>(otherRpc, "eth_getBalance", [to.address, "latest"]))).toBe(
      BigInt(to.balance) + 10n ** 18n,
    );

    kept = {
      genesis: readFileSync(info.genesisFile, "utf8"),
      height: Math.min(
        ...(await Promise.all(info.nodes.map(async (n) => (await committedHeight(n.metricsUrl)) ?? 0))),
      ),
      to: info.accounts[1].address,
    };
    await stopDevnet(run);
    // anvil saved its state for --keep on the way out.
    expect(existsSync(join(dir, "anvil-state.json"))).toBe(true);
  }, 360_000);

  it("--keep restarts the same devnet: same genesis, L1 state and chain, which goes on", async () => {
    expect(kept).toBeDefined();
    const previous = kept as NonNullable<typeof kept>;
    const dir = join(root, "net");
    const run = await startDevnet(dir, ["--keep"]);
    expect(readFileSync(run.info.genesisFile, "utf8")).toBe(previous.genesis);
    expect(run.stderr()).toContain("L1 state restored");
    // The chain continues from where it stopped, on every node.
    await allCommit(run.info, previous.height + 3);
    // The L2 state survived too: the transfer made before the restart is still there.
    const balance = await rpc<string>(run.info.nodes[1].rpcUrl as string, "eth_getBalance", [
      previous.to,
      "latest",
    ]);
    expect(BigInt(balance)).toBe(BigInt(run.info.accounts[1].balance) + 10n ** 18n);
    await stopDevnet(run);
  }, 360_000);
});
