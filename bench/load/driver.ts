// Drives pre-signed transactions into a network through JSON-RPC batches spread over its nodes,
// and measures what got committed by reading the committed blocks back.
import type { Hex } from "viem";
import { rpcCall } from "./network.ts";

interface BatchEntry {
  id: number;
  result?: unknown;
  error?: { code: number; message: string };
}

export interface SendStats {
  sent: number;
  rejected: number;
  firstErrors: string[];
}

/**
 * Sends `txs` with eth_sendRawTransaction in batches of `batch`, node i gets batch i mod n, at most
 * `inflight` batches outstanding. Order within the list is preserved per node-stream, and the list is
 * nonce-interleaved, so a sender's nonces arrive roughly in order (the pool keeps small gaps).
 */
export async function sendAll(urls: string[], txs: Hex[], batch = 100, inflight = 8): Promise<SendStats> {
  const stats: SendStats = { sent: 0, rejected: 0, firstErrors: [] };
  let next = 0;
  let batchNo = 0;
  async function worker(): Promise<void> {
    for (;;) {
      const start = next;
      if (start >= txs.length) return;
      next += batch;
      const url = urls[batchNo++ % urls.length];
      const body = txs.slice(start, start + batch).map((raw, j) => ({
        jsonrpc: "2.0",
        id: start + j,
        method: "eth_sendRawTransaction",
        params: [raw],
      }));
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const parsed = (await response.json()) as BatchEntry[] | BatchEntry;
      const entries = Array.isArray(parsed) ? parsed : [parsed];
      for (const e of entries) {
        if (e.error) {
          stats.rejected++;
          if (stats.firstErrors.length < 5) stats.firstErrors.push(`${e.error.code} ${e.error.message}`);
        } else stats.sent++;
      }
    }
  }
  await Promise.all(Array.from({ length: inflight }, worker));
  return stats;
}

interface BlockHeader {
  number: Hex;
  transactions: Hex[];
}

/**
 * Reads committed blocks from `fromBlock` on until every hash in `expected` was seen or `timeoutMs`
 * passed; returns the count and the wall-clock time at which the last one was seen.
 */
export async function waitCommitted(
  url: string,
  fromBlock: bigint,
  expected: Set<string>,
  timeoutMs: number,
): Promise<{ committed: number; at: number; blocks: number }> {
  const deadline = Date.now() + timeoutMs;
  let n = fromBlock;
  let committed = 0;
  let at = Date.now();
  let blocks = 0;
  while (committed < expected.size && Date.now() < deadline) {
    const block = await rpcCall<BlockHeader | null>(url, "eth_getBlockByNumber", [
      `0x${n.toString(16)}`,
      false,
    ]);
    if (block === null) {
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    const ours = block.transactions.filter((h) => expected.has(h.toLowerCase())).length;
    committed += ours;
    if (ours > 0) at = Date.now();
    blocks++;
    n++;
  }
  return { committed, at, blocks };
}

/** Sequential round trips of one method for pre-signed txs; milliseconds each (failures skipped). */
export async function roundTrips(
  url: string,
  method: "realtime_sendRawTransaction" | "eth_sendRawTransactionSync",
  txs: Hex[],
  stopAt = Number.POSITIVE_INFINITY,
): Promise<{ ms: number[]; errors: string[] }> {
  const ms: number[] = [];
  const errors: string[] = [];
  for (const raw of txs) {
    if (Date.now() > stopAt) break;
    const t0 = performance.now();
    try {
      await rpcCall(url, method, [raw, 10_000]);
      ms.push(performance.now() - t0);
    } catch (error) {
      if (errors.length < 5) errors.push((error as Error).message);
    }
  }
  return { ms, errors };
}
