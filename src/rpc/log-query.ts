import type { LogData, RpcBackend } from "./backend.ts";
import { tagToNumber } from "./block-resolver.ts";
import { RpcError } from "./errors.ts";
import type { BlockSelector, FilterCriteria } from "./params.ts";

export interface LogQueryLimits {
  maxLogBlockRange: number;
  maxLogResults: number;
}

function selectorNumber(backend: RpcBackend, sel: BlockSelector | undefined): bigint {
  if (sel === undefined) return tagToNumber(backend, "latest");
  if (sel.kind === "tag") return tagToNumber(backend, sel.tag);
  if (sel.kind === "number") return sel.number;
  throw new RpcError("INVALID_PARAMS", "fromBlock/toBlock must be a number or a tag");
}

/**
 * eth_getLogs: a bounded block range (past it: -32005 naming the limit) and a bounded answer
 * (past it: -32005 asking for a narrower range), so no query can make the node walk or buffer
 * the whole chain.
 */
export async function queryLogs(
  backend: RpcBackend,
  limits: LogQueryLimits,
  criteria: FilterCriteria,
): Promise<LogData[]> {
  if (criteria.blockHash !== undefined) {
    const block = await backend.getBlockByHash(criteria.blockHash);
    if (block === null) throw new RpcError("SERVER_ERROR", "unknown block");
    return fetchBounded(backend, limits, criteria, block.number, block.number);
  }
  const head = tagToNumber(backend, "latest");
  const from = selectorNumber(backend, criteria.fromBlock);
  let to = selectorNumber(backend, criteria.toBlock);
  if (to > head) to = head;
  if (from > to) {
    if (from > head) return [];
    throw new RpcError("INVALID_PARAMS", "invalid block range params: fromBlock is after toBlock");
  }
  const span = to - from + 1n;
  if (span > BigInt(limits.maxLogBlockRange)) {
    throw new RpcError(
      "LIMIT_EXCEEDED",
      `block range too large: ${span} blocks, limit ${limits.maxLogBlockRange}`,
    );
  }
  return fetchBounded(backend, limits, criteria, from, to);
}

async function fetchBounded(
  backend: RpcBackend,
  limits: LogQueryLimits,
  criteria: FilterCriteria,
  from: bigint,
  to: bigint,
): Promise<LogData[]> {
  const query =
    criteria.blockHash === undefined
      ? { fromBlock: from, toBlock: to, addresses: criteria.addresses, topics: criteria.topics }
      : {
          fromBlock: from,
          toBlock: to,
          addresses: criteria.addresses,
          topics: criteria.topics,
          blockHash: criteria.blockHash,
        };
  const logs = await backend.getLogs(query, limits.maxLogResults + 1);
  if (logs.length > limits.maxLogResults) {
    throw new RpcError(
      "LIMIT_EXCEEDED",
      `query returned more than ${limits.maxLogResults} results; narrow the block range`,
    );
  }
  return logs;
}
