import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AccountData, Hex, StateChangeSet } from "../execution/types.ts";
import { KECCAK_EMPTY } from "../execution/types.ts";
import { ChainStore } from "./chain-store.ts";

export interface CommitThroughput {
  /** EVM blocks committed per second (each one atomic batch). */
  blocksPerS: number;
  /** State entries (accounts + slots) written per second inside those batches. */
  stateEntriesPerS: number;
  /** Mini-blocks persisted per second (one small batch each). */
  miniBlocksPerS: number;
}

const hex = (tag: number, i: number, width: number): Hex =>
  `0x${tag.toString(16).padStart(4, "0")}${i.toString(16).padStart(width - 4, "0")}` as Hex;

/**
 * LevelDB commit throughput with the real schema: EVM blocks of `accountsPerBlock` account updates
 * and `slotsPerBlock` slot updates (plus header, receipts and tx index), and 2 KiB mini-blocks.
 */
export async function measureCommitThroughput(
  opts: { blocks?: number; accountsPerBlock?: number; slotsPerBlock?: number; miniBlocks?: number } = {},
): Promise<CommitThroughput> {
  const blocks = opts.blocks ?? 20;
  const accountsPerBlock = opts.accountsPerBlock ?? 1000;
  const slotsPerBlock = opts.slotsPerBlock ?? 2000;
  const miniBlocks = opts.miniBlocks ?? 1000;
  const dir = mkdtempSync(join(tmpdir(), "megaseq-commit-"));
  const store = await ChainStore.open({ path: join(dir, "db") });
  try {
    const payload = new Uint8Array(2048).fill(7);
    let start = performance.now();
    for (let s = 0; s < miniBlocks; s++) await store.putMiniBlock(BigInt(s), payload);
    const miniSeconds = (performance.now() - start) / 1000;

    let blockSeconds = 0;
    for (let b = 0; b < blocks; b++) {
      const accounts = new Map<Hex, AccountData | null>();
      for (let i = 0; i < accountsPerBlock; i++) {
        accounts.set(hex(0xacc, (b * accountsPerBlock + i) % 50_000, 40), {
          nonce: BigInt(b),
          balance: 10n ** 18n + BigInt(i),
          codeHash: KECCAK_EMPTY,
        });
      }
      const slots = new Map<Hex, bigint>();
      for (let i = 0; i < slotsPerBlock; i++)
        slots.set(hex(0x5107, b * slotsPerBlock + i, 64), BigInt(i + 1));
      const changes: StateChangeSet = {
        accounts,
        storage: new Map([[hex(0xc0, 1, 40), slots]]),
        clearedStorage: new Set(),
        code: new Map(),
      };
      const hash = new Uint8Array(32);
      new DataView(hash.buffer).setUint32(28, b + 1);
      const txs = Array.from({ length: accountsPerBlock }, (_, i) => {
        const h = new Uint8Array(32);
        new DataView(h.buffer).setUint32(24, b);
        new DataView(h.buffer).setUint32(28, i);
        return { hash: h, miniBlock: BigInt(b), miniIndex: i };
      });
      start = performance.now();
      await store.commitEvmBlock({
        number: BigInt(b),
        hash,
        header: new Uint8Array(600),
        receipts: new Uint8Array(accountsPerBlock * 120),
        txs,
        lastMiniBlock: BigInt(Math.min(miniBlocks - 1, b)),
        changes,
      });
      blockSeconds += (performance.now() - start) / 1000;
    }
    return {
      blocksPerS: blocks / blockSeconds,
      stateEntriesPerS: (blocks * (accountsPerBlock + slotsPerBlock)) / blockSeconds,
      miniBlocksPerS: miniBlocks / miniSeconds,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
