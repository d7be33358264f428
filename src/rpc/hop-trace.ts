import { appendFile } from "node:fs";
import { keccak256 } from "../crypto/index.ts";
import { bytesToHex } from "../execution/hex.ts";

/**
 * Per-hop timestamps of realtime submissions, for latency work: off unless MEGASEQ_HOP_TRACE
 * names a file. Each hop appends `<µs> <pid> <hash> <hop>`; the clock is CLOCK_MONOTONIC
 * (process.hrtime), which every process on one machine shares, so the hops of one transaction
 * across the RPC node, its forward and the leader line up. Writes are buffered and flushed off
 * the hot path; the buffer is bounded.
 */
const file = process.env.MEGASEQ_HOP_TRACE;
const MAX_BUFFERED = 10_000;
let buffered: string[] = [];
let flushScheduled = false;

export const hopTraceEnabled = file !== undefined && file !== "";

/** Records that `hash` passed `hop` now (no-op unless tracing is on). */
export function hop(hash: string, what: string): void {
  if (!hopTraceEnabled) return;
  if (buffered.length >= MAX_BUFFERED) return;
  const us = process.hrtime.bigint() / 1000n;
  buffered.push(`${us} ${process.pid} ${hash.slice(0, 18)} ${what}\n`);
  if (!flushScheduled) {
    flushScheduled = true;
    setTimeout(flush, 100).unref();
  }
}

function flush(): void {
  flushScheduled = false;
  const text = buffered.join("");
  buffered = [];
  if (text !== "") appendFile(file as string, text, () => {});
}

/** Like `hop`, for a raw transaction whose hash is not known yet. */
export function hopRaw(raw: Uint8Array, what: string): void {
  if (hopTraceEnabled) hop(bytesToHex(keccak256(raw)), what);
}
