import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesToHex, hexToBytes } from "../../../src/execution/hex.ts";

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
});
