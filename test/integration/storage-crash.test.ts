import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KECCAK_EMPTY } from "../../src/execution/types.ts";
import { ChainStore } from "../../src/storage/index.ts";
import {
  ACCOUNTS,
  accountAddr,
  blockHash,
  C1,
  C1_CODE,
  C2,
  D,
  expectedAccount,
  expectedC2Slots,
  MINI_PER_BLOCK,
  miniBlockBytes,
  SLOTS,
  slot,
  txHash,
} from "./storage-crash-workload.ts";

const CHILD = join(import.meta.dirname, "storage-crash-child.ts");

/** Small seeded PRNG (mulberry32): the kill points are reproducible from the printed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the writer child and SIGKILLs it right after its `killAfter`-th durable write line. */
function runAndKill(
  path: string,
  killAfter: number,
): Promise<{ lastMb: bigint; lastBlk: bigint; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, path], { stdio: ["ignore", "pipe", "pipe"] });
    let lastMb = -1n;
    let lastBlk = 0n;
    let writes = 0;
    let buffered = "";
    let stderr = "";
    let killed = false;
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on("data", (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        const [kind, value] = line.split(" ");
        if (kind === "mb") lastMb = BigInt(value);
        if (kind === "blk") lastBlk = BigInt(value);
        if ((kind === "mb" || kind === "blk") && ++writes === killAfter && !killed) {
          killed = true;
          child.kill("SIGKILL");
        }
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`child exited ${code} ${signal}: ${stderr}`));
      else resolve({ lastMb, lastBlk, killed });
    });
  });
}

async function checkConsistent(path: string, acked: { lastMb: bigint; lastBlk: bigint }): Promise<void> {
  const store = await ChainStore.open({ path });
  try {
    const report = await store.recover();
    const n = report.head?.number ?? 0n;
    // Everything acknowledged survived (the child may have written more before the signal landed).
    expect(n >= acked.lastBlk, `head ${n} below acknowledged block ${acked.lastBlk}`).toBe(true);
    expect(report.lastMiniBlock !== undefined && report.lastMiniBlock >= acked.lastMb).toBe(true);
    // The head is complete: header, hash index, receipts, tx index, and exactly block n's state.
    if (n > 0n) {
      expect(new Uint8Array(report.head!.hash)).toEqual(blockHash(n));
      expect(report.head!.lastMiniBlock).toBe(n * BigInt(MINI_PER_BLOCK) - 1n);
      expect(new TextDecoder().decode(await store.getBlockHeader(n))).toBe(`header ${n}`);
      expect(await store.getBlockNumber(blockHash(n))).toBe(n);
      expect(new TextDecoder().decode(await store.getReceipts(n))).toBe(`receipts ${n}`);
      expect(await store.getTxLocation(txHash(n, 2))).toEqual({
        blockNumber: n,
        index: 2,
        miniBlock: report.head!.lastMiniBlock,
        miniIndex: 2,
      });
      for (let i = 0; i < ACCOUNTS; i++)
        expect(store.state.getAccount(accountAddr(i))).toEqual(expectedAccount(i, n));
      for (let j = 0; j < SLOTS; j++)
        expect(store.state.getStorage(C1, slot(j))).toBe(n * 100n + BigInt(j) + 1n);
      expect(new Uint8Array(store.state.getCode(C1))).toEqual(C1_CODE);
      expect(await store.state.storageOf(C2)).toEqual(expectedC2Slots(n));
      expect(store.state.getAccount(D)).toEqual(
        n % 2n === 1n ? { nonce: 1n, balance: n, codeHash: KECCAK_EMPTY } : undefined,
      );
    }
    expect(await store.getBlockHeader(n + 1n)).toBeUndefined();
    // The replay list is exactly the committed mini-blocks after the head, byte for byte.
    const first = report.head === undefined ? 0n : report.head.lastMiniBlock + 1n;
    expect(report.replay.map((r) => r.sequence)).toEqual(
      Array.from({ length: Number(report.lastMiniBlock! - first + 1n) }, (_, i) => first + BigInt(i)),
    );
    for (const r of report.replay) expect(new Uint8Array(r.bytes)).toEqual(miniBlockBytes(r.sequence));
  } finally {
    await store.close();
  }
}

describe("storage crash recovery", () => {
  const dir = mkdtempSync(join(tmpdir(), "megaseq-crash-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("after SIGKILL at seeded random points, a restart finds a complete head and the mini-blocks to replay", async () => {
    const seed = Number(process.env.CRASH_SEED ?? 20261121);
    const rand = prng(seed);
    const path = join(dir, "db");
    try {
      for (let round = 0; round < 5; round++) {
        const killAfter = 1 + Math.floor(rand() * 40);
        const acked = await runAndKill(path, killAfter);
        expect(acked.killed).toBe(true);
        await checkConsistent(path, acked);
      }
    } catch (e) {
      throw new Error(`crash test failed with CRASH_SEED=${seed}: ${(e as Error).message}`);
    }
  });
});
