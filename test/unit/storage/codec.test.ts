import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesToHex } from "../../../src/execution/hex.ts";
import { decodeAccount, encodeAccount, readU256, u256 } from "../../../src/storage/codec.ts";
import { StorageError } from "../../../src/storage/errors.ts";

const SEED = Number(process.env.FC_SEED ?? 20261121);
const u256Arb = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
  fc.constantFrom(0n, (1n << 256n) - 1n),
);

describe("storage codec", () => {
  it("u256 is the 32-byte big-endian word and readU256 reads it back", () => {
    fc.assert(
      fc.property(u256Arb, (v) => {
        const bytes = u256(v);
        expect(bytesToHex(bytes)).toBe(`0x${v.toString(16).padStart(64, "0")}`);
        expect(readU256(bytes)).toBe(v);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("accounts round-trip; out-of-range values and short records are typed errors", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), u256Arb, (nonce, balance) => {
        const account = { nonce, balance, codeHash: `0x${"ab".repeat(32)}` as const };
        expect(decodeAccount(encodeAccount(account))).toEqual(account);
      }),
      { seed: SEED, numRuns: 500 },
    );
    expect(() => u256(1n << 256n)).toThrow(StorageError);
    expect(() => u256(-1n)).toThrow(StorageError);
    expect(() => readU256(new Uint8Array(31))).toThrow(StorageError);
    expect(() => decodeAccount(new Uint8Array(71))).toThrow(StorageError);
  });
});
