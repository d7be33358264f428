import os from "node:os";
import { Worker } from "node:worker_threads";
import { BlsError } from "./bls-error.ts";
import type { BlsVerifier, SignatureSet } from "./bls-verifier.ts";
import { prepareSets } from "./bls-verifier.ts";
import type { WorkerRequest, WorkerResponse } from "./bls-worker.ts";

export interface BlsWorkerPoolOptions {
  /** Worker threads; default: available cores minus one (the main thread has work too), at least 1. */
  workers?: number;
  /**
   * Jobs waiting in the queue are merged into one worker message up to this many sets: a worker
   * round trip costs ~85 us, so many votes per message, and a bigger random linear combination.
   */
  maxSetsPerMessage?: number;
}

interface Job {
  sets: WorkerRequest["jobs"][number];
  resolve(results: boolean[]): void;
  reject(err: Error): void;
}

interface PoolWorker {
  worker: Worker;
  inFlight: { id: number; jobs: Job[] } | null;
}

const WORKER_URL = new URL("./bls-worker.ts", import.meta.url);

/**
 * BlsVerifier on worker_threads (Node 22 runs the worker's .ts directly). Keys are validated and
 * aggregated on the calling thread; signature decoding, subgroup checks and pairings run in the
 * workers. Idle workers are unref'd so a pool never keeps a process alive by itself.
 */
export class BlsWorkerPool implements BlsVerifier {
  private readonly maxSetsPerMessage: number;
  private readonly workers: PoolWorker[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(opts: BlsWorkerPoolOptions = {}) {
    const count = opts.workers ?? Math.max(1, os.availableParallelism() - 1);
    this.maxSetsPerMessage = opts.maxSetsPerMessage ?? 128;
    for (let i = 0; i < count; i++) this.workers.push(this.spawn());
  }

  get size(): number {
    return this.workers.length;
  }

  async verifySignatureSets(sets: readonly SignatureSet[]): Promise<boolean> {
    return (await this.verifyEach(sets)).every(Boolean);
  }

  verifyEach(sets: readonly SignatureSet[]): Promise<boolean[]> {
    if (this.closed) return Promise.reject(new BlsError("VERIFIER_CLOSED", "verifier is closed"));
    let wire: Job["sets"];
    try {
      // slice(): a view into a large buffer (a gossip frame) would otherwise be cloned whole.
      wire = prepareSets(sets).map((set) => ({
        publicKeys: set.publicKeys.map((pk) => pk.toBytes(false)),
        messages: set.messages.map((m) => m.slice()),
        signature: set.signature.slice(),
      }));
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<boolean[]>((resolve, reject) => {
      this.queue.push({ sets: wire, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closedError = new BlsError("VERIFIER_CLOSED", "verifier closed before the job ran");
    for (const job of this.queue.splice(0)) job.reject(closedError);
    const workers = this.workers.splice(0);
    for (const w of workers) {
      for (const job of w.inFlight?.jobs ?? []) job.reject(closedError);
      w.inFlight = null;
    }
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  private spawn(): PoolWorker {
    const worker = new Worker(WORKER_URL);
    const entry: PoolWorker = { worker, inFlight: null };
    worker.unref();
    worker.on("message", (response: WorkerResponse) => this.onResponse(entry, response));
    worker.on("error", (err) => this.onWorkerDeath(entry, err));
    worker.on("exit", (code) => {
      if (!this.closed) this.onWorkerDeath(entry, new Error(`worker exited with code ${code}`));
    });
    return entry;
  }

  private dispatch(): void {
    for (const w of this.workers) {
      if (this.queue.length === 0) return;
      if (w.inFlight !== null) continue;
      const jobs: Job[] = [];
      let count = 0;
      while (this.queue.length > 0) {
        const next = this.queue[0];
        if (jobs.length > 0 && count + next.sets.length > this.maxSetsPerMessage) break;
        jobs.push(next);
        count += next.sets.length;
        this.queue.shift();
      }
      const id = this.nextId++;
      w.inFlight = { id, jobs };
      w.worker.ref();
      const request: WorkerRequest = { id, jobs: jobs.map((j) => j.sets) };
      w.worker.postMessage(request);
    }
  }

  private onResponse(entry: PoolWorker, response: WorkerResponse): void {
    const inFlight = entry.inFlight;
    if (inFlight === null || inFlight.id !== response.id) return;
    entry.inFlight = null;
    entry.worker.unref();
    if ("error" in response) {
      const err = new BlsError("WORKER_FAILED", `BLS worker failed: ${response.error}`);
      for (const job of inFlight.jobs) job.reject(err);
    } else {
      for (let i = 0; i < inFlight.jobs.length; i++) inFlight.jobs[i].resolve(response.results[i]);
    }
    this.dispatch();
  }

  private onWorkerDeath(entry: PoolWorker, err: Error): void {
    const index = this.workers.indexOf(entry);
    if (index === -1) return;
    const failure = new BlsError("WORKER_FAILED", `BLS worker died: ${err.message}`);
    for (const job of entry.inFlight?.jobs ?? []) job.reject(failure);
    entry.inFlight = null;
    void entry.worker.terminate();
    if (this.closed) return;
    this.workers[index] = this.spawn();
    this.dispatch();
  }
}
