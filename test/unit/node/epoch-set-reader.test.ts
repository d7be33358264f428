import { type Chain, createPublicClient, custom, http, type PublicClient, type Transport } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StakingManagerAbi } from "../../../src/l1/artifacts.ts";
import { readValidatorSet } from "../../../src/l1/validator-set-follower.ts";
import { EpochSetError, EpochSetReader } from "../../../src/node/epoch-set-reader.ts";
import { silentLogger } from "../../../src/node/logger.ts";
import { type Fixture, mine, nextEpoch, register, setUpSuite } from "../contracts/fixture.ts";

/** Blocks of state a full (not archive) L1 node keeps below its head, as geth does. */
const STATE_KEPT = 128;

/**
 * A client of the real anvil that refuses state reads (eth_call) more than STATE_KEPT blocks
 * below the head, with a full node's error: what a node joining many epochs late meets when it
 * reads old epochs' sets through an ordinary L1 RPC.
 */
function prunedClient(f: Fixture): PublicClient<Transport, Chain | undefined> {
  const upstream = http(f.anvil.rpcUrl, { retryCount: 0 })({ retryCount: 0 });
  return createPublicClient({
    transport: custom({
      request: async ({ method, params }: { method: string; params?: unknown }) => {
        if (method === "eth_call") {
          const tag = (params as unknown[])[1];
          const head = await f.pc.getBlockNumber({ cacheTime: 0 });
          if (typeof tag === "string" && tag.startsWith("0x") && BigInt(tag) < head - BigInt(STATE_KEPT)) {
            throw new Error(`missing trie node (state of block ${BigInt(tag)} is pruned)`);
          }
        }
        return upstream.request({ method, params } as never);
      },
    }),
  });
}

describe("EpochSetReader", () => {
  let f: Fixture;
  let epoch: number;
  let anchor: { number: number; hash: Uint8Array };

  beforeAll(async () => {
    f = await setUpSuite();
    await register(f, 1, 11);
    await nextEpoch(f);
    epoch = Number(
      await f.pc.readContract({ address: f.staking, abi: StakingManagerAbi, functionName: "lastEpoch" }),
    );
    const block = await f.pc.getBlock({ blockTag: "latest" });
    anchor = { number: Number(block.number), hash: Uint8Array.from(Buffer.from(block.hash.slice(2), "hex")) };
  }, 60_000);
  afterAll(async () => {
    await f?.close();
  });

  it("reads an old epoch's frozen set when the anchor's state is pruned on L1, reported at the anchor", async () => {
    await mine(f, STATE_KEPT + 50);
    const client = prunedClient(f);
    // The old way, state at the anchor, fails on such an L1.
    await expect(readValidatorSet(client, f.staking, epoch, BigInt(anchor.number))).rejects.toThrow(
      /missing trie node/,
    );
    const reader = new EpochSetReader(
      { stakingManager: f.staking, confirmations: 2 },
      { client, log: silentLogger },
    );
    const set = await reader.read(epoch, anchor);
    // The set an archive read at the anchor gives: a frozen set never changes.
    const atAnchor = await readValidatorSet(f.pc, f.staking, epoch, BigInt(anchor.number));
    expect(set.validators.map((v) => v.address)).toEqual(atAnchor.validators.map((v) => v.address));
    expect(set.validators.map((v) => v.votingPower)).toEqual(atAnchor.validators.map((v) => v.votingPower));
    expect(set.validators).toHaveLength(1);
    expect(set.l1Block).toBe(BigInt(anchor.number));
  });

  it("refuses an anchor with another hash, and an epoch L1 has not reached (not ready, nothing read)", async () => {
    const reader = new EpochSetReader(
      { stakingManager: f.staking, confirmations: 2 },
      { client: f.pc, log: silentLogger },
    );
    const forged = { number: anchor.number, hash: new Uint8Array(32).fill(7) };
    await expect(reader.read(epoch, forged)).rejects.toMatchObject({ code: "L1_REORG" });
    const later = reader.read(epoch + 1_000, anchor);
    await expect(later).rejects.toBeInstanceOf(EpochSetError);
    await expect(later).rejects.toMatchObject({ code: "NOT_READY" });
    const head = Number(await f.pc.getBlockNumber({ cacheTime: 0 }));
    await expect(reader.read(epoch, { number: head, hash: new Uint8Array(32) })).rejects.toMatchObject({
      code: "NOT_READY",
    });
  });
});
