import type { StateChangeSet } from "../execution/types.ts";
import { concat, readU32, readU64, u32, u64 } from "./codec.ts";
import { type BatchOp, type Database, openDatabase } from "./database.ts";
import { StorageError } from "./errors.ts";
import { StateStore } from "./state-store.ts";

/** Everything one EVM block persists, written in ONE atomic LevelDB batch. */
export interface EvmBlockRecord {
  number: bigint;
  /** 32-byte block hash. */
  hash: Uint8Array;
  /** Encoded header: its meaning belongs to execution; storage keeps bytes. */
  header: Uint8Array;
  /** Encoded receipts of the block, in order. */
  receipts: Uint8Array;
  /** Transaction hashes in block order, with the mini-block each came from. */
  txs: { hash: Uint8Array; miniBlock: bigint; miniIndex: number }[];
  /** Sequence of the last committed mini-block this EVM block contains. */
  lastMiniBlock: bigint;
  changes: StateChangeSet;
}

export interface ChainHead {
  number: bigint;
  hash: Uint8Array;
  lastMiniBlock: bigint;
}

export interface TxLocation {
  blockNumber: bigint;
  index: number;
  miniBlock: bigint;
  miniIndex: number;
}

/** What a restart finds: the last complete EVM block, and the committed mini-blocks after it. */
export interface RecoveryReport {
  head: ChainHead | undefined;
  lastMiniBlock: bigint | undefined;
  /** Committed mini-blocks not yet in an EVM block, in sequence order: execute them again. */
  replay: { sequence: bigint; bytes: Uint8Array }[];
}

const HEAD_KEY = new TextEncoder().encode("head");
const LAST_MINI_KEY = new TextEncoder().encode("lastMiniBlock");

function encodeHead(h: ChainHead): Uint8Array {
  return concat(u64(h.number), h.hash, u64(h.lastMiniBlock));
}

function decodeHead(bytes: Uint8Array): ChainHead {
  if (bytes.length !== 48) throw new StorageError("CORRUPT_RECORD", `head record of ${bytes.length} bytes`);
  return { number: readU64(bytes, 0), hash: bytes.slice(8, 40), lastMiniBlock: readU64(bytes, 40) };
}

/**
 * The node's LevelDB: committed mini-blocks, EVM blocks, receipts, the transaction index, state,
 * consensus records and metadata, each in its own sublevel.
 *
 * Crash safety comes from atomicity, not from ordering tricks: a mini-block is one batch (record +
 * "last mini-block" pointer), an EVM block is one batch (header, receipts, tx index, state changes,
 * head pointer). After a kill -9 at any point the database holds a prefix of those batches, so
 * `recover()` finds a consistent head and lists the mini-blocks to execute again.
 */
export class ChainStore {
  readonly state: StateStore;
  private readonly d: Database;
  private headCache: ChainHead | undefined;
  private lastMini: bigint | undefined;

  private constructor(d: Database) {
    this.d = d;
    this.state = new StateStore(d);
  }

  static async open(opts: { path: string }): Promise<ChainStore> {
    const store = new ChainStore(await openDatabase(opts.path));
    const head = await store.d.sub.meta.get(HEAD_KEY);
    store.headCache = head === undefined ? undefined : decodeHead(head);
    const last = await store.d.sub.meta.get(LAST_MINI_KEY);
    store.lastMini = last === undefined ? undefined : readU64(last);
    return store;
  }

  async close(): Promise<void> {
    await this.d.db.close();
  }

  head(): ChainHead | undefined {
    return this.headCache;
  }

  lastMiniBlock(): bigint | undefined {
    return this.lastMini;
  }

  /** Persists a committed mini-block. Sequences are consecutive; the first may be any number. */
  async putMiniBlock(sequence: bigint, bytes: Uint8Array): Promise<void> {
    await this.putMiniBlocks([{ sequence, bytes }]);
  }

  /**
   * Persists consecutive committed mini-blocks and, in the same atomic batch, a consensus record
   * (the core's restart snapshot taken right after they committed): one write per commit, and a
   * crash never leaves the snapshot and the mini-blocks out of step.
   */
  async putMiniBlocks(
    blocks: readonly { sequence: bigint; bytes: Uint8Array }[],
    consensus?: { key: string; value: Uint8Array },
  ): Promise<void> {
    let last = this.lastMini;
    const ops: BatchOp[] = [];
    for (const { sequence, bytes } of blocks) {
      if (last !== undefined && sequence !== last + 1n) {
        throw new StorageError("OUT_OF_ORDER", `mini-block ${sequence} after ${last}`);
      }
      ops.push({ type: "put", sublevel: this.d.sub.miniBlocks, key: u64(sequence), value: bytes });
      last = sequence;
    }
    if (last !== undefined && last !== this.lastMini) {
      ops.push({ type: "put", sublevel: this.d.sub.meta, key: LAST_MINI_KEY, value: u64(last) });
    }
    if (consensus !== undefined) {
      ops.push({
        type: "put",
        sublevel: this.d.sub.consensus,
        key: new TextEncoder().encode(consensus.key),
        value: consensus.value,
      });
    }
    if (ops.length === 0) return;
    await this.d.db.batch(ops);
    this.lastMini = last;
  }

