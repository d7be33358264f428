import { bigIntToBytes, setLengthLeft } from "@ethereumjs/util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { minimalBytes, writeWord } from "../../../src/execution/fast-opcodes.ts";

const SEED = Number(process.env.FC_SEED ?? 20261121);

// Words of every size class: the limb fast paths split at 2^64 and 2^128.
const wordArb = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: 1n << 64n, max: (1n << 128n) - 1n }),
  fc.bigInt({ min: 1n << 128n, max: (1n << 256n) - 1n }),
  fc.constantFrom(0n, 1n, (1n << 64n) - 1n, 1n << 64n, (1n << 128n) - 1n, 1n << 128n, (1n << 256n) - 1n),
);

describe("256-bit word conversions used by the opcode handlers", () => {
  it("writeWord gives ethereumjs's setLengthLeft(bigIntToBytes(w), 32)", () => {
    fc.assert(
      fc.property(wordArb, (w) => {
        expect(writeWord(w, new Uint8Array(32))).toEqual(setLengthLeft(bigIntToBytes(w), 32));
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("minimalBytes gives bigIntToBytes for non-zero words and empty bytes for 0", () => {
    fc.assert(
      fc.property(wordArb, (w) => {
        expect(minimalBytes(w)).toEqual(w === 0n ? new Uint8Array(0) : bigIntToBytes(w));
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("writeWord into a reused buffer leaves no bytes of the previous word", () => {
    const out = new Uint8Array(32);
    writeWord((1n << 256n) - 1n, out);
    expect(writeWord(5n, out)).toEqual(setLengthLeft(Uint8Array.of(5), 32));
  });
});
