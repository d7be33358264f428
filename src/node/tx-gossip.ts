import { RLP } from "@ethereumjs/rlp";
import type { Connection, Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { P2pError } from "../p2p/errors.ts";
import { readFrames } from "../p2p/frames.ts";
import type { P2pHost } from "../p2p/host.ts";
import { sendFrame } from "../p2p/stream-io.ts";
import { DEFAULT_TOPIC_MAX_BYTES } from "../p2p/topics.ts";
import type { Log } from "./logger.ts";

/** Most transactions one gossip message may carry (the topic's byte limit applies too). */
export const MAX_TXS_PER_GOSSIP = 1024;

/** Peers remembered as failing their push, at most. */
const MAX_FAILED_PEERS = 1024;

/** Direct transaction push: one long-lived stream per peer, one framed batch per frame. */
export const txPushProtocol = (chainId: number): string => `/megaseq/${chainId}/tx_push/1`;

export interface TxGossipOpts {
  /** How long a transaction may wait for others to share its gossip message. */
  flushMs: number;
  /** A batch is sent at once when it reaches this many bytes. */
  maxBatchBytes: number;
  /** With a chain id, batches are pushed straight to every connected peer (see the class). */
  chainId?: number;
  /** Unsent bytes to one peer past which it is taken as not reading (default 4 MiB). */
  maxQueuedBytes?: number;
  /** Received batches still being admitted, in bytes, past which new ones are dropped (default 8 MiB). */
  maxAdmittingBytes?: number;
  /** How long a peer that failed a push gets gossip instead (default 10 s). */
  pushRetryMs?: number;
}

export interface TxGossipModules {
  p2p: P2pHost;
  /**
   * Admits a peer's batch of raw transactions (decoded together, senders recovered in batches);
   * refusals (already known, stale nonce...) are normal for gossip and not reported.
   */
  admitBatch: (raws: Uint8Array[]) => Promise<unknown>;
  log: Log;
  /** Wall clock in ms (default Date.now). */
  now?: () => number;
}

type BatchVerdict = { result: "accept"; value: Uint8Array[] } | { result: "reject"; reason: string };

/** A batch as it travels: an RLP list of 1..MAX_TXS_PER_GOSSIP raw transactions. */
export function decodeTxBatch(data: Uint8Array): BatchVerdict {
  let decoded: unknown;
  try {
    decoded = RLP.decode(data);
  } catch {
    return { result: "reject", reason: "malformed" };
  }
  if (!Array.isArray(decoded) || decoded.length === 0 || decoded.length > MAX_TXS_PER_GOSSIP) {
    return { result: "reject", reason: "bad_batch" };
  }
  if (!decoded.every((item) => item instanceof Uint8Array)) return { result: "reject", reason: "bad_batch" };
  return { result: "accept", value: decoded as Uint8Array[] };
}

/**
 * Transactions travel between validators in batches (an RLP list of raw transactions per
 * message): one message per transaction costs far more than the transaction itself (DESIGN.md
 * §4). A batch is sent when it is full or `flushMs` after its first transaction.
 *
 * The node that admitted a transaction from its RPC pushes the batch straight to every peer it is
 * connected to, over one long-lived stream each, and nobody forwards it further: in a committee
 * that is a full mesh, each peer receives each batch once. Through gossipsub each of them received
 * it from the origin and again from every other mesh peer (3 copies in a committee of 4; the
 * e2e bench measured ~2.2 kB of p2p traffic per 115-byte transfer, duplicates being most of it),
 * each copy decrypted, deframed and hashed before it was found to be a duplicate. A peer the push
 * fails for (no such protocol, not reading) gets the batch through gossipsub for a while, and the
 * gossip topic is still served, so nodes that only publish there are heard.
 */
export class TxGossip {
  private readonly opts: TxGossipOpts;
  private readonly modules: TxGossipModules;
  private batch: Uint8Array[] = [];
  private batchBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly streams = new Map<string, Promise<Stream>>();
  /** Peers whose push failed, until when they get gossip instead. */
  private readonly pushFailedUntil = new Map<string, number>();
  private admittingBytes = 0;
  private pushing = false;

  constructor(opts: TxGossipOpts, modules: TxGossipModules) {
    this.opts = opts;
    this.modules = modules;
  }

  attach(): void {
    this.modules.p2p.setTopicHandler<Uint8Array[]>("tx", {
      validate: (data) => decodeTxBatch(data),
      deliver: (raws) => {
        this.modules.admitBatch(raws).catch((error: unknown) => {
          this.modules.log.warn({ err: String(error) }, "tx gossip batch admission failed");
        });
      },
    });
  }

  /** Serves the push protocol (after the p2p host started); without a chain id, gossip only. */
  async start(): Promise<void> {
    if (this.opts.chainId === undefined) return;
    await this.modules.p2p.libp2p.handle(
      txPushProtocol(this.opts.chainId),
      (stream: Stream, connection: Connection) => this.readPushes(stream, connection),
      { maxInboundStreams: 2 },
    );
    this.pushing = true;
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
    if (!this.pushing) {
      this.publish(data);
      return;
    }
    const now = (this.modules.now ?? Date.now)();
    let gossip = false;
    for (const peer of this.modules.p2p.peers()) {
      const until = this.pushFailedUntil.get(peer);
      if (until !== undefined && until > now) {
        gossip = true;
        continue;
      }
      // A failed peer gets a push again once its time is up (entries never outlive their use).
      if (until !== undefined) this.pushFailedUntil.delete(peer);
      this.push(peer, data);
    }
    if (gossip) this.publish(data);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const [peer, stream] of this.streams) {
      this.streams.delete(peer);
      stream.then((s) => s.abort(new Error("tx push stopped"))).catch(() => {});
    }
  }

  private publish(data: Uint8Array): void {
    this.modules.p2p.publish("tx", data).catch((error: unknown) => {
      this.modules.log.debug({ err: String(error) }, "tx gossip publish failed");
    });
  }

  private push(peer: string, data: Uint8Array): void {
    const maxQueued = this.opts.maxQueuedBytes ?? 4 * 1024 * 1024;
    this.streamTo(peer)
      .then((stream) => {
        if (stream.writeBufferLength > maxQueued) throw new Error("peer is not reading its tx pushes");
        return sendFrame(stream, data);
      })
      .catch((error: unknown) => {
        this.modules.log.debug({ peer, err: String(error) }, "tx push failed: gossip to this peer for now");
        const stream = this.streams.get(peer);
        this.streams.delete(peer);
        stream?.then((s) => s.abort(new Error("tx push dropped"))).catch(() => {});
        // Bounded whatever the peer churn: forgetting a failure only means one more push attempt.
        if (this.pushFailedUntil.size >= MAX_FAILED_PEERS) this.pushFailedUntil.clear();
        this.pushFailedUntil.set(peer, (this.modules.now ?? Date.now)() + (this.opts.pushRetryMs ?? 10_000));
        // This batch still has to reach the peer.
        this.publish(data);
      });
  }

  private streamTo(peer: string): Promise<Stream> {
    const existing = this.streams.get(peer);
    if (existing) return existing;
    const opened = this.modules.p2p.libp2p
      .dialProtocol(peerIdFromString(peer), txPushProtocol(this.opts.chainId as number), {
        signal: AbortSignal.timeout(5_000),
      })
      .then((stream) => {
        stream.addEventListener("close", () => {
          if (this.streams.get(peer) === opened) this.streams.delete(peer);
        });
        return stream;
      });
    this.streams.set(peer, opened);
    return opened;
  }

  /**
   * A peer's pushed batches: checked like gossip (a bad one costs the peer its penalty and the
   * stream), admitted without holding the stream back; while more than `maxAdmittingBytes` are
   * still being admitted new batches are dropped (they are gossip: proposals carry the txs too).
   */
  private async readPushes(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString();
    const maxFrame = DEFAULT_TOPIC_MAX_BYTES.tx;
    const maxAdmitting = this.opts.maxAdmittingBytes ?? 8 * 1024 * 1024;
    stream.maxReadBufferLength = 4 * (maxFrame + 4);
    try {
      for await (const frame of readFrames(stream, maxFrame)) {
        const verdict = decodeTxBatch(frame);
        if (verdict.result === "reject") {
          this.modules.p2p.reportInvalid(peer, "tx", verdict.reason);
          stream.abort(new Error(`bad tx push: ${verdict.reason}`));
          return;
        }
        if (this.admittingBytes > maxAdmitting) {
          this.modules.log.debug({ peer, bytes: frame.length }, "tx push dropped: admission is behind");
          continue;
        }
        this.admittingBytes += frame.length;
        this.modules
          .admitBatch(verdict.value)
          .catch((error: unknown) => {
            this.modules.log.warn({ err: String(error) }, "tx push batch admission failed");
          })
          .finally(() => {
            this.admittingBytes -= frame.length;
          });
      }
    } catch (error) {
      if (error instanceof P2pError && error.code === "FRAME_TOO_LARGE")
        this.modules.p2p.reportInvalid(peer, "tx", "oversize");
      if (stream.status === "open") stream.abort(error as Error);
    }
  }
}
