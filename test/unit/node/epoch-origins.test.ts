import { numberToHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Block } from "../../../src/consensus/index.ts";
import { type AnvilHandle, startAnvil } from "../../../src/l1/anvil.ts";
import { connectL1, type L1Clients } from "../../../src/l1/clients.ts";
import { L1BlockView, type L1Origin } from "../../../src/node/epoch-l1-view.ts";
import { EpochManager } from "../../../src/node/epoch-manager.ts";
import { judgeOrigin, stampOrigin } from "../../../src/node/epoch-origin-rule.ts";
import { EpochSetReader } from "../../../src/node/epoch-set-reader.ts";
import { silentLogger } from "../../../src/node/logger.ts";
import { Block as BlockType } from "../../../src/types/index.ts";

const h = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);
const known = (latest: L1Origin | undefined, hashes: Record<number, Uint8Array>) => ({
  latest: () => latest,
  hashOf: (n: number) => hashes[n],
});

function blockWith(origin: L1Origin, round: number, parentRound: number): Block {
  const block = BlockType.defaultValue();
  block.header.round = round;
  block.header.parentRound = parentRound;
  block.payload.l1OriginNumber = origin.number;
  block.payload.l1OriginHash = origin.hash;
  return block;
}

describe("L1 origin rule", () => {
  const view = known({ number: 10, hash: h(10) }, { 8: h(8), 9: h(9), 10: h(10) });

  it("accepts the parent's origin and a confirmed block this node knows", () => {
    expect(judgeOrigin({ number: 8, hash: h(8) }, { number: 8, hash: h(8) }, view).kind).toBe("ok");
    expect(judgeOrigin({ number: 9, hash: h(9) }, { number: 8, hash: h(8) }, view).kind).toBe("ok");
  });

  it("refuses an origin going back, another hash at the parent's height, or a wrong hash", () => {
    expect(judgeOrigin({ number: 7, hash: h(7) }, { number: 8, hash: h(8) }, view).kind).toBe("invalid");
    expect(judgeOrigin({ number: 8, hash: h(1) }, { number: 8, hash: h(8) }, view).kind).toBe("invalid");
    expect(judgeOrigin({ number: 9, hash: h(1) }, { number: 8, hash: h(8) }, view).kind).toBe("invalid");
  });

  it("answers 'not yet' for a block above this node's confirmed one, and fetches a held-out hash", () => {
    const ahead = judgeOrigin({ number: 11, hash: h(11) }, { number: 8, hash: h(8) }, view);
    expect(ahead).toMatchObject({ kind: "unknown", fetch: false });
    const gap = judgeOrigin({ number: 5, hash: h(5) }, { number: 4, hash: h(4) }, view);
    expect(gap).toMatchObject({ kind: "unknown", fetch: true });
  });

  it("the leader never stamps backwards", () => {
    expect(stampOrigin({ number: 9, hash: h(9) }, { number: 8, hash: h(8) }).number).toBe(9);
    expect(stampOrigin({ number: 9, hash: h(9) }, { number: 12, hash: h(12) }).number).toBe(12);
    expect(stampOrigin({ number: 9, hash: h(9) }, undefined).number).toBe(9);
  });
});

/** The view and the manager against a real anvil whose blocks the test mines by hand. */
describe("EpochManager holds a proposal until its L1 origin is confirmed here", () => {
  let anvil: AnvilHandle;
  let l1: L1Clients;
  beforeAll(async () => {
    anvil = await startAnvil();
    l1 = await connectL1(anvil.rpcUrl);
  });
  afterAll(async () => {
    await anvil?.stop();
  });

  const mine = async (n: number): Promise<void> => {
    const request = l1.publicClient.request as unknown as (a: {
      method: string;
      params: unknown[];
    }) => Promise<unknown>;
    await request({ method: "anvil_mine", params: [numberToHex(n)] });
  };

  it("re-delivers it once the view has caught up, then accepts it", async () => {
    await mine(5);
    const view = new L1BlockView(
      { confirmations: 2, pollIntervalMs: 20 },
      { client: l1.publicClient, log: silentLogger },
    );
    const redelivered: Block[] = [];
    const manager = new EpochManager(
      {
        epochLengthRounds: 30,
        genesisAnchor: { number: 0, hash: h(0) },
        originGraceMs: 5_000,
        setPollIntervalMs: 20,
      },
      {
        view,
        reader: new EpochSetReader(
          { stakingManager: "0x0000000000000000000000000000000000000001", confirmations: 2 },
          { client: l1.publicClient, log: silentLogger },
        ),
        log: silentLogger,
        chainTo: () => [],
        currentEpoch: () => 0,
        redeliver: (block) => redelivered.push(block),
        onSet: () => {},
      },
    );
    manager.start();
    try {
      const head = Number(await l1.publicClient.getBlockNumber());
      await waitFor(() => view.latest()?.number === head - 2);
      // A leader whose view is ahead names head - 1, not confirmed here yet (depth 2).
      const aheadNumber = head - 1;
      const hash = Uint8Array.from(
        Buffer.from(
          (await l1.publicClient.getBlock({ blockNumber: BigInt(aheadNumber) })).hash.slice(2),
          "hex",
        ),
      );
      const block = blockWith({ number: aheadNumber, hash }, 3, 2);
      expect(manager.check(block, null)).toMatch(/not confirmed here yet/);
      expect(redelivered).toHaveLength(0);
      await mine(1);
      await waitFor(() => redelivered.length === 1);
      expect(manager.check(redelivered[0], null)).toBeNull();
      // Blocks past the epoch boundary carry no origin and are not judged.
      expect(manager.check(blockWith({ number: 0, hash: h(0) }, 32, 31), null)).toBeNull();
      // The leader stamps a confirmed block two below its newest, never below the parent's.
      expect(manager.stamp(new Uint8Array(32)).number).toBe((view.latest()?.number ?? 0) - 2);
    } finally {
      await manager.stop();
    }
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
