import os from "node:os";
import { Hardfork } from "@ethereumjs/common";
import { TxCryptoError } from "./secp256k1.ts";
import type { RecoveryResult, SenderRecoveryWorkerData } from "./sender-recovery-worker.ts";
import { BatchingWorkerPool } from "./worker-pool.ts";

export type { RecoveryResult };

export interface SenderRecoveryPoolOptions {
  chainId: bigint;
  hardfork?: string;
  /** Default: available cores minus one, at least 1. */
  workers?: number;
  /** Txs per worker message; queued calls are merged up to this. */
  maxTxsPerMessage?: number;
}

/**
 * Decodes raw signed txs and recovers their senders on worker threads (native secp256k1 through
 * @ethereumjs/tx in each worker), for admitting gossiped tx batches without blocking the event
 * loop. One result per tx, in order; a bad tx is a result with its TxCryptoError code, not a throw.
 */
export class SenderRecoveryPool {
  private readonly pool: BatchingWorkerPool<Uint8Array, RecoveryResult>;

  constructor(opts: SenderRecoveryPoolOptions) {
    const workerData: SenderRecoveryWorkerData = {
      chainId: opts.chainId,
      hardfork: opts.hardfork ?? Hardfork.Prague,
    };
    this.pool = new BatchingWorkerPool<Uint8Array, RecoveryResult>(
      {
        url: new URL("./sender-recovery-worker.ts", import.meta.url),
        workers: opts.workers ?? Math.max(1, os.availableParallelism() - 1),
        maxItemsPerMessage: opts.maxTxsPerMessage ?? 256,
        workerData,
      },
      {
        makeError: (code, message) =>
          new TxCryptoError(
            code === "CLOSED" ? "POOL_CLOSED" : "WORKER_FAILED",
            `sender recovery ${message}`,
          ),
      },
    );
  }

  /** Raw bytes are copied before posting, so views into large frames are not cloned whole. */
  recoverSenders(raws: readonly Uint8Array[]): Promise<RecoveryResult[]> {
    return this.pool.run(raws.map((raw) => (raw instanceof Uint8Array ? raw.slice() : new Uint8Array(0))));
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
