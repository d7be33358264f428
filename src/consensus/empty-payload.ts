import type { MiniBlockPayload } from "../types/index.ts";

/** The payload of blocks past an epoch's boundary: they only certify it and are never committed. */
export function emptyPayload(): MiniBlockPayload {
  return { timestampUs: 0, l1OriginNumber: 0, l1OriginHash: new Uint8Array(32), deposits: [], txs: [] };
}
