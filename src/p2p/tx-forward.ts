import type { Connection, Libp2p, PeerId, Stream } from "@libp2p/interface";
import { CodedError } from "../util/coded-error.ts";
import { encodeFrame, readFrames } from "./frames.ts";
import { type RateLimit, RateLimiter } from "./rate-limiter.ts";

/**
 * Transaction forwarding with a preconfirmation answer, over ONE long-lived stream per peer: a
 * node asked for a realtime submission sends the raw transaction to the validators that may lead
 * next; each admits it and answers on the same stream, tagged with the request's id, with the
 * receipt once it has one (its own build's preconfirmation, or the committed receipt), or an
 * error. Requests and answers interleave, so a slow answer never holds a later one back.
 *
 * A stream per request (version 1) cost a multistream-select round trip through the peer's
 * event loop before the transaction could even leave: on a loaded machine that was most of the
 * realtime round trip (docs/performance.md, "The realtime round trip").
 *
 * Frames (4-byte length prefix, frames.ts): request `id u32 | raw tx`; answer
 * `id u32 | tag u8 | body` with tag 0 = receipt, 1 = error text, 2 = rate-limited, 3 = busy.
 */
export const txForwardProtocol = (chainId: number): string => `/megaseq/${chainId}/tx_forward/2`;

export class TxForwardError extends CodedError<
  | "TOO_LARGE"
  | "BAD_REQUEST"
  | "BUSY"
  | "RATE_LIMITED"
  | "REMOTE_ERROR"
  | "TIMEOUT"
  | "STREAM_CLOSED"
  | "BAD_RESPONSE"
> {}

export interface TxForwardLimits {
  /** One raw transaction (the RPC's 128 KiB cap). */
  maxRequestBytes: number;
  /** One receipt as JSON (logs included). */
  maxResponseBytes: number;
  /** Requests awaiting an answer on one stream, each side; past it the request is refused at once. */
  maxInFlightPerStream: number;
  /** Unsent bytes queued on one stream past which the peer is taken as not reading: drop it. */
  maxQueuedBytes: number;
  /** The client's wait for one answer (the server waits less for its receipt). */
  timeoutMs: number;
  /** Requests per peer. */
  rate: RateLimit;
}

export const DEFAULT_TX_FORWARD_LIMITS: TxForwardLimits = {
  maxRequestBytes: 128 * 1024,
  maxResponseBytes: 512 * 1024,
  maxInFlightPerStream: 256,
  maxQueuedBytes: 4 * 1024 * 1024,
  timeoutMs: 5_000,
  rate: { perSecond: 500, burst: 1_000 },
};

const ID_BYTES = 4;
const ITEM = 0;
const ERROR = 1;
const RATE_LIMITED = 2;
const BUSY = 3;

/** Answers one forwarded raw tx with one receipt (encoded), or throws. */
export type TxForwardHandler = (raw: Uint8Array, peer: string) => Promise<Uint8Array>;

function answerFrame(id: number, tag: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(ID_BYTES + 1 + body.length);
  new DataView(out.buffer).setUint32(0, id);
  out[ID_BYTES] = tag;
  out.set(body, ID_BYTES + 1);
  return encodeFrame(out);
}

function requestFrame(id: number, raw: Uint8Array): Uint8Array {
  const out = new Uint8Array(ID_BYTES + raw.length);
  new DataView(out.buffer).setUint32(0, id);
  out.set(raw, ID_BYTES);
  return encodeFrame(out);
}

/** Queues `frame` on `stream`; false when the peer stopped reading (the caller drops the stream). */
function write(stream: Stream, frame: Uint8Array, maxQueuedBytes: number): boolean {
  if (stream.status !== "open") return false;
  if (stream.writeBufferLength + frame.length > maxQueuedBytes) return false;
  // A false return only means "over the high-water mark": the bytes are queued all the same.
  stream.send(frame);
  return true;
}

