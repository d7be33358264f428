import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeArgs, stopProcess } from "../../src/node/devnet-process.ts";
import {
  createLocalNetwork,
  type LocalNetwork,
  validatorProcessOptions,
} from "../../src/node/local-network.ts";
import { committedHeight, logTail, waitUntil } from "./node-helpers.ts";

/**
 * A real partition of four `megaseq node` processes, made with each node's libp2p connection gater
 * through the admin_ JSON-RPC namespace (off unless --enable-admin-rpc): split 2–2 there is no
 * quorum, so nobody commits; healed, commits resume and every node ends with the same chain.
 */
describe("megaseq node: 2-2 partition through admin_ RPC", () => {
  let dir: string;
  let net: LocalNetwork;
  const children: ChildProcess[] = [];

  const rpcUrl = (i: number): string => `http://127.0.0.1:${net.validators[i].rpcPort}`;
  const metricsUrl = (i: number): string => `http://127.0.0.1:${net.validators[i].metricsPort}`;
  const heights = (): Promise<number[]> =>
    Promise.all(net.validators.map(async (v) => (await committedHeight(metricsUrl(v.index))) ?? -1));

  async function rpc(i: number, method: string, params: unknown[]): Promise<unknown> {
    const response = await fetch(rpcUrl(i), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const body = (await response.json()) as { result?: unknown; error?: { message: string } };
    if (body.error) throw new Error(`${method} on node ${i}: ${body.error.message}`);
    return body.result;
  }

  /** Blocks (or unblocks) every peer across the {0,1} | {2,3} cut, on both sides. */
  async function cut(method: "admin_blockPeer" | "admin_unblockPeer"): Promise<void> {
    const sides = [
      [0, 1],
      [2, 3],
    ];
    for (const [mine, theirs] of [
      [sides[0], sides[1]],
      [sides[1], sides[0]],
    ]) {
      for (const i of mine) for (const j of theirs) await rpc(i, method, [net.validators[j].peerId]);
    }
  }

  const allReach = (target: number, what: string): Promise<number[]> =>
    waitUntil(
      `${what}: committed height >= ${target} everywhere`,
      async () => {
        const hs = await heights();
        return hs.every((h) => h >= target) ? hs : undefined;
      },
      120_000,
      200,
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}\n${net.validators.map((v) => logTail(join(dir, `node${v.index}.log`), 500)).join("\n")}`,
      );
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "megaseq-partition-"));
    net = await createLocalNetwork({
      dir,
      validators: 4,
      chainId: 4242,
      seed: "node-partition-test",
      consensus: { baseTimeoutMs: 300, maxTimeoutMs: 1_000 },
    });
    for (const v of net.validators) {
      const args = nodeArgs({
        ...validatorProcessOptions(net.genesisFile, v, join(dir, `node${v.index}.log`)),
        rpcPort: v.rpcPort,
        logLevel: "info",
      });
      const fd = openSync(join(dir, `node${v.index}.log`), "a");
      children.push(spawn(process.execPath, [...args, "--enable-admin-rpc"], { stdio: ["ignore", fd, fd] }));
      closeSync(fd);
    }
  });

  afterAll(async () => {
    await Promise.all(children.map((c) => stopProcess(c, 5_000)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("commits, stops committing while split 2-2, and resumes on one chain after healing", async () => {
    await allReach(5, "before the split");
    await cut("admin_blockPeer");
    // Let what was already in flight land, then watch: no side has a quorum (3 of 4 needed).
    await new Promise((r) => setTimeout(r, 1_500));
    const during = await heights();
    await new Promise((r) => setTimeout(r, 4_000));
    const after = await heights();
    for (let i = 0; i < 4; i++) expect(after[i] - during[i], `node ${i} committed while split`).toBe(0);

    await cut("admin_unblockPeer");
    const healed = await allReach(Math.max(...after) + 5, "after healing");
    expect(Math.min(...healed)).toBeGreaterThan(Math.max(...after));

    // Same chain: the EVM block every node has reached is the same block on all of them.
    const evmHeights = (): Promise<bigint[]> =>
      Promise.all([0, 1, 2, 3].map(async (i) => BigInt((await rpc(i, "eth_blockNumber", [])) as string)));
    const numbers = await waitUntil(
      "an EVM block sealed on every node",
      async () => {
        const ns = await evmHeights();
        return ns.every((n) => n > 0n) ? ns : undefined;
      },
      60_000,
      200,
    );
    const common = numbers.reduce((a, b) => (a < b ? a : b));
    const hashes = await Promise.all(
      [0, 1, 2, 3].map(
        async (i) =>
          ((await rpc(i, "eth_getBlockByNumber", [`0x${common.toString(16)}`, false])) as { hash: string })
            .hash,
      ),
    );
    expect(new Set(hashes).size).toBe(1);
  });
});
