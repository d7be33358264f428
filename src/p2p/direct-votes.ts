import type { Libp2p, PeerId, Stream } from "@libp2p/interface";
import { withTimeout } from "./frames.ts";
import { sendFrame } from "./stream-io.ts";

export interface DirectVotesOpts {
  protocol: string;
  timeoutMs: number;
  /** Past this many unsent bytes to one peer, give up on the stream (the leader is not reading). */
  maxPendingBytes: number;
}

/**
 * The outbound half of the direct vote protocol: one long-lived stream per leader, one frame per
 * vote. `send` never throws; false means "use the gossip fallback".
 */
export class DirectVoteSender {
  private readonly opts: DirectVotesOpts;
  private readonly libp2p: Libp2p;
  private readonly streams = new Map<string, Stream>();

  constructor(opts: DirectVotesOpts, modules: { libp2p: Libp2p }) {
    this.opts = opts;
    this.libp2p = modules.libp2p;
  }

  async send(peer: PeerId, vote: Uint8Array): Promise<boolean> {
    const key = peer.toString();
    try {
      const stream = await this.streamTo(peer);
      if (stream.writeBufferLength > this.opts.maxPendingBytes) {
        this.drop(key, stream);
        return false;
      }
      await withTimeout(sendFrame(stream, vote), this.opts.timeoutMs, "direct vote send");
      return true;
    } catch {
      const stream = this.streams.get(key);
      if (stream) this.drop(key, stream);
      return false;
    }
  }

  forget(peer: string): void {
    const stream = this.streams.get(peer);
    if (stream) this.drop(peer, stream);
  }

  closeAll(): void {
    for (const [key, stream] of this.streams) this.drop(key, stream);
  }

  private async streamTo(peer: PeerId): Promise<Stream> {
    const key = peer.toString();
    const existing = this.streams.get(key);
    if (existing && existing.status === "open") return existing;
    const stream = await this.libp2p.dialProtocol(peer, this.opts.protocol, {
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    stream.addEventListener("close", () => {
      if (this.streams.get(key) === stream) this.streams.delete(key);
    });
    this.streams.set(key, stream);
    return stream;
  }

  private drop(key: string, stream: Stream): void {
    this.streams.delete(key);
    if (stream.status === "open") stream.abort(new Error("direct vote stream dropped"));
  }
}