/** Serves forwarded transactions on every inbound tx_forward stream. */
export async function handleTxForward(
  libp2p: Libp2p,
  chainId: number,
  handler: TxForwardHandler,
  limits: TxForwardLimits = DEFAULT_TX_FORWARD_LIMITS,
): Promise<void> {
  const limiter = new RateLimiter({ limit: limits.rate });
  await libp2p.handle(
    txForwardProtocol(chainId),
    async (stream: Stream, connection: Connection) => {
      await serveTxForwardStream(stream, connection.remotePeer.toString(), handler, limits, limiter);
    },
    // One stream per peer is the protocol; a few more cover a reconnect racing the old one.
    { maxInboundStreams: 4 },
  );
}

/**
 * The server side of one stream: each request is answered when its handler settles, in any
 * order. Bounded: one request frame at a time is buffered, at most `maxInFlightPerStream`
 * handlers run (more are answered "busy"), each peer is rate-limited, and a peer that does not
 * read its answers loses the stream.
 */
export async function serveTxForwardStream(
  stream: Stream,
  peer: string,
  handler: TxForwardHandler,
  limits: TxForwardLimits,
  limiter: RateLimiter,
): Promise<void> {
  stream.maxReadBufferLength = limits.maxRequestBytes + 64;
  const running = new Set<Promise<void>>();
  const answer = (id: number, tag: number, body: Uint8Array): void => {
    if (!write(stream, answerFrame(id, tag, body), limits.maxQueuedBytes) && stream.status === "open") {
      stream.abort(new TxForwardError("BUSY", "tx_forward peer does not read its answers"));
    }
  };
  try {
    for await (const frame of readFrames(stream, ID_BYTES + limits.maxRequestBytes)) {
      if (frame.length <= ID_BYTES) throw new TxForwardError("BAD_REQUEST", "request without a transaction");
      const id = new DataView(frame.buffer, frame.byteOffset).getUint32(0);
      if (running.size >= limits.maxInFlightPerStream) {
        answer(id, BUSY, new Uint8Array());
        continue;
      }
      if (!limiter.tryTake(peer)) {
        answer(id, RATE_LIMITED, new Uint8Array());
        continue;
      }
      const raw = frame.subarray(ID_BYTES);
      const job = handler(raw, peer).then(
        (receipt) => {
          if (receipt.length > limits.maxResponseBytes) {
            answer(id, ERROR, new TextEncoder().encode("receipt too large"));
          } else answer(id, ITEM, receipt);
        },
        (error: unknown) => answer(id, ERROR, new TextEncoder().encode(String(error).slice(0, 200))),
      );
      running.add(job);
      job.finally(() => running.delete(job));
    }
    // The client closed its side: finish what it asked, then close ours.
    await Promise.allSettled([...running]);
    if (stream.status === "open") await stream.close();
  } catch (error) {
    if (stream.status === "open") stream.abort(error as Error);
  }
}

interface Pending {
  resolve: (receipt: Uint8Array) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** One peer's stream and the requests waiting on it. */
interface Channel {
  stream: Stream;
  pending: Map<number, Pending>;
}

/**
 * The client side: one stream per peer, opened on first use and again after it fails; each
 * `forward` is one frame on it. Never more than `maxInFlightPerStream` waiting per peer.
 */
export class TxForwardClient {
  private readonly chainId: number;
  private readonly limits: TxForwardLimits;
  private readonly libp2p: () => Libp2p;
  private readonly channels = new Map<string, Channel>();
  private readonly opening = new Map<string, Promise<Channel>>();
  private nextId = 1;
  private closed = false;

  constructor(
    opts: { chainId: number; limits?: Partial<TxForwardLimits> },
    modules: { libp2p: () => Libp2p },
  ) {
    this.chainId = opts.chainId;
    this.limits = { ...DEFAULT_TX_FORWARD_LIMITS, ...opts.limits };
    this.libp2p = modules.libp2p;
  }

  /** Open streams (one per peer in use). */
  get streamCount(): number {
    return this.channels.size;
  }

