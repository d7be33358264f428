import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keccak256 } from "../../../src/crypto/keccak.ts";
import { logsBloom } from "../../../src/execution/bloom.ts";
import { bytesToHex, hexToBytes } from "../../../src/execution/hex.ts";
import type { Hex, Log } from "../../../src/execution/types.ts";

const SEED = Number(process.env.FC_SEED ?? 20261121);

/** The yellow paper's M3:2048, straight from the definition. */
function referenceBloom(logs: readonly Log[]): Uint8Array {
  const bloom = new Uint8Array(256);
  const add = (item: Uint8Array): void => {
    const h = keccak256(item);
    for (let i = 0; i < 6; i += 2) {
      const bit = ((h[i] << 8) | h[i + 1]) & 2047;
      bloom[255 - (bit >> 3)] |= 1 << (bit & 7);
    }
  };
  for (const log of logs) {
    add(hexToBytes(log.address));
    for (const t of log.topics) add(hexToBytes(t));
  }
  return bloom;
}

// A small pool of items so that the bit cache is hit, plus fresh ones so that it fills and clears.
const pooled = (n: number): fc.Arbitrary<Hex> =>
  fc.oneof(
    fc.integer({ min: 0, max: 7 }).map((i) => bytesToHex(keccak256(Uint8Array.of(i)).subarray(0, n))),
    fc.uint8Array({ minLength: n, maxLength: n }).map(bytesToHex),
  );
const logArb: fc.Arbitrary<Log> = fc.record({
  address: pooled(20),
  topics: fc.array(pooled(32), { maxLength: 4 }),
  data: fc.constant(new Uint8Array(0)),
});

describe("logs bloom", () => {
  it("equals the definition over random logs, with repeated and fresh items", () => {
    fc.assert(
      fc.property(fc.array(logArb, { maxLength: 6 }), (logs) => {
        expect(logsBloom(logs)).toEqual(referenceBloom(logs));
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });
});
