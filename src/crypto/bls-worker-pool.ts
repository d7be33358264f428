import os from "node:os";
import { BlsError } from "./bls-error.ts";
import type { BlsVerifier, SignatureSet } from "./bls-verifier.ts";
import { prepareSets } from "./bls-verifier.ts";
import type { WireSet } from "./bls-worker.ts";
import { BatchingWorkerPool } from "./worker-pool.ts";

export interface BlsWorkerPoolOptions {
  /** Worker threads; default: available cores minus one (the main thread has work too), at least 1. */
  workers?: number;
  /** Queued jobs are merged into one worker message up to this many sets (one bigger batch). */
  maxSetsPerMessage?: number;
}

/**
 * BlsVerifier on worker_threads. Keys are validated and aggregated on the calling thread;
 * signature decoding, subgroup checks and pairings run in the workers.
 */
export class BlsWorkerPool implements BlsVerifier {
  private readonly pool: BatchingWorkerPool<WireSet, boolean>;

  constructor(opts: BlsWorkerPoolOptions = {}) {
    this.pool = new BatchingWorkerPool<WireSet, boolean>(
      {
        url: new URL("./bls-worker.ts", import.meta.url),
        workers: opts.workers ?? Math.max(1, os.availableParallelism() - 1),
        maxItemsPerMessage: opts.maxSetsPerMessage ?? 128,
      },
      {
        makeError: (code, message) =>
          new BlsError(code === "CLOSED" ? "VERIFIER_CLOSED" : "WORKER_FAILED", `BLS ${message}`),
      },
    );
  }

  get size(): number {
    return this.pool.size;
  }

  async verifySignatureSets(sets: readonly SignatureSet[]): Promise<boolean> {
    return (await this.verifyEach(sets)).every(Boolean);
  }

  async verifyEach(sets: readonly SignatureSet[]): Promise<boolean[]> {
    if (this.pool.isClosed) throw new BlsError("VERIFIER_CLOSED", "verifier is closed");
    // slice(): a view into a large buffer (a gossip frame) would otherwise be cloned whole.
    const wire = prepareSets(sets).map((set) => ({
      publicKeys: set.publicKeys.map((pk) => pk.toBytes(false)),
      messages: set.messages.map((m) => m.slice()),
      signature: set.signature.slice(),
    }));
    return this.pool.run(wire);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
