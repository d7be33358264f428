import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnNode } from "../../src/node/devnet-process.ts";
import { createLocalNetwork, freePort, type LocalNetwork } from "../../src/node/local-network.ts";
import {
  committedHeight,
  lastVotedRound,
  logTail,
  metric,
  startObserver,
  startValidator,
  type TestNode,
  waitUntil,
} from "./node-helpers.ts";

/**
 * Four `megaseq node` processes on loopback: they commit; kill -9 of one validator and then of
 * another (f = 1, so the other three go on each time), each restarted on its old data dir catches
 * up and rejoins; its safety file's voted round never goes back, and no node ever sees
 * equivocation evidence; a fresh observer with an empty data dir syncs from scratch.
 */
describe("megaseq node: 4 processes", () => {
  let dir: string;
  let net: LocalNetwork;
  const nodes: TestNode[] = [];
  const extra: TestNode[] = [];

  const heights = async (which: TestNode[]): Promise<number[]> =>
    Promise.all(which.map(async (n) => (await committedHeight(n.metricsUrl)) ?? -1));

  /** Waits until every node in `which` has committed at least `target` blocks. */
  const allReach = (which: TestNode[], target: number, what: string): Promise<number[]> =>
    waitUntil(
      `${what}: committed height >= ${target} on nodes ${which.map((n) => n.index).join(",")}`,
      async () => {
        const hs = await heights(which);
        return hs.every((h) => h >= target) ? hs : undefined;
      },
      120_000,
      200,
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}\n${which.map((n) => `node ${n.index}: ${logTail(n.logFile, 600)}`).join("\n")}`,
      );
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "megaseq-node-"));
    net = await createLocalNetwork({
      dir,
      validators: 4,
      chainId: 4242,
      seed: "node-consensus-test",
      consensus: { baseTimeoutMs: 500, maxTimeoutMs: 4_000 },
    });
    for (const v of net.validators) nodes.push(startValidator(dir, net.genesisFile, v));
  });

  afterAll(async () => {
    await Promise.all([...nodes, ...extra].map((n) => n.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("commits on all four nodes", async () => {
    const hs = await allReach(nodes, 3, "start");
    expect(Math.min(...hs)).toBeGreaterThanOrEqual(3);
  }, 180_000);

  for (const victim of [1, 2]) {
    it(`goes on without node ${victim} after kill -9; node ${victim} restarts, catches up, never votes back`, async () => {
      await nodes[victim].kill9();
      const votedBefore = lastVotedRound(nodes[victim].dataDir);
      const others = nodes.filter((n) => n.index !== victim);
      const atKill = Math.max(...(await heights(others)));
      // f = 1: the other three still form a quorum and keep committing.
      await allReach(others, atKill + 3, `without node ${victim}`);

      // Watch the safety file across the restart: its voted round must never go back.
      const voted: number[] = [votedBefore];
      const watcher = setInterval(() => {
        try {
          voted.push(lastVotedRound(nodes[victim].dataDir));
        } catch {
          // A read racing the atomic rename sees the old or the new file; nothing else to do.
        }
      }, 50);
      nodes[victim] = nodes[victim].restart();
      const target = Math.max(...(await heights(others)));
      await allReach([nodes[victim]], target, `node ${victim} catching up`);
      // And it takes part again: the whole network moves on with it.
      await allReach(nodes, target + 2, `after node ${victim} rejoined`);
      // Two commits can take a few milliseconds here, less than the restarted node needs to see
      // a proposal of the round it is in: wait (bounded) for its first vote since the restart.
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
        if (voted[voted.length - 1] > votedBefore) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      clearInterval(watcher);
      voted.push(lastVotedRound(nodes[victim].dataDir));
      const wentBack = voted.findIndex((r, i) => i > 0 && r < voted[i - 1]);
      expect(wentBack, `voted rounds ${voted.join(",")}`).toBe(-1);
      // It voted again after the restart (it rejoined, it did not just follow).
      expect(voted[voted.length - 1]).toBeGreaterThan(votedBefore);
    }, 240_000);
  }

  it("has seen no equivocation evidence on any node", async () => {
    for (const n of nodes) {
      expect(await metric(n.metricsUrl, "megaseq_consensus_round")).toBeGreaterThan(0);
      expect((await metric(n.metricsUrl, "megaseq_consensus_evidence_total")) ?? 0).toBe(0);
    }
  });

  it("a node that cannot start (its metrics port is taken) says why and exits, not lingering half-started", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const address = taken.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      const logFile = join(dir, "blocked.log");
      const child = spawnNode({
        genesisFile: net.genesisFile,
        dataDir: join(dir, "blocked"),
        p2pPort: await freePort(),
        metricsPort: port,
        logFile,
        logLevel: "info",
      });
      const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
      expect(code).not.toBe(0);
      expect(logTail(logFile)).toContain("METRICS_LISTEN_FAILED");
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  }, 60_000);

  it("syncs a fresh observer with an empty data dir from scratch", async () => {
    const target = Math.max(...(await heights(nodes)));
    const observer = await startObserver(dir, net.genesisFile, "observer");
    extra.push(observer);
    await allReach([observer], target, "fresh observer syncing");
  }, 180_000);
});
