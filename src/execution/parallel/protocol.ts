import type { TxOutcome } from "../tx-envelope.ts";
import type { AccountData, BlockEnv, ExecTx, Hex } from "../types.ts";

/**
 * Plain-data shapes that cross worker_threads (structured clone). Keys are strings: an account is
 * its address, a slot is address + slot (both lowercase 0x hex, fixed width, so concatenation is
 * unambiguous).
 */

/** Values a speculative execution read from outside itself, first read per key. Validated by value. */
export interface ReadSet {
  accounts: [Hex, AccountData | null][];
  slots: [Hex, Hex, bigint][];
  hasStorage: [Hex, boolean][];
}

/** Keys a worker had no value for: the result is void, and main sends the values. */
export interface MissingKeys {
  accounts: Hex[];
  slots: [Hex, Hex][];
  hasStorage: Hex[];
  code: Hex[];
}

/**
 * One state-writer call, recorded so that main can replay it on the real state. Replaying the
 * exact call sequence (reverted writes and checkpoints included) reproduces what the sequential
 * executor does to the state, down to which keys the change set reports.
 */
export type StateOp =
  | [0, Hex, AccountData | null]
  | [1, Hex, Uint8Array, Hex | undefined]
  | [2, Hex, Hex, bigint]
  | [3, Hex]
  | [4, number]
  | [5, number]
  | [6, number];

/** Final values a transaction wrote: what later transactions read from the multi-version memory. */
export interface WriteSet {
  accounts: [Hex, AccountData | null][];
  slots: [Hex, Hex, bigint][];
  /** Accounts whose whole storage was wiped (before the slot writes above). */
  cleared: Hex[];
  code: [Hex, Uint8Array][];
}

export interface SpecResult {
  index: number;
  reads: ReadSet;
  missing: MissingKeys | undefined;
  /**
   * The writer calls to replay at commit; undefined when the tx wiped no storage, deleted no
   * account and stored no code: then main puts the write set's final values instead.
   */
  ops: StateOp[] | undefined;
  writes: WriteSet;
  outcome: TxOutcome | undefined;
  rejected: { code: string; message: string } | undefined;
  /** An unexpected error (speculation over inconsistent values can do that): the result is void. */
  error: string | undefined;
}

/** Values main hands to workers' base caches (answers to misses, and each block's changes). */
export interface CacheFill {
  accounts: [Hex, AccountData | null][];
  slots: [Hex, Hex, bigint][];
  hasStorage: [Hex, boolean][];
  code: [Hex, Uint8Array][];
  /** Accounts whose cached slots must be dropped (storage wiped). */
  cleared: Hex[];
  /** Accounts whose every non-zero slot is in the cache: an uncached slot of theirs reads 0. */
  completeStorage: Hex[];
  /** The fill is a whole-state dump: an uncached account does not exist. */
  completeAccounts: boolean;
}

export type WireEnv = Omit<BlockEnv, "blockHash"> & { blockHashes: [bigint, Uint8Array][] };

export type ToWorker =
  | {
      type: "block";
      blockId: number;
      env: WireEnv;
      txs: ExecTx[];
      resetCache: boolean;
      fill: CacheFill;
      /**
       * Int32Array over a SharedArrayBuffer: [0] = id of a block whose remaining work is
       * cancelled; [1] = results messages posted (each worker adds 1 before posting).
       */
      signals: Int32Array;
    }
  | {
      type: "run";
      blockId: number;
      indices: number[];
      fill: CacheFill;
      mv: ForwardedWrites[];
    };

/** Another thread's writes for a worker's memory: `writes` as `encodeWrites` text when it has no code. */
export interface ForwardedWrites {
  index: number;
  writes: WriteSet | string;
}

/** Results as `encodeResult` text when `encodable`, else the objects themselves. */
export type FromWorker =
  | {
      type: "results";
      blockId: number;
      results: (SpecResult | string)[];
      /** The worker thread's own CPU time so far, in microseconds (for the bench's accounting). */
      cpuMicros: number;
    }
  | { type: "ready" };

export function emptyFill(): CacheFill {
  return {
    accounts: [],
    slots: [],
    hasStorage: [],
    code: [],
    cleared: [],
    completeStorage: [],
    completeAccounts: false,
  };
}
