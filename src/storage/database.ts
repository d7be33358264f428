import type { AbstractBatchOperation, AbstractSublevel } from "abstract-level";
import { ClassicLevel } from "classic-level";

type Db = ClassicLevel<Uint8Array, Uint8Array>;
/** A write in a cross-sublevel atomic batch. */
export type BatchOp = AbstractBatchOperation<Db, Uint8Array, Uint8Array>;
export type Sublevel = AbstractSublevel<Db, string | Buffer | Uint8Array, Uint8Array, Uint8Array>;

/** One sublevel per kind of record; names are short because they prefix every key. */
export const SUBLEVELS = {
  miniBlocks: "mb",
  blocks: "blk",
  blockHashes: "bh",
  receipts: "rc",
  txIndex: "tx",
  accounts: "ac",
  code: "co",
  storage: "st",
  consensus: "cs",
  meta: "md",
} as const;

export type SublevelName = keyof typeof SUBLEVELS;

export interface Database {
  db: Db;
  sub: Record<SublevelName, Sublevel>;
}

export async function openDatabase(path: string): Promise<Database> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(path, { keyEncoding: "view", valueEncoding: "view" });
  await db.open();
  const sub = {} as Record<SublevelName, Sublevel>;
  for (const [name, prefix] of Object.entries(SUBLEVELS) as [SublevelName, string][]) {
    sub[name] = db.sublevel<Uint8Array, Uint8Array>(prefix, { keyEncoding: "view", valueEncoding: "view" });
  }
  return { db, sub };
}
