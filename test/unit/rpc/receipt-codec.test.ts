import { describe, expect, it } from "vitest";
import type { ReceiptData } from "../../../src/rpc/backend.ts";
import { decodeReceipt, encodeReceipt } from "../../../src/rpc/receipt-codec.ts";

const H = (n: number): `0x${string}` => `0x${n.toString(16).padStart(64, "0")}`;
const A = (n: number): `0x${string}` => `0x${n.toString(16).padStart(40, "0")}`;

const receipt: ReceiptData = {
  transactionHash: H(1),
  transactionIndex: 3,
  blockHash: H(0),
  blockNumber: 12n,
  from: A(5),
  to: A(6),
  cumulativeGasUsed: 63_000n,
  gasUsed: 21_000n,
  effectiveGasPrice: 2_000_000_000n,
  contractAddress: null,
  logs: [
    {
      address: A(7),
      topics: [H(9)],
      data: "0x01",
      blockNumber: 12n,
      blockHash: H(0),
      transactionHash: H(1),
      transactionIndex: 3,
      logIndex: 4,
    },
  ],
  logsBloom: `0x${"00".repeat(256)}`,
  status: 1,
  type: 2,
  miniBlockNumber: 77n,
  miniBlockIndex: 3,
  finality: "preconfirmed",
};

describe("receipt codec (node-to-node preconfirmation answers)", () => {
  it("round-trips a receipt", () => {
    expect(decodeReceipt(encodeReceipt(receipt))).toEqual(receipt);
  });

  it("refuses malformed or hostile answers", () => {
    const bad = [
      "not json",
      "{}",
      JSON.stringify({ ...JSON.parse(new TextDecoder().decode(encodeReceipt(receipt))), status: "0x2" }),
      JSON.stringify({ ...JSON.parse(new TextDecoder().decode(encodeReceipt(receipt))), gasUsed: "12" }),
      JSON.stringify({ ...JSON.parse(new TextDecoder().decode(encodeReceipt(receipt))), from: "0x1" }),
    ];
    for (const b of bad) expect(() => decodeReceipt(new TextEncoder().encode(b))).toThrow();
  });
});