  /** Sends `raw` to `peer`; resolves with its answer (one encoded receipt). */
  async forward(peer: PeerId, raw: Uint8Array): Promise<Uint8Array> {
    if (raw.length > this.limits.maxRequestBytes) {
      throw new TxForwardError(
        "TOO_LARGE",
        `transaction of ${raw.length} bytes over the ${this.limits.maxRequestBytes} limit`,
      );
    }
    const channel = await this.channelTo(peer);
    if (channel.pending.size >= this.limits.maxInFlightPerStream) {
      throw new TxForwardError("BUSY", "too many forwarded transactions awaiting this peer");
    }
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffff_ffff ? 1 : this.nextId + 1;
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        channel.pending.delete(id);
        reject(new TxForwardError("TIMEOUT", `no answer within ${this.limits.timeoutMs} ms`));
      }, this.limits.timeoutMs);
      channel.pending.set(id, { resolve, reject, timer });
      if (!write(channel.stream, requestFrame(id, raw), this.limits.maxQueuedBytes)) {
        this.drop(peer.toString(), channel, new TxForwardError("STREAM_CLOSED", "peer is not reading"));
      }
    });
  }

  /** Closes every stream; waiting forwards fail. */
  close(): void {
    this.closed = true;
    for (const [key, channel] of this.channels) {
      this.drop(key, channel, new TxForwardError("STREAM_CLOSED", "forwarder closed"));
    }
  }

  private channelTo(peer: PeerId): Promise<Channel> {
    const key = peer.toString();
    const open = this.channels.get(key);
    if (open !== undefined && open.stream.status === "open") return Promise.resolve(open);
    if (this.closed) return Promise.reject(new TxForwardError("STREAM_CLOSED", "forwarder closed"));
    let opening = this.opening.get(key);
    if (opening === undefined) {
      opening = this.open(peer).finally(() => this.opening.delete(key));
      this.opening.set(key, opening);
    }
    return opening;
  }

  private async open(peer: PeerId): Promise<Channel> {
    const key = peer.toString();
    const stream = await this.libp2p().dialProtocol(peer, txForwardProtocol(this.chainId), {
      signal: AbortSignal.timeout(this.limits.timeoutMs),
    });
    stream.maxReadBufferLength = this.limits.maxResponseBytes + 64;
    const channel: Channel = { stream, pending: new Map() };
    this.channels.set(key, channel);
    void this.read(key, channel);
    return channel;
  }

  /** Settles answers as they come; a broken stream fails whatever still waits on it. */
  private async read(key: string, channel: Channel): Promise<void> {
    let failure: Error = new TxForwardError("STREAM_CLOSED", "tx_forward stream closed");
    try {
      for await (const frame of readFrames(channel.stream, ID_BYTES + 1 + this.limits.maxResponseBytes)) {
        if (frame.length <= ID_BYTES) throw new TxForwardError("BAD_RESPONSE", "answer without a tag");
        const id = new DataView(frame.buffer, frame.byteOffset).getUint32(0);
        const waiting = channel.pending.get(id);
        // Unknown ids are answers we stopped waiting for (timed out): drop them.
        if (waiting === undefined) continue;
        channel.pending.delete(id);
        clearTimeout(waiting.timer);
        const tag = frame[ID_BYTES];
        const body = frame.subarray(ID_BYTES + 1);
        if (tag === ITEM) waiting.resolve(body);
        else if (tag === ERROR)
          waiting.reject(
            new TxForwardError("REMOTE_ERROR", `peer answered: ${new TextDecoder().decode(body)}`),
          );
        else if (tag === RATE_LIMITED)
          waiting.reject(new TxForwardError("RATE_LIMITED", "peer rate-limited us"));
        else if (tag === BUSY) waiting.reject(new TxForwardError("BUSY", "peer is busy"));
        else throw new TxForwardError("BAD_RESPONSE", `unknown answer tag ${tag}`);
      }
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    this.drop(key, channel, failure);
  }

  private drop(key: string, channel: Channel, error: Error): void {
    if (this.channels.get(key) === channel) this.channels.delete(key);
    for (const waiting of channel.pending.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
    }
    channel.pending.clear();
    if (channel.stream.status === "open") channel.stream.abort(error);
  }
}
