import { keccak_256 } from "@noble/hashes/sha3.js";
import { describe, expect, it } from "vitest";
import { keccak256 } from "../../../src/crypto/keccak.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("keccak256", () => {
  it("matches the known digest of the empty string", () => {
    expect(hex(keccak256(new Uint8Array(0)))).toBe(
      "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
  });

  it("agrees with @noble/hashes on many lengths (seeded)", () => {
    const seed = 2;
    let x = seed;
    for (let len = 0; len < 300; len += 7) {
      const data = new Uint8Array(len);
      for (let i = 0; i < len; i++) {
        x = (x * 1103515245 + 12345) >>> 0;
        data[i] = x >>> 24;
      }
      expect(hex(keccak256(data)), `seed ${seed} len ${len}`).toBe(hex(keccak_256(data)));
    }
  });

  it("is reusable: interleaved calls do not leak state", () => {
    const a = keccak256(Uint8Array.of(1, 2, 3));
    keccak256(new Uint8Array(1000));
    expect(hex(keccak256(Uint8Array.of(1, 2, 3)))).toBe(hex(a));
  });
});
