import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type MiniBlockPayload, MiniBlockPayload as PayloadType } from "../../../src/types/index.ts";
import { payloadRootOf } from "../../../src/types/payload-root.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

const tx = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.constantFrom(0, 1, 31, 32, 33, 63, 64, 65, 4096, 70_000).map((n) => new Uint8Array(n).fill(n % 251)),
);
const deposit = fc.record({
  sourceHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  from: fc.uint8Array({ minLength: 20, maxLength: 20 }),
  to: fc.uint8Array({ minLength: 20, maxLength: 20 }),
  mint: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
  value: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
  gasLimit: fc.integer({ min: 0, max: 30_000_000 }),
  data: fc.uint8Array({ maxLength: 100 }),
});
const payload = fc.record({
  timestampUs: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  l1OriginNumber: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  l1OriginHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  deposits: fc.array(deposit, { maxLength: 3 }),
  txs: fc.array(tx, { maxLength: 40 }),
});

describe("payloadRootOf", () => {
  it("equals the SSZ library's hash_tree_root for random payloads", () => {
    fc.assert(
      fc.property(payload, (p) => {
        const value = p as unknown as MiniBlockPayload;
        expect(hex(payloadRootOf(value))).toBe(hex(PayloadType.hashTreeRoot(value)));
      }),
      { numRuns: 200, seed: 20261121 },
    );
  });

  it("equals it for an empty payload and for a full-size transaction list", () => {
    const empty = PayloadType.defaultValue();
    expect(hex(payloadRootOf(empty))).toBe(hex(PayloadType.hashTreeRoot(empty)));
    const many = { ...empty, txs: Array.from({ length: 4096 }, (_, i) => new Uint8Array(110).fill(i & 255)) };
    expect(hex(payloadRootOf(many))).toBe(hex(PayloadType.hashTreeRoot(many)));
  });

  it("refuses a payload over the type's limits (it could never be encoded)", () => {
    const empty = PayloadType.defaultValue();
    const tooMany = { ...empty, txs: Array.from({ length: 4097 }, () => new Uint8Array(1)) };
    expect(() => payloadRootOf(tooMany)).toThrow(/4097 transactions/);
    const tooBig = { ...empty, txs: [new Uint8Array(131073)] };
    expect(() => payloadRootOf(tooBig)).toThrow(/131073 bytes/);
  });
});
