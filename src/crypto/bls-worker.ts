import { parentPort } from "node:worker_threads";
import * as blst from "@chainsafe/blst";
import { verifyPreparedSets } from "./bls-verify-sets.ts";

/**
 * Worker thread of BlsWorkerPool. Public keys arrive uncompressed (96 B) and were validated by
 * the pool's thread, so decoding them here skips the square root and the subgroup check;
 * signatures arrive compressed and untrusted and are fully checked here (the costly part).
 */
export interface WorkerRequest {
  id: number;
  /** One entry per job: its sets. */
  jobs: { publicKeys: Uint8Array[]; messages: Uint8Array[]; signature: Uint8Array }[][];
}

export type WorkerResponse = { id: number; results: boolean[][] } | { id: number; error: string };

function handle(request: WorkerRequest): WorkerResponse {
  try {
    const sizes = request.jobs.map((job) => job.length);
    const flat = request.jobs.flat().map((set) => ({
      publicKeys: set.publicKeys.map((pk) => blst.PublicKey.fromBytes(pk, false)),
      messages: set.messages,
      signature: set.signature,
    }));
    // All jobs of the message in one batch; verifyPreparedSets falls back per set on failure.
    const all = verifyPreparedSets(flat);
    const results: boolean[][] = [];
    let offset = 0;
    for (const size of sizes) {
      results.push(all.slice(offset, offset + size));
      offset += size;
    }
    return { id: request.id, results };
  } catch (err) {
    return { id: request.id, error: err instanceof Error ? err.message : String(err) };
  }
}

parentPort?.on("message", (request: WorkerRequest) => {
  parentPort?.postMessage(handle(request));
});
