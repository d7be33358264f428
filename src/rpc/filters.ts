import { randomBytes } from "node:crypto";
import type { LogData, RpcBackend, Unsubscribe } from "./backend.ts";
import { tagToNumber } from "./block-resolver.ts";
import { RpcError } from "./errors.ts";
import { type Hex, toQuantity } from "./hex.ts";
import { type LogQueryLimits, queryLogs } from "./log-query.ts";
import type { FilterCriteria } from "./params.ts";

/**
 * Polling filters (eth_newFilter & co). Log and block filters remember the last block they
 * reported and read the chain on each poll, so they hold no buffer; pending-transaction filters
 * buffer hashes in a bounded queue (oldest dropped). Filters idle past the timeout are removed,
 * and the total is bounded.
 */

export interface FilterOptions extends LogQueryLimits {
  maxFilters: number;
  filterTimeoutMs: number;
  maxFilterBuffer: number;
}

type Filter =
  | { kind: "logs"; criteria: FilterCriteria; nextBlock: bigint; lastPolledMs: number }
  | { kind: "blocks"; nextBlock: bigint; lastPolledMs: number }
  | { kind: "pendingTx"; hashes: Hex[]; unsubscribe: Unsubscribe; lastPolledMs: number };

/** Block hashes one eth_getFilterChanges returns at most (the rest come on the next poll). */
const MAX_BLOCK_HASHES_PER_POLL = 1000;

export class FilterManager {
  private readonly opts: FilterOptions;
  private readonly backend: RpcBackend;
  private readonly now: () => number;
  private readonly filters = new Map<string, Filter>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(opts: FilterOptions, modules: { backend: RpcBackend; now?: () => number }) {
    this.opts = opts;
    this.backend = modules.backend;
    this.now = modules.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, Math.floor(opts.filterTimeoutMs / 4)));
    this.sweeper.unref();
  }

  get size(): number {
    return this.filters.size;
  }

  newLogFilter(criteria: FilterCriteria): string {
    const head = tagToNumber(this.backend, "latest");
    return this.install({ kind: "logs", criteria, nextBlock: head + 1n, lastPolledMs: this.now() });
  }

  newBlockFilter(): string {
    const head = tagToNumber(this.backend, "latest");
    return this.install({ kind: "blocks", nextBlock: head + 1n, lastPolledMs: this.now() });
  }

  newPendingTransactionFilter(): string {
    const hashes: Hex[] = [];
    const unsubscribe = this.backend.events.onPendingTransaction((tx) => {
      if (hashes.length >= this.opts.maxFilterBuffer) hashes.shift();
      hashes.push(tx.hash);
    });
    return this.install({ kind: "pendingTx", hashes, unsubscribe, lastPolledMs: this.now() });
  }

  uninstall(id: string): boolean {
    const filter = this.filters.get(normalizeId(id));
    if (filter === undefined) return false;
    this.remove(normalizeId(id), filter);
    return true;
  }

  /** New logs / block hashes / tx hashes since the previous poll. */
  async changes(id: string): Promise<LogData[] | Hex[]> {
    const filter = this.get(id);
    filter.lastPolledMs = this.now();
    if (filter.kind === "pendingTx") return filter.hashes.splice(0, filter.hashes.length);
    const head = tagToNumber(this.backend, "latest");
    if (filter.nextBlock > head) return [];
    if (filter.kind === "blocks") {
      const last = minBig(head, filter.nextBlock + BigInt(MAX_BLOCK_HASHES_PER_POLL) - 1n);
      const hashes: Hex[] = [];
      for (let n = filter.nextBlock; n <= last; n++) {
        const block = await this.backend.getBlockByNumber(n);
        if (block !== null) hashes.push(block.hash);
      }
      filter.nextBlock = last + 1n;
      return hashes;
    }
    const c = filter.criteria;
    let from = filter.nextBlock;
    let to = minBig(head, from + BigInt(this.opts.maxLogBlockRange) - 1n);
    if (c.fromBlock?.kind === "number" && c.fromBlock.number > from) from = c.fromBlock.number;
    if (c.toBlock?.kind === "number" && c.toBlock.number < to) to = c.toBlock.number;
    filter.nextBlock = to + 1n;
    if (from > to) return [];
    return queryLogs(this.backend, this.opts, {
      addresses: c.addresses,
      topics: c.topics,
      fromBlock: { kind: "number", number: from },
      toBlock: { kind: "number", number: to },
    });
  }

  /** eth_getFilterLogs: the whole criteria range, as eth_getLogs would answer. */
  async logs(id: string): Promise<LogData[]> {
    const filter = this.get(id);
    filter.lastPolledMs = this.now();
    if (filter.kind !== "logs") throw new RpcError("SERVER_ERROR", "filter is not a log filter");
    return queryLogs(this.backend, this.opts, filter.criteria);
  }

  /** Removes idle filters; also runs on a timer. */
  sweep(): void {
    const cutoff = this.now() - this.opts.filterTimeoutMs;
    for (const [id, filter] of this.filters) {
      if (filter.lastPolledMs < cutoff) this.remove(id, filter);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const [id, filter] of this.filters) this.remove(id, filter);
  }

  private install(filter: Filter): string {
    this.sweep();
    if (this.filters.size >= this.opts.maxFilters) {
      if (filter.kind === "pendingTx") filter.unsubscribe();
      throw new RpcError("LIMIT_EXCEEDED", `too many filters installed (limit ${this.opts.maxFilters})`);
    }
    const id = toQuantity(BigInt(`0x${randomBytes(16).toString("hex")}`));
    this.filters.set(id, filter);
    return id;
  }

  private get(id: string): Filter {
    const filter = this.filters.get(normalizeId(id));
    if (filter === undefined) throw new RpcError("SERVER_ERROR", "filter not found");
    return filter;
  }

  private remove(id: string, filter: Filter): void {
    if (filter.kind === "pendingTx") filter.unsubscribe();
    this.filters.delete(id);
  }
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** Filter ids are quantities; clients may echo them with leading zeros or upper case. */
function normalizeId(id: string): string {
  return /^0x[0-9a-fA-F]{1,64}$/.test(id) ? toQuantity(BigInt(id)) : id;
}
