import { keccak_256 } from "@noble/hashes/sha3.js";
import { z } from "zod";
import { findBlock } from "../block-resolver.ts";
import { RpcError } from "../errors.ts";
import { formatFeeHistory } from "../format.ts";
import { bytesToHex, hexToBytes, toQuantity } from "../hex.ts";
import { defineMethod, optionalParam, param } from "../method.ts";
import { blockNumberOrTag, data, quantityOrNumber } from "../params.ts";
import type { MethodDeps, MethodGroup } from "./deps.ts";

/** Chain identity, heads, fees: web3_*, net_*, and the eth_* methods that read no state. */
export function chainMethods(deps: MethodDeps): MethodGroup {
  const { backend, limits } = deps;
  return {
    web3_clientVersion: defineMethod([], () => deps.clientVersion),
    web3_sha3: defineMethod([param("data", data)], ([input]) => bytesToHex(keccak_256(hexToBytes(input)))),
    net_version: defineMethod([], () => backend.chainId().toString(10)),
    net_listening: defineMethod([], () => true),
    eth_chainId: defineMethod([], () => toQuantity(backend.chainId())),
    eth_syncing: defineMethod([], () => {
      const s = backend.syncing();
      if (s === false) return false;
      return {
        startingBlock: toQuantity(s.startingBlock),
        currentBlock: toQuantity(s.currentBlock),
        highestBlock: toQuantity(s.highestBlock),
      };
    }),
    eth_blockNumber: defineMethod([], () => toQuantity(backend.heads().preconfirmed)),
    eth_accounts: defineMethod([], () => []),
    eth_gasPrice: defineMethod([], async () => toQuantity(await backend.gasPrice())),
    eth_maxPriorityFeePerGas: defineMethod([], async () => toQuantity(await backend.maxPriorityFeePerGas())),
    eth_feeHistory: defineMethod(
      [
        param("blockCount", quantityOrNumber),
        param("newestBlock", blockNumberOrTag),
        optionalParam("rewardPercentiles", z.array(z.number().min(0).max(100)).max(100)),
      ],
      async ([blockCount, newest, percentiles]) => {
        if (blockCount === 0n) return { oldestBlock: "0x0", baseFeePerGas: [], gasUsedRatio: [] };
        const count =
          blockCount > BigInt(limits.maxFeeHistoryBlocks) ? limits.maxFeeHistoryBlocks : Number(blockCount);
        const pct = percentiles ?? [];
        for (let i = 1; i < pct.length; i++) {
          if (pct[i] < pct[i - 1]) {
            throw new RpcError("INVALID_PARAMS", "invalid argument 2 (rewardPercentiles): must be ascending");
          }
        }
        const newestBlock = await findBlock(backend, newest);
        if (newestBlock === null) throw new RpcError("SERVER_ERROR", "header not found");
        const history = await backend.feeHistory(count, newestBlock.number, pct);
        return formatFeeHistory(percentiles === undefined ? { ...history, reward: undefined } : history);
      },
    ),
  };
}
