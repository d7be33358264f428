import { Worker } from "node:worker_threads";

/**
 * A pool of worker_threads that take batches: callers submit arrays of items, queued jobs are
 * merged into one worker message up to `maxItemsPerMessage` (a round trip costs ~85 us, so never
 * one item per message), and each caller gets its own slice of per-item results back.
 * Protocol: see `serveBatches` (the worker side). Idle workers are unref'd so a pool never keeps a
 * process alive by itself.
 */
export interface BatchingWorkerPoolOptions {
  /** The worker module (a .ts file: Node 22 runs it natively). */
  url: URL;
  workers: number;
  maxItemsPerMessage: number;
  /**
   * Messages a worker may hold at once (default 1). Above 1 a worker starts its next batch without
   * waiting for the main thread to read its last answer: needed when the caller posts many batches
   * from one long synchronous loop, during which no response can be handled.
   */
  maxInFlightPerWorker?: number;
  workerData?: unknown;
}

export interface BatchingWorkerPoolModules {
  /** Builds the caller-facing error for a closed pool or a dead/failing worker. */
  makeError(code: "CLOSED" | "WORKER_FAILED", message: string): Error;
}

export interface BatchRequest<Item> {
  id: number;
  jobs: Item[][];
}

export type BatchResponse<Result> = { id: number; results: Result[][] } | { id: number; error: string };

interface Job<Item, Result> {
  items: Item[];
  resolve(results: Result[]): void;
  reject(err: Error): void;
}

interface Slot<Item, Result> {
  worker: Worker;
  /** Messages posted and not answered yet, oldest first (a worker answers in order). */
  inFlight: { id: number; jobs: Job<Item, Result>[] }[];
}

export class BatchingWorkerPool<Item, Result> {
  private readonly opts: BatchingWorkerPoolOptions;
  private readonly modules: BatchingWorkerPoolModules;
  private readonly slots: Slot<Item, Result>[] = [];
  private readonly queue: Job<Item, Result>[] = [];
  private nextId = 1;
  private closed = false;

  constructor(opts: BatchingWorkerPoolOptions, modules: BatchingWorkerPoolModules) {
    this.opts = opts;
    this.modules = modules;
    for (let i = 0; i < Math.max(1, opts.workers); i++) this.slots.push(this.spawn());
  }

  get size(): number {
    return this.slots.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  run(items: Item[]): Promise<Result[]> {
    if (this.closed) return Promise.reject(this.modules.makeError("CLOSED", "worker pool is closed"));
    return new Promise<Result[]>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = this.modules.makeError("CLOSED", "worker pool closed before the job ran");
    for (const job of this.queue.splice(0)) job.reject(err);
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      for (const message of slot.inFlight) for (const job of message.jobs) job.reject(err);
      slot.inFlight = [];
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot<Item, Result> {
    const worker = new Worker(this.opts.url, { workerData: this.opts.workerData });
    const slot: Slot<Item, Result> = { worker, inFlight: [] };
    worker.unref();
    worker.on("message", (response: BatchResponse<Result>) => this.onResponse(slot, response));
    worker.on("error", (err) => this.onDeath(slot, err));
    worker.on("exit", (code) => {
      if (!this.closed) this.onDeath(slot, new Error(`worker exited with code ${code}`));
    });
    return slot;
  }

  private dispatch(): void {
    const depth = Math.max(1, this.opts.maxInFlightPerWorker ?? 1);
    while (this.queue.length > 0) {
      let slot: Slot<Item, Result> | undefined;
      for (const candidate of this.slots) {
        if (candidate.inFlight.length >= depth) continue;
        if (slot === undefined || candidate.inFlight.length < slot.inFlight.length) slot = candidate;
      }
      if (slot === undefined) return;
      const jobs: Job<Item, Result>[] = [];
      let count = 0;
      while (this.queue.length > 0) {
        const next = this.queue[0];
        if (jobs.length > 0 && count + next.items.length > this.opts.maxItemsPerMessage) break;
        jobs.push(next);
        count += next.items.length;
        this.queue.shift();
      }
      const id = this.nextId++;
      slot.inFlight.push({ id, jobs });
      slot.worker.ref();
      const request: BatchRequest<Item> = { id, jobs: jobs.map((j) => j.items) };
      slot.worker.postMessage(request);
    }
  }

  private onResponse(slot: Slot<Item, Result>, response: BatchResponse<Result>): void {
    const index = slot.inFlight.findIndex((m) => m.id === response.id);
    if (index === -1) return;
    const [inFlight] = slot.inFlight.splice(index, 1);
    if (slot.inFlight.length === 0) slot.worker.unref();
    if ("error" in response) {
      const err = this.modules.makeError("WORKER_FAILED", `worker failed: ${response.error}`);
      for (const job of inFlight.jobs) job.reject(err);
    } else {
      for (let i = 0; i < inFlight.jobs.length; i++) inFlight.jobs[i].resolve(response.results[i]);
    }
    this.dispatch();
  }

  private onDeath(slot: Slot<Item, Result>, cause: Error): void {
    const index = this.slots.indexOf(slot);
    if (index === -1) return;
    const err = this.modules.makeError("WORKER_FAILED", `worker died: ${cause.message}`);
    for (const message of slot.inFlight) for (const job of message.jobs) job.reject(err);
    slot.inFlight = [];
    void slot.worker.terminate();
    if (this.closed) return;
    this.slots[index] = this.spawn();
    this.dispatch();
  }
}
