import { connect, createServer, type Server, type Socket } from "node:net";
import { createPublicClient, http } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Block } from "../../../src/consensus/index.ts";
import { StakingManagerAbi } from "../../../src/l1/artifacts.ts";
import type { EpochValidatorSet } from "../../../src/l1/validator-set-follower.ts";
import { createMetrics } from "../../../src/metrics/index.ts";
import { L1BlockView } from "../../../src/node/epoch-l1-view.ts";
import { EpochManager } from "../../../src/node/epoch-manager.ts";
import { EpochSetReader } from "../../../src/node/epoch-set-reader.ts";
import { silentLogger } from "../../../src/node/logger.ts";
import { Block as BlockType } from "../../../src/types/index.ts";
import { type Fixture, nextEpoch, register, setUpSuite } from "../contracts/fixture.ts";

/** A TCP proxy to anvil that the test can take down (refusing and cutting connections) and up. */
class SwitchableProxy {
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  up = false;
  constructor(target: number) {
    this.server = createServer((socket) => {
      if (!this.up) return socket.destroy();
      const upstream = connect(target, "127.0.0.1");
      this.sockets.add(socket).add(upstream);
      socket.pipe(upstream).pipe(socket);
      const drop = (): void => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
    });
  }
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    return typeof address === "object" && address !== null ? address.port : 0;
  }
  down(): void {
    this.up = false;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }
}

/**
 * An L1 outage while an epoch's next set is read: the node retries with backoff (counted in
 * megaseq_l1_rpc_errors_total) and feeds the set to consensus once L1 answers again.
 */
describe("EpochManager reads the next set through an L1 outage", () => {
  let f: Fixture;
  let proxy: SwitchableProxy;
  beforeAll(async () => {
    f = await setUpSuite();
    await register(f, 1, 11);
    await nextEpoch(f);
    proxy = new SwitchableProxy(f.anvil.port);
  }, 60_000);
  afterAll(async () => {
    proxy?.down();
    proxy?.server.close();
    await f?.anvil.stop();
  });

  it("retries while L1 is down and delivers the frozen set when it is back", async () => {
    const port = await proxy.listen();
    const client = createPublicClient({
      transport: http(`http://127.0.0.1:${port}`, { retryCount: 0, timeout: 2_000 }),
    });
    const metrics = createMetrics().metrics.l1;
    const target = Number(
      await f.pc.readContract({ address: f.staking, abi: StakingManagerAbi, functionName: "currentEpoch" }),
    );
    const delivered: EpochValidatorSet[] = [];
    const manager = new EpochManager(
      {
        epochLengthRounds: 10,
        genesisAnchor: { number: 0, hash: new Uint8Array(32) },
        originGraceMs: 1_000,
        setPollIntervalMs: 20,
        backoffBaseMs: 20,
        backoffMaxMs: 80,
      },
      {
        view: new L1BlockView({ confirmations: 0, pollIntervalMs: 1_000 }, { client, log: silentLogger }),
        reader: new EpochSetReader(
          { stakingManager: f.staking, confirmations: 0 },
          { client, log: silentLogger },
        ),
        log: silentLogger,
        metrics,
        chainTo: () => [],
        currentEpoch: () => (delivered.length > 0 ? target : target - 1),
        redeliver: () => {},
        onSet: (set) => delivered.push(set),
      },
    );
    try {
      // The committed block that ends epoch target - 1, with the current L1 head as its origin.
      const boundary = BlockType.defaultValue() as Block;
      boundary.header.epoch = target - 1;
      boundary.header.round = 10;
      boundary.payload.l1OriginNumber = Number(await f.pc.getBlockNumber({ cacheTime: 0 }));
      manager.onCommitted([boundary]);
      expect(manager.awaitingSetFor).toBe(target);
      await waitFor(async () => ((await metrics.rpcErrors.get()).values[0]?.value ?? 0) >= 3);
      expect(delivered).toHaveLength(0);
      proxy.up = true;
      await waitFor(async () => delivered.length === 1);
      expect(delivered[0].epoch).toBe(target);
      expect(delivered[0].validators).toHaveLength(1);
      expect(manager.awaitingSetFor).toBeUndefined();
    } finally {
      await manager.stop();
    }
  }, 30_000);
});

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
