import type { Libp2p, PeerId, Stream } from "@libp2p/interface";
import { P2pError } from "./errors.ts";
import { readFrames, withTimeout } from "./frames.ts";
import type { RateLimit, RateLimiter } from "./rate-limiter.ts";
import { sendFrame } from "./stream-io.ts";

/** Bounds of one request/response protocol; both sides enforce them. */
export interface ReqRespLimits {
  maxRequestBytes: number;
  maxResponseItems: number;
  maxItemBytes: number;
  maxResponseBytes: number;
  timeoutMs: number;
  rate: RateLimit;
}

/** Answers a request with a list of items; throw P2pError("BAD_REQUEST") for a malformed one. */
export type ReqRespHandler = (request: Uint8Array, peer: string) => Promise<Uint8Array[]> | Uint8Array[];

export type ServeResult = "ok" | "rate_limited" | "bad_request" | "error";

// Every response frame starts with one of these bytes.
const ITEM = 0;
const ERROR = 1;
const RATE_LIMITED = 2;

function tagged(tag: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = tag;
  out.set(body, 1);
  return out;
}

/**
 * Server side of one exchange: read one bounded request, check the peer's rate limit, ask the
 * handler, and write at most `maxResponseItems` items and `maxResponseBytes` bytes (the response
 * is cut short, never oversize).
 */
export async function serveRequest(
  stream: Stream,
  peer: string,
  limits: ReqRespLimits,
  handler: ReqRespHandler,
  limiter: RateLimiter,
  limiterKey: string,
): Promise<ServeResult> {
  stream.maxReadBufferLength = limits.maxRequestBytes + 64;
  try {
    const frames = readFrames(stream, limits.maxRequestBytes);
    const first = await withTimeout(frames.next(), limits.timeoutMs, "request read", () =>
      stream.abort(new P2pError("TIMEOUT", "request read timed out")),
    );
    if (first.done) throw new P2pError("BAD_REQUEST", "stream closed before the request");
    if (!limiter.tryTake(limiterKey)) {
      await sendFrame(stream, tagged(RATE_LIMITED, new Uint8Array()));
      await stream.close();
      return "rate_limited";
    }
    const items = await handler(first.value, peer);
    let bytes = 0;
    let count = 0;
    for (const item of items) {
      if (count >= limits.maxResponseItems || item.length > limits.maxItemBytes) break;
      if (bytes + item.length > limits.maxResponseBytes) break;
      await sendFrame(stream, tagged(ITEM, item));
      bytes += item.length;
      count++;
    }
    await stream.close();
    return "ok";
  } catch (err) {
    const bad =
      err instanceof P2pError && ["BAD_REQUEST", "FRAME_TOO_LARGE", "STREAM_ENDED"].includes(err.code);
    try {
      if (stream.status === "open") {
        await sendFrame(
          stream,
          tagged(ERROR, new TextEncoder().encode((err as Error).message.slice(0, 200))),
        );
        await stream.close();
      }
    } catch {
      stream.abort(err as Error);
    }
    return bad ? "bad_request" : "error";
  }
}

/**
 * Client side: open a stream, send the request, read the items. A response past the bounds is
 * an error (the peer broke the protocol) rather than something to buffer.
 */
export async function sendRequest(
  libp2p: Libp2p,
  peer: PeerId,
  protocol: string,
  request: Uint8Array,
  limits: ReqRespLimits,
): Promise<Uint8Array[]> {
  if (request.length > limits.maxRequestBytes) {
    throw new P2pError(
      "MESSAGE_TOO_LARGE",
      `request of ${request.length} bytes over the ${limits.maxRequestBytes} limit`,
    );
  }
  const signal = AbortSignal.timeout(limits.timeoutMs);
  const stream = await libp2p.dialProtocol(peer, protocol, { signal });
  stream.maxReadBufferLength = limits.maxItemBytes + 64;
  const exchange = async (): Promise<Uint8Array[]> => {
    await sendFrame(stream, request);
    await stream.close();
    const items: Uint8Array[] = [];
    let bytes = 0;
    for await (const frame of readFrames(stream, limits.maxItemBytes + 1)) {
      const tag = frame[0];
      const body = frame.subarray(1);
      if (tag === RATE_LIMITED) throw new P2pError("RATE_LIMITED", `peer rate-limited ${protocol}`);
      if (tag === ERROR)
        throw new P2pError("REMOTE_ERROR", `peer answered: ${new TextDecoder().decode(body)}`);
      if (tag !== ITEM) throw new P2pError("BAD_RESPONSE", `unknown response tag ${tag}`);
      bytes += body.length;
      if (items.length >= limits.maxResponseItems || bytes > limits.maxResponseBytes) {
        throw new P2pError(
          "RESPONSE_TOO_LARGE",
          `response exceeds ${limits.maxResponseItems} items / ${limits.maxResponseBytes} bytes`,
        );
      }
      items.push(body);
    }
    return items;
  };
  try {
    return await withTimeout(exchange(), limits.timeoutMs, protocol, () =>
      stream.abort(new P2pError("TIMEOUT", `${protocol} timed out`)),
    );
  } catch (err) {
    if (stream.status === "open") stream.abort(err as Error);
    throw err;
  }
}
