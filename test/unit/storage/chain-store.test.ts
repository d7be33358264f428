import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AccountData, Hex, StateChangeSet } from "../../../src/execution/types.ts";
import { KECCAK_EMPTY } from "../../../src/execution/types.ts";
import { ChainStore, StorageError } from "../../../src/storage/index.ts";

const A = "0x00000000000000000000000000000000000000aa" as Hex;
const B = "0x00000000000000000000000000000000000000bb" as Hex;
const slot = (i: number): Hex => `0x${i.toString(16).padStart(64, "0")}` as Hex;
const hash32 = (i: number): Uint8Array => new Uint8Array(32).fill(i);

function changes(over: Partial<StateChangeSet> = {}): StateChangeSet {
  return {
    accounts: new Map<Hex, AccountData | null>(),
    storage: new Map(),
    clearedStorage: new Set(),
    code: new Map(),
    ...over,
  };
}

function block(number: bigint, lastMiniBlock: bigint, c: StateChangeSet = changes()) {
  return {
    number,
    hash: hash32(Number(number) + 1),
    header: new Uint8Array([1, 2, Number(number)]),
    receipts: new Uint8Array([9, Number(number)]),
    txs: [{ hash: hash32(100 + Number(number)), miniBlock: lastMiniBlock, miniIndex: 0 }],
    lastMiniBlock,
    changes: c,
  };
}

describe("ChainStore", () => {
  let dir: string;
  let store: ChainStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "megaseq-store-"));
    store = await ChainStore.open({ path: join(dir, "db") });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes an EVM block with its state atomically and reads it back after reopening", async () => {
    const big = (1n << 255n) + 7n;
    await store.putMiniBlock(0n, new Uint8Array([0]));
    await store.commitEvmBlock(
      block(
        0n,
        0n,
        changes({
          accounts: new Map<Hex, AccountData | null>([
            [A, { nonce: 3n, balance: big, codeHash: KECCAK_EMPTY }],
            [B, { nonce: 1n, balance: 0n, codeHash: slot(0xc0de) }],
          ]),
          storage: new Map([
            [
              B,
              new Map([
                [slot(1), 5n],
                [slot(2), big],
                [slot(3), 0n],
              ]),
            ],
          ]),
          code: new Map([[slot(0xc0de), new Uint8Array([0x60, 0x01])]]),
        }),
      ),
    );
    await store.close();
    store = await ChainStore.open({ path: join(dir, "db") });
    expect(store.head()?.number).toBe(0n);
    expect(store.state.getAccount(A)).toEqual({ nonce: 3n, balance: big, codeHash: KECCAK_EMPTY });
    expect(store.state.getStorage(B, slot(2))).toBe(big);
    expect(store.state.getStorage(B, slot(3))).toBe(0n);
    expect(new Uint8Array(store.state.getCode(B))).toEqual(new Uint8Array([0x60, 0x01]));
    expect(await store.state.prefetchAccounts([A, B, slot(1).slice(0, 42) as Hex])).toEqual([
      store.state.getAccount(A),
      store.state.getAccount(B),
      undefined,
    ]);
    expect(await store.getTxLocation(hash32(100))).toEqual({
      blockNumber: 0n,
      index: 0,
      miniBlock: 0n,
      miniIndex: 0,
    });
    expect(await store.getBlockNumber(hash32(1))).toBe(0n);

    // Wiping storage, then writing new slots in the same block; deleting an account.
    await store.putMiniBlock(1n, new Uint8Array([1]));
    await store.commitEvmBlock(
      block(
        1n,
        1n,
        changes({
          accounts: new Map<Hex, AccountData | null>([[A, null]]),
          storage: new Map([[B, new Map([[slot(2), 9n]])]]),
          clearedStorage: new Set([B]),
        }),
      ),
    );
    expect(store.state.getAccount(A)).toBeUndefined();
    expect(await store.state.storageOf(B)).toEqual(new Map([[slot(2), 9n]]));
  });

  it("refuses out-of-order writes and changes nothing", async () => {
    await store.putMiniBlock(5n, new Uint8Array([5]));
    await expect(store.putMiniBlock(7n, new Uint8Array([7]))).rejects.toThrow(StorageError);
    await store.commitEvmBlock(block(3n, 5n));
    await expect(store.commitEvmBlock(block(5n, 5n))).rejects.toMatchObject({ code: "OUT_OF_ORDER" });
    await expect(store.commitEvmBlock(block(4n, 4n))).rejects.toMatchObject({ code: "OUT_OF_ORDER" });
    await expect(store.putMeta("head", new Uint8Array())).rejects.toMatchObject({ code: "BAD_INPUT" });
    expect(store.head()?.number).toBe(3n);
    expect(await store.getBlockHeader(4n)).toBeUndefined();
    expect(store.lastMiniBlock()).toBe(5n);
  });

  it("writes several mini-blocks and a consensus record in one batch, or nothing when out of order", async () => {
    const snap = (v: number) => ({ key: "coreSnapshot", value: new Uint8Array([v]) });
    const minis = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        sequence: BigInt(from + i),
        bytes: new Uint8Array([from + i]),
      }));
    await store.putMiniBlocks(minis(0, 3), snap(1));
    await expect(store.putMiniBlocks([...minis(3, 1), ...minis(5, 1)], snap(2))).rejects.toMatchObject({
      code: "OUT_OF_ORDER",
    });
    expect(store.lastMiniBlock()).toBe(2n);
    expect(await store.getMiniBlock(3n)).toBeUndefined();
    expect([...(store.getConsensusSync("coreSnapshot") ?? [])]).toEqual([1]);
    await store.putMiniBlocks(minis(3, 2), snap(3));
    await store.close();
    store = await ChainStore.open({ path: join(dir, "db") });
    expect(store.lastMiniBlock()).toBe(4n);
    expect([...((await store.getMiniBlock(4n)) ?? [])]).toEqual([4]);
    expect([...(store.getConsensusSync("coreSnapshot") ?? [])]).toEqual([3]);
  });

  it("recovery lists the committed mini-blocks after the last EVM block", async () => {
    expect(await store.recover()).toEqual({ head: undefined, lastMiniBlock: undefined, replay: [] });
    for (let s = 0n; s < 6n; s++) await store.putMiniBlock(s, new Uint8Array([Number(s)]));
    await store.commitEvmBlock(block(0n, 2n));
    const report = await store.recover();
    expect(report.head?.lastMiniBlock).toBe(2n);
    expect(report.replay.map((r) => r.sequence)).toEqual([3n, 4n, 5n]);
    expect(report.replay.map((r) => r.bytes[0])).toEqual([3, 4, 5]);
  });

  it("keeps consensus records and metadata, with fsync when asked", async () => {
    await store.putConsensus("safety", new Uint8Array([1, 2, 3]), { sync: true });
    await store.putMeta("genesis", new Uint8Array([7]));
    await store.close();
    store = await ChainStore.open({ path: join(dir, "db") });
    expect(new Uint8Array(store.getConsensusSync("safety")!)).toEqual(new Uint8Array([1, 2, 3]));
    expect(new Uint8Array(store.getMetaSync("genesis")!)).toEqual(new Uint8Array([7]));
    await store.delConsensus("safety");
    expect(store.getConsensusSync("safety")).toBeUndefined();
  });
});
