import { keccak256 } from "../crypto/keccak.ts";
import { hexToBytes } from "./hex.ts";
import type { Log } from "./types.ts";

export const BLOOM_BYTES = 256;

/** Sets the 3 bloom bits of one item (yellow paper M3:2048). */
function addToBloom(bloom: Uint8Array, item: Uint8Array): void {
  const hash = keccak256(item);
  for (let i = 0; i < 6; i += 2) {
    const bit = ((hash[i] << 8) | hash[i + 1]) & 2047;
    bloom[BLOOM_BYTES - 1 - (bit >> 3)] |= 1 << (bit & 7);
  }
}

/** The logs bloom of a list of logs: every log's address and topics. */
export function logsBloom(logs: readonly Log[]): Uint8Array {
  const bloom = new Uint8Array(BLOOM_BYTES);
  for (const log of logs) {
    addToBloom(bloom, hexToBytes(log.address));
    for (const topic of log.topics) addToBloom(bloom, hexToBytes(topic));
  }
  return bloom;
}

/** OR of blooms (a block's bloom is the OR of its receipts'). */
export function orBloom(into: Uint8Array, other: Uint8Array): void {
  for (let i = 0; i < BLOOM_BYTES; i++) into[i] |= other[i];
}
