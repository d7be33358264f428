import { RLP } from "@ethereumjs/rlp";
import type { P2pHost } from "../p2p/host.ts";
import type { Log } from "./logger.ts";

/** Most transactions one gossip message may carry (the topic's byte limit applies too). */
export const MAX_TXS_PER_GOSSIP = 1024;

export interface TxGossipOpts {
  /** How long a transaction may wait for others to share its gossip message. */
  flushMs: number;
  /** A batch is sent at once when it reaches this many bytes. */
  maxBatchBytes: number;
}

export interface TxGossipModules {
  p2p: P2pHost;
  /**
   * Admits a peer's batch of raw transactions (decoded together, senders recovered in batches);
   * refusals (already known, stale nonce...) are normal for gossip and not reported.
   */
  admitBatch: (raws: Uint8Array[]) => Promise<unknown>;
  log: Log;
}

/**
 * Transactions travel between validators in batches (an RLP list of raw transactions per gossip
 * message): one gossip message per transaction costs far more than the transaction itself
 * (DESIGN.md §4). A batch is published when it is full or `flushMs` after its first transaction.
 */
export class TxGossip {
  private readonly opts: TxGossipOpts;
  private readonly modules: TxGossipModules;
  private batch: Uint8Array[] = [];
  private batchBytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: TxGossipOpts, modules: TxGossipModules) {
    this.opts = opts;
    this.modules = modules;
  }

  attach(): void {
    this.modules.p2p.setTopicHandler<Uint8Array[]>("tx", {
      validate: (data) => {
        let decoded: unknown;
        try {
          decoded = RLP.decode(data);
        } catch {
          return { result: "reject", reason: "malformed" };
        }
        if (!Array.isArray(decoded) || decoded.length === 0 || decoded.length > MAX_TXS_PER_GOSSIP) {
          return { result: "reject", reason: "bad_batch" };
        }
        if (!decoded.every((item) => item instanceof Uint8Array))
          return { result: "reject", reason: "bad_batch" };
        return { result: "accept", value: decoded as Uint8Array[] };
      },
      deliver: (raws) => {
        this.modules.admitBatch(raws).catch((error: unknown) => {
          this.modules.log.warn({ err: String(error) }, "tx gossip batch admission failed");
        });
      },
    });
  }

  send(raw: Uint8Array): void {
    this.batch.push(raw);
    this.batchBytes += raw.length;
    if (this.batchBytes >= this.opts.maxBatchBytes || this.batch.length >= MAX_TXS_PER_GOSSIP) {
      this.flush();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.opts.flushMs);
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.length === 0) return;
    const data = RLP.encode(this.batch);
    this.batch = [];
    this.batchBytes = 0;
    this.modules.p2p.publish("tx", data).catch((error: unknown) => {
      this.modules.log.debug({ err: String(error) }, "tx gossip publish failed");
    });
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
