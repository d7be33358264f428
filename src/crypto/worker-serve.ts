import { parentPort } from "node:worker_threads";
import type { BatchRequest, BatchResponse } from "./worker-pool.ts";

/**
 * Worker side of BatchingWorkerPool: `handle` gets every item of one message at once (so it can
 * batch across callers) and returns one result per item, in order.
 */
export function serveBatches<Item, Result>(handle: (items: Item[]) => Result[]): void {
  parentPort?.on("message", (request: BatchRequest<Item>) => {
    let response: BatchResponse<Result>;
    try {
      const all = handle(request.jobs.flat());
      const results: Result[][] = [];
      let offset = 0;
      for (const job of request.jobs) {
        results.push(all.slice(offset, offset + job.length));
        offset += job.length;
      }
      response = { id: request.id, results };
    } catch (err) {
      response = { id: request.id, error: err instanceof Error ? err.message : String(err) };
    }
    parentPort?.postMessage(response);
  });
}
