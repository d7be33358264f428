import { z } from "zod";
import { findBlock } from "../block-resolver.ts";
import { formatBlock, formatLog, formatReceipt, formatTransaction } from "../format.ts";
import { queryLogs } from "../log-query.ts";
import { defineMethod, optionalParam, param } from "../method.ts";
import { blockNumberOrTag, blockSelector, filterCriteria, hash32 } from "../params.ts";
import type { MethodDeps, MethodGroup } from "./deps.ts";

/** Blocks, transactions, receipts and logs by number or hash; unknown objects answer null. */
export function blockMethods(deps: MethodDeps): MethodGroup {
  const { backend, limits } = deps;
  const fullTxs = optionalParam("fullTransactions", z.boolean());
  return {
    eth_getBlockByNumber: defineMethod([param("block", blockNumberOrTag), fullTxs], async ([sel, full]) => {
      const block = await findBlock(backend, sel);
      return block === null ? null : formatBlock(block, full ?? false);
    }),
    eth_getBlockByHash: defineMethod([param("blockHash", hash32), fullTxs], async ([hash, full]) => {
      const block = await backend.getBlockByHash(hash);
      return block === null ? null : formatBlock(block, full ?? false);
    }),
    eth_getBlockTransactionCountByNumber: defineMethod([param("block", blockNumberOrTag)], async ([sel]) => {
      const block = await findBlock(backend, sel);
      return block === null ? null : `0x${block.transactions.length.toString(16)}`;
    }),
    eth_getBlockTransactionCountByHash: defineMethod([param("blockHash", hash32)], async ([hash]) => {
      const block = await backend.getBlockByHash(hash);
      return block === null ? null : `0x${block.transactions.length.toString(16)}`;
    }),
    eth_getTransactionByHash: defineMethod([param("transactionHash", hash32)], async ([hash]) => {
      const tx = await backend.getTransaction(hash);
      return tx === null ? null : formatTransaction(tx);
    }),
    eth_getTransactionByBlockNumberAndIndex: defineMethod(
      [
        param("block", blockNumberOrTag),
        param("index", z.string().regex(/^0x[0-9a-fA-F]{1,8}$/, "expected a hex index")),
      ],
      async ([sel, index]) => {
        const block = await findBlock(backend, sel);
        const tx = block?.transactions[Number.parseInt(index, 16)];
        return tx === undefined ? null : formatTransaction(tx);
      },
    ),
    eth_getTransactionByBlockHashAndIndex: defineMethod(
      [
        param("blockHash", hash32),
        param("index", z.string().regex(/^0x[0-9a-fA-F]{1,8}$/, "expected a hex index")),
      ],
      async ([hash, index]) => {
        const block = await backend.getBlockByHash(hash);
        const tx = block?.transactions[Number.parseInt(index, 16)];
        return tx === undefined ? null : formatTransaction(tx);
      },
    ),
    eth_getTransactionReceipt: defineMethod([param("transactionHash", hash32)], async ([hash]) => {
      const receipt = await backend.getReceipt(hash);
      return receipt === null ? null : formatReceipt(receipt);
    }),
    eth_getBlockReceipts: defineMethod([param("block", blockSelector)], async ([sel]) => {
      const block = await findBlock(backend, sel);
      if (block === null) return null;
      const receipts = await backend.getBlockReceipts(block.number);
      return receipts === null ? null : receipts.map(formatReceipt);
    }),
    eth_getLogs: defineMethod([param("filter", filterCriteria)], async ([criteria]) => {
      return (await queryLogs(backend, limits, criteria)).map(formatLog);
    }),
  };
}
