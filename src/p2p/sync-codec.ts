import { P2pError } from "./errors.ts";

/** blocks-by-range request: start height (u64) and count (u32). */
export function encodeRangeRequest(start: bigint, count: number): Uint8Array {
  const out = new Uint8Array(12);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, start);
  view.setUint32(8, count);
  return out;
}

export function decodeRangeRequest(bytes: Uint8Array): { start: bigint; count: number } {
  if (bytes.length !== 12)
    throw new P2pError("BAD_REQUEST", `range request must be 12 bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { start: view.getBigUint64(0), count: view.getUint32(8) };
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