  async getMiniBlock(sequence: bigint): Promise<Uint8Array | undefined> {
    return this.d.sub.miniBlocks.get(u64(sequence));
  }

  /** Writes a whole EVM block and its state changes atomically, and moves the head to it. */
  async commitEvmBlock(rec: EvmBlockRecord): Promise<void> {
    const head = this.headCache;
    if (head !== undefined && rec.number !== head.number + 1n) {
      throw new StorageError("OUT_OF_ORDER", `EVM block ${rec.number} after ${head.number}`);
    }
    if (rec.hash.length !== 32) throw new StorageError("BAD_INPUT", "block hash must be 32 bytes");
    if (head !== undefined && rec.lastMiniBlock < head.lastMiniBlock) {
      throw new StorageError("OUT_OF_ORDER", "an EVM block cannot end before the previous one");
    }
    const { sub } = this.d;
    const numberKey = u64(rec.number);
    const newHead: ChainHead = {
      number: rec.number,
      hash: rec.hash.slice(),
      lastMiniBlock: rec.lastMiniBlock,
    };
    const ops: BatchOp[] = await this.state.changeOps(rec.changes);
    ops.push({ type: "put", sublevel: sub.blocks, key: numberKey, value: rec.header });
    ops.push({ type: "put", sublevel: sub.blockHashes, key: rec.hash, value: numberKey });
    ops.push({ type: "put", sublevel: sub.receipts, key: numberKey, value: rec.receipts });
    rec.txs.forEach((tx, index) => {
      ops.push({
        type: "put",
        sublevel: sub.txIndex,
        key: tx.hash,
        value: concat(numberKey, u32(index), u64(tx.miniBlock), u32(tx.miniIndex)),
      });
    });
    ops.push({ type: "put", sublevel: sub.meta, key: HEAD_KEY, value: encodeHead(newHead) });
    await this.d.db.batch(ops);
    this.headCache = newHead;
  }

  async getBlockHeader(number: bigint): Promise<Uint8Array | undefined> {
    return this.d.sub.blocks.get(u64(number));
  }

  async getBlockNumber(hash: Uint8Array): Promise<bigint | undefined> {
    const v = await this.d.sub.blockHashes.get(hash);
    return v === undefined ? undefined : readU64(v);
  }

  async getReceipts(number: bigint): Promise<Uint8Array | undefined> {
    return this.d.sub.receipts.get(u64(number));
  }

  async getTxLocation(hash: Uint8Array): Promise<TxLocation | undefined> {
    const v = await this.d.sub.txIndex.get(hash);
    if (v === undefined) return undefined;
    return {
      blockNumber: readU64(v, 0),
      index: readU32(v, 8),
      miniBlock: readU64(v, 12),
      miniIndex: readU32(v, 20),
    };
  }

  /**
   * Consensus records (block tree, safety data). `sync: true` fsyncs before resolving: safety data
   * must be on disk before a vote leaves the node.
   */
  async putConsensus(key: string, value: Uint8Array, opts: { sync?: boolean } = {}): Promise<void> {
    await this.d.db.batch(
      [{ type: "put", sublevel: this.d.sub.consensus, key: new TextEncoder().encode(key), value }],
      { sync: opts.sync ?? false },
    );
  }

  getConsensusSync(key: string): Uint8Array | undefined {
    return this.d.sub.consensus.getSync(new TextEncoder().encode(key));
  }

  async delConsensus(key: string): Promise<void> {
    await this.d.sub.consensus.del(new TextEncoder().encode(key));
  }

  /** Free-form metadata (genesis hash, chain id, schema version). Keys starting with "head"/"last" are reserved. */
  async putMeta(key: string, value: Uint8Array): Promise<void> {
    if (key === "head" || key === "lastMiniBlock")
      throw new StorageError("BAD_INPUT", `reserved meta key ${key}`);
    await this.d.sub.meta.put(new TextEncoder().encode(key), value);
  }

  getMetaSync(key: string): Uint8Array | undefined {
    return this.d.sub.meta.getSync(new TextEncoder().encode(key));
  }

  /**
   * What a restart must do: the head is the last EVM block whose batch landed; every committed
   * mini-block after `head.lastMiniBlock` is listed for re-execution. A missing mini-block in that
   * range means the database is not one this code wrote, and is reported as corrupt.
   */
  async recover(): Promise<RecoveryReport> {
    const head = this.headCache;
    const replay: { sequence: bigint; bytes: Uint8Array }[] = [];
    const from = head === undefined ? undefined : head.lastMiniBlock + 1n;
    let expected = from;
    for await (const [key, bytes] of this.d.sub.miniBlocks.iterator(
      from === undefined ? {} : { gte: u64(from) },
    )) {
      const sequence = readU64(key);
      if (expected !== undefined && sequence !== expected) {
        throw new StorageError("CORRUPT_RECORD", `mini-block ${expected} missing (found ${sequence})`);
      }
      replay.push({ sequence, bytes });
      expected = sequence + 1n;
    }
    const last = replay.length > 0 ? replay[replay.length - 1].sequence : this.lastMini;
    if (this.lastMini !== undefined && last !== this.lastMini) {
      throw new StorageError(
        "CORRUPT_RECORD",
        `last mini-block pointer ${this.lastMini} but data ends at ${last}`,
      );
    }
    return { head, lastMiniBlock: this.lastMini, replay };
  }
}
