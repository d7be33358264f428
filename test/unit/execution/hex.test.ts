import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesToHex, hexToBytes, slotKey } from "../../../src/execution/hex.ts";

const SEED = Number(process.env.FC_SEED ?? 20261121);
const reference = (b: Uint8Array): string =>
  `0x${[...b].map((x) => x.toString(16).padStart(2, "0")).join("")}`;

describe("hex", () => {
  it("bytesToHex is lowercase 0x-hex for every length, views into larger buffers included", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(8), fc.nat(8), (bytes, head, tail) => {
        const big = new Uint8Array(head + bytes.length + tail).fill(0xee);
        big.set(bytes, head);
        const view = big.subarray(head, head + bytes.length);
        expect(bytesToHex(view)).toBe(reference(bytes));
        expect(hexToBytes(bytesToHex(view))).toEqual(bytes);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("slotKey gives the left-padded 32-byte hex, also for keys it saw before and for reused arrays", () => {
    const pool = Array.from({ length: 6 }, (_, i) =>
      Uint8Array.from({ length: 32 }, (_, j) => (i * 37 + j) & 0xff),
    );
    const reused = new Uint8Array(32);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.nat(5), fc.uint8Array({ maxLength: 32 })), { maxLength: 20 }),
        (picks) => {
          for (const pick of picks) {
            const bytes = typeof pick === "number" ? pool[pick] : pick;
            const padded = new Uint8Array(32);
            padded.set(bytes, 32 - bytes.length);
            expect(slotKey(bytes)).toBe(reference(padded));
            // The same array with new contents must not hit the old entry.
            reused.set(padded);
            expect(slotKey(reused)).toBe(reference(padded));
            reused[31] ^= 1;
            expect(slotKey(reused)).toBe(reference(reused));
          }
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });
});
