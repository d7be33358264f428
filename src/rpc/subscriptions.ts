import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { ChainEvents, Unsubscribe } from "./backend.ts";
import { RpcError } from "./errors.ts";
import { formatHeader, formatLog, formatMiniBlock, formatTransaction, type Json } from "./format.ts";
import { toQuantity } from "./hex.ts";
import { logMatches } from "./log-match.ts";
import type { SubscriptionHost } from "./method.ts";
import { filterCriteria } from "./params.ts";

/**
 * The subscriptions of one WebSocket connection (eth_subscribe). Each is a listener on the
 * backend's event streams that writes `eth_subscription` notifications through `send`; the
 * connection drops itself if the client reads too slowly, so nothing queues here.
 */

export const SUBSCRIPTION_KINDS = ["newHeads", "logs", "newPendingTransactions", "miniBlocks"] as const;

const logsParams = filterCriteria.refine(
  (c) => c.fromBlock === undefined && c.toBlock === undefined && c.blockHash === undefined,
  { message: "logs subscriptions take only address and topics" },
);

export class ConnectionSubscriptions implements SubscriptionHost {
  private readonly max: number;
  private readonly events: ChainEvents;
  private readonly send: (notification: string) => void;
  private readonly live = new Map<string, Unsubscribe>();

  constructor(
    opts: { maxSubscriptions: number },
    modules: { events: ChainEvents; send: (text: string) => void },
  ) {
    this.max = opts.maxSubscriptions;
    this.events = modules.events;
    this.send = modules.send;
  }

  get size(): number {
    return this.live.size;
  }

  subscribe(kind: string, params: unknown[]): string {
    if (this.live.size >= this.max) {
      throw new RpcError("LIMIT_EXCEEDED", `too many subscriptions on this connection (limit ${this.max})`);
    }
    const id = toQuantity(BigInt(`0x${randomBytes(16).toString("hex")}`));
    const emit = (result: Json): void => {
      if (!this.live.has(id)) return;
      this.send(
        JSON.stringify({ jsonrpc: "2.0", method: "eth_subscription", params: { subscription: id, result } }),
      );
    };
    let unsubscribe: Unsubscribe;
    switch (kind) {
      case "newHeads":
        expectNoParams(kind, params);
        unsubscribe = this.events.onNewHead((block) => emit(formatHeader(block)));
        break;
      case "logs": {
        const raw = params[0] ?? {};
        const parsed = logsParams.safeParse(raw);
        if (!parsed.success || params.length > 1) {
          const issue = parsed.success ? undefined : parsed.error.issues[0];
          throw new RpcError(
            "INVALID_PARAMS",
            `invalid argument 1 (filter): ${issue?.message ?? "too many arguments"}`,
          );
        }
        const { addresses, topics } = parsed.data;
        unsubscribe = this.events.onLogs((logs) => {
          for (const log of logs) if (logMatches(log, addresses, topics)) emit(formatLog(log));
        });
        break;
      }
      case "newPendingTransactions": {
        const full = z.boolean().optional().safeParse(params[0]);
        if (!full.success || params.length > 1) {
          throw new RpcError("INVALID_PARAMS", "invalid argument 1 (fullTransactions): expected a boolean");
        }
        unsubscribe = this.events.onPendingTransaction((tx) =>
          emit(full.data ? formatTransaction(tx) : tx.hash),
        );
        break;
      }
      case "miniBlocks":
        expectNoParams(kind, params);
        unsubscribe = this.events.onMiniBlock((mb) => emit(formatMiniBlock(mb)));
        break;
      default:
        throw new RpcError(
          "INVALID_PARAMS",
          `invalid argument 0 (kind): unsupported subscription "${kind.slice(0, 64)}"; expected one of ${SUBSCRIPTION_KINDS.join(", ")}`,
        );
    }
    this.live.set(id, unsubscribe);
    return id;
  }

  unsubscribe(id: string): boolean {
    const off = this.live.get(id);
    if (off === undefined) return false;
    off();
    this.live.delete(id);
    return true;
  }

  closeAll(): void {
    for (const off of this.live.values()) off();
    this.live.clear();
  }
}

function expectNoParams(kind: string, params: unknown[]): void {
  if (params.length > 0) throw new RpcError("INVALID_PARAMS", `too many arguments: ${kind} takes none`);
}
