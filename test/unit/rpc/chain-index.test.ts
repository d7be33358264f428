import { describe, expect, it } from "vitest";
import type { BlockData, ReceiptData } from "../../../src/rpc/backend.ts";
import { ChainIndex } from "../../../src/rpc/chain-index.ts";
import type { Hex } from "../../../src/rpc/hex.ts";

const hash = (n: number): Hex => `0x${n.toString(16).padStart(64, "0")}`;
const ADDR = "0x00000000000000000000000000000000000000aa" as Hex;

function block(number: number, txHashes: Hex[]): BlockData {
  return {
    number: BigInt(number),
    hash: hash(1000 + number),
    parentHash: hash(999 + number),
    timestamp: BigInt(number),
    gasLimit: 100n,
    gasUsed: BigInt(number * 10),
    baseFeePerGas: BigInt(7 + number),
    miner: ADDR,
    stateRoot: hash(0),
    transactionsRoot: hash(0),
    receiptsRoot: hash(0),
    logsBloom: "0x",
    extraData: "0x",
    mixHash: hash(0),
    size: 1n,
    transactions: txHashes.map((h) => ({ hash: h }) as BlockData["transactions"][number]),
    miniBlockCount: 1,
    finality: "committed",
  } as BlockData;
}

function receipt(txHash: Hex, blockNumber: number, topics: Hex[]): ReceiptData {
  return {
    transactionHash: txHash,
    blockNumber: BigInt(blockNumber),
    logs: topics.map((t, i) => ({
      address: ADDR,
      topics: [t],
      data: "0x",
      logIndex: i,
      blockNumber: BigInt(blockNumber),
    })),
  } as unknown as ReceiptData;
}

describe("ChainIndex", () => {
  it("indexes blocks, transactions and receipts, and refuses a gap", () => {
    const index = new ChainIndex();
    index.add(block(0, []), []);
    index.add(block(1, [hash(1)]), [receipt(hash(1), 1, [hash(5)])]);
    expect(index.length).toBe(2);
    expect(index.head().number).toBe(1n);
    expect(index.byNumber(1n)?.hash).toBe(hash(1001));
    expect(index.byNumber(2n)).toBeNull();
    expect(index.byNumber(-1n)).toBeNull();
    expect(index.byHash(hash(1000))?.number).toBe(0n);
    expect(index.transaction(hash(1))?.hash).toBe(hash(1));
    expect(index.receipt(hash(1))?.blockNumber).toBe(1n);
    expect(index.blockReceipts(1n)).toHaveLength(1);
    expect(() => index.add(block(3, []), [])).toThrow(RangeError);
  });

  it("filters logs by range and topic, stops at the limit, and builds fee history", () => {
    const index = new ChainIndex();
    index.add(block(0, []), []);
    index.add(block(1, [hash(1)]), [receipt(hash(1), 1, [hash(5), hash(6)])]);
    index.add(block(2, [hash(2)]), [receipt(hash(2), 2, [hash(5)])]);
    const all = index.logs({ fromBlock: 0n, toBlock: 99n, addresses: null, topics: [] }, 100);
    expect(all).toHaveLength(3);
    expect(index.logs({ fromBlock: 2n, toBlock: 2n, addresses: null, topics: [] }, 100)).toHaveLength(1);
    expect(
      index.logs({ fromBlock: 0n, toBlock: 99n, addresses: null, topics: [[hash(5)]] }, 100),
    ).toHaveLength(2);
    expect(index.logs({ fromBlock: 0n, toBlock: 99n, addresses: null, topics: [] }, 2)).toHaveLength(2);
    const fees = index.feeHistory(2, 2n, [50], { nextBaseFee: 99n, priorityFee: 3n });
    expect(fees.oldestBlock).toBe(1n);
    expect(fees.baseFeePerGas).toEqual([8n, 9n, 99n]);
    expect(fees.reward).toEqual([[3n], [3n]]);
  });
});
