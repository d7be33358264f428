import { z } from "zod";
import type { Finality, ReceiptData } from "./backend.ts";
import { formatReceipt } from "./format.ts";
import type { Hex } from "./hex.ts";

const hex = z.string().regex(/^0x[0-9a-fA-F]*$/);
const hash = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const quantity = z.string().regex(/^0x[0-9a-fA-F]{1,64}$/);

const log = z.object({
  address,
  topics: z.array(hash).max(4),
  data: hex,
  blockNumber: quantity,
  blockHash: hash,
  transactionHash: hash,
  transactionIndex: quantity,
  logIndex: quantity,
});

const receipt = z.object({
  transactionHash: hash,
  transactionIndex: quantity,
  blockHash: hash,
  blockNumber: quantity,
  from: address,
  to: address.nullable(),
  cumulativeGasUsed: quantity,
  gasUsed: quantity,
  effectiveGasPrice: quantity,
  contractAddress: address.nullable(),
  logs: z.array(log).max(10_000),
  logsBloom: z.string().regex(/^0x[0-9a-fA-F]{512}$/),
  type: quantity,
  status: z.enum(["0x0", "0x1"]),
  miniBlockNumber: quantity,
  miniBlockIndex: quantity,
  finality: z.enum(["preconfirmed", "committed", "checkpointed"]),
});

/** A receipt as bytes for node-to-node answers: the JSON-RPC shape, so nothing new to learn. */
export function encodeReceipt(r: ReceiptData): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(formatReceipt(r)));
}

/** Parses a peer's receipt; throws on anything malformed (remote input). */
export function decodeReceipt(bytes: Uint8Array): ReceiptData {
  const r = receipt.parse(JSON.parse(new TextDecoder().decode(bytes)));
  const n = (q: string): number => Number(BigInt(q));
  return {
    transactionHash: r.transactionHash.toLowerCase() as Hex,
    transactionIndex: n(r.transactionIndex),
    blockHash: r.blockHash.toLowerCase() as Hex,
    blockNumber: BigInt(r.blockNumber),
    from: r.from.toLowerCase() as Hex,
    to: r.to === null ? null : (r.to.toLowerCase() as Hex),
    cumulativeGasUsed: BigInt(r.cumulativeGasUsed),
    gasUsed: BigInt(r.gasUsed),
    effectiveGasPrice: BigInt(r.effectiveGasPrice),
    contractAddress: r.contractAddress === null ? null : (r.contractAddress.toLowerCase() as Hex),
    logs: r.logs.map((l) => ({
      address: l.address.toLowerCase() as Hex,
      topics: l.topics.map((t) => t.toLowerCase() as Hex),
      data: l.data.toLowerCase() as Hex,
      blockNumber: BigInt(l.blockNumber),
      blockHash: l.blockHash.toLowerCase() as Hex,
      transactionHash: l.transactionHash.toLowerCase() as Hex,
      transactionIndex: n(l.transactionIndex),
      logIndex: n(l.logIndex),
    })),
    logsBloom: r.logsBloom.toLowerCase() as Hex,
    status: r.status === "0x1" ? 1 : 0,
    type: n(r.type),
    miniBlockNumber: BigInt(r.miniBlockNumber),
    miniBlockIndex: n(r.miniBlockIndex),
    finality: r.finality as Finality,
  };
}
