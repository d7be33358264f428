import { keccak256 } from "../crypto/keccak.ts";
import { hexToBytes } from "./hex.ts";
import type { Log } from "./types.ts";

export const BLOOM_BYTES = 256;

/**
 * The 3 bloom bit positions of recently seen items (hex), so a busy token's address and its
 * Transfer topic are hashed once, not per receipt. Bounded: cleared when it reaches the limit.
 */
const BIT_CACHE_LIMIT = 4096;
const bitCache = new Map<string, [number, number, number]>();

function bitsOf(hex: string): [number, number, number] {
  let bits = bitCache.get(hex);
  if (bits === undefined) {
    const hash = keccak256(hexToBytes(hex));
    bits = [
      ((hash[0] << 8) | hash[1]) & 2047,
      ((hash[2] << 8) | hash[3]) & 2047,
      ((hash[4] << 8) | hash[5]) & 2047,
    ];
    if (bitCache.size >= BIT_CACHE_LIMIT) bitCache.clear();
    bitCache.set(hex, bits);
  }
  return bits;
}

function addHexToBloom(bloom: Uint8Array, hex: string): void {
  for (const bit of bitsOf(hex)) bloom[BLOOM_BYTES - 1 - (bit >> 3)] |= 1 << (bit & 7);
}

/** The logs bloom of a list of logs: every log's address and topics. */
export function logsBloom(logs: readonly Log[]): Uint8Array {
  const bloom = new Uint8Array(BLOOM_BYTES);
  for (const log of logs) {
    addHexToBloom(bloom, log.address);
    for (const topic of log.topics) addHexToBloom(bloom, topic);
  }
  return bloom;
}

/** OR of blooms (a block's bloom is the OR of its receipts'). */
export function orBloom(into: Uint8Array, other: Uint8Array): void {
  for (let i = 0; i < BLOOM_BYTES; i++) into[i] |= other[i];
}
