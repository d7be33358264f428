import type { Connection, Libp2p, Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { RateLimiter } from "./rate-limiter.ts";
import { type ReqRespHandler, type ReqRespLimits, sendRequest, serveRequest } from "./req-resp.ts";

/**
 * Transaction forwarding with a preconfirmation answer: a node that is asked for a realtime
 * submission sends the raw transaction straight to the validators that may lead next; each one
 * admits it and answers, on the same stream, with the receipt once it has one (its own build's
 * preconfirmation, or the committed receipt), or an error when none came within its wait.
 */
export const txForwardProtocol = (chainId: number): string => `/megaseq/${chainId}/tx_forward/1`;

export const DEFAULT_TX_FORWARD_LIMITS: ReqRespLimits = {
  // One raw transaction (the RPC's 128 KiB cap).
  maxRequestBytes: 128 * 1024,
  maxResponseItems: 1,
  // One receipt as JSON (logs included).
  maxItemBytes: 512 * 1024,
  maxResponseBytes: 512 * 1024,
  // The server waits up to its own limit (shorter) for the receipt.
  timeoutMs: 5_000,
  rate: { perSecond: 500, burst: 1_000 },
};

/** Serves forwarded transactions; `handler` answers with one receipt item or throws. */
export async function handleTxForward(
  libp2p: Libp2p,
  chainId: number,
  handler: ReqRespHandler,
  limits: ReqRespLimits = DEFAULT_TX_FORWARD_LIMITS,
): Promise<void> {
  const limiter = new RateLimiter({ limit: limits.rate });
  await libp2p.handle(
    txForwardProtocol(chainId),
    async (stream: Stream, connection: Connection) => {
      const peer = connection.remotePeer.toString();
      await serveRequest(stream, peer, limits, handler, limiter, peer);
    },
    { maxInboundStreams: 256 },
  );
}

/** Forwards one raw transaction to `peer`; resolves with its answer (one receipt item). */
export function forwardTx(
  libp2p: Libp2p,
  chainId: number,
  peer: string,
  raw: Uint8Array,
  limits: ReqRespLimits = DEFAULT_TX_FORWARD_LIMITS,
): Promise<Uint8Array[]> {
  return sendRequest(libp2p, peerIdFromString(peer), txForwardProtocol(chainId), raw, limits);
}
