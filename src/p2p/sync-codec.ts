import { P2pError } from "./errors.ts";

/**
 * blocks-by-range request: the epoch (u64), the round or height to start after (u64) and a count
 * (u32). The epoch lets a node that is behind ask for the rest of its own epoch from peers that
 * have moved on to later ones.
 */
export interface RangeRequest {
  epoch: bigint;
  start: bigint;
  count: number;
}

export const RANGE_REQUEST_BYTES = 20;

export function encodeRangeRequest(req: RangeRequest): Uint8Array {
  const out = new Uint8Array(RANGE_REQUEST_BYTES);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, req.epoch);
  view.setBigUint64(8, req.start);
  view.setUint32(16, req.count);
  return out;
}

export function decodeRangeRequest(bytes: Uint8Array): RangeRequest {
  if (bytes.length !== RANGE_REQUEST_BYTES)
    throw new P2pError(
      "BAD_REQUEST",
      `range request must be ${RANGE_REQUEST_BYTES} bytes, got ${bytes.length}`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { epoch: view.getBigUint64(0), start: view.getBigUint64(8), count: view.getUint32(16) };
}

/** blocks-by-hash request: the 32-byte hashes back to back. */
export function encodeHashRequest(hashes: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(hashes.length * 32);
  hashes.forEach((hash, i) => {
    if (hash.length !== 32) throw new P2pError("BAD_REQUEST", "block hashes must be 32 bytes");
    out.set(hash, i * 32);
  });
  return out;
}

export function decodeHashRequest(bytes: Uint8Array, maxHashes: number): Uint8Array[] {
  if (bytes.length === 0 || bytes.length % 32 !== 0) {
    throw new P2pError("BAD_REQUEST", "hash request must be a non-empty multiple of 32 bytes");
  }
  if (bytes.length / 32 > maxHashes)
    throw new P2pError("BAD_REQUEST", `more than ${maxHashes} hashes requested`);
  const hashes: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 32) hashes.push(bytes.slice(i, i + 32));
  return hashes;
}
