// A real p2p host in its own process, driven by its parent over IPC. Used by the p2p integration
// tests and by bench/suites/p2p.ts. Not a test file itself (vitest only runs *.test.ts).
import { performance } from "node:perf_hooks";
import { peerIdFromString } from "@libp2p/peer-id";
import { createMetrics } from "../../src/metrics/index.ts";
import { encodeFrame } from "../../src/p2p/frames.ts";
import { type GossipTopicHandler, voteProtocol } from "../../src/p2p/host.ts";
import {
  type ChainStatus,
  P2pHost,
  type P2pLimitsOverrides,
  TOPIC_KINDS,
  type TopicKind,
} from "../../src/p2p/index.ts";

export interface ChildConfig {
  chainId: number;
  genesisByte: number;
  keyFile: string;
  staticPeers?: string[];
  limits?: P2pLimitsOverrides;
  /** Report every delivered message to the parent (off for the bench, which asks for stats). */
  reportDeliveries: boolean;
  /** Synthetic chain served over blocks-by-range: `blocks` blocks of `blockBytes` each. */
  blocks?: number;
  blockBytes?: number;
}

export type ChildCommand =
  | { cmd: "info" }
  | { cmd: "dial"; addr: string }
  | { cmd: "publish"; kind: TopicKind; hex: string }
  | { cmd: "publishMany"; kind: TopicKind; count: number; bytes: number; intervalMs: number }
  | { cmd: "sendVote"; peer: string; hex: string }
  | { cmd: "rawVoteFrames"; peer: string; frameBytes: number; count: number }
  | { cmd: "score"; peer: string }
  | { cmd: "peers" }
  | { cmd: "topicPeers"; kind: TopicKind }
  | { cmd: "block"; peer: string }
  | { cmd: "unblock"; peer: string }
  | { cmd: "range"; peer: string; start: string; count: number }
  | { cmd: "byHash"; peer: string; heights: string[] }
  | { cmd: "status"; peer: string }
  | { cmd: "stats"; reset?: boolean }
  | { cmd: "memory" }
  | { cmd: "metrics" }
  | { cmd: "stop" };

export type ChildEvent =
  | { event: "ready"; peerId: string; addrs: string[] }
  | { event: "delivered"; kind: TopicKind; from: string; size: number; tag: string; via?: string }
  | { event: "incompatible"; peer: string; reason: string };

/** Test message layout: 0x4D, chain id (u64 BE), 8-byte send time (ms, f64), payload. */
export const MAGIC = 0x4d;
export const HEADER = 1 + 8 + 8;

export function makeMessage(chainId: number, payload: Uint8Array, sentAtMs = 0): Uint8Array {
  const out = new Uint8Array(HEADER + payload.length);
  const view = new DataView(out.buffer);
  out[0] = MAGIC;
  view.setBigUint64(1, BigInt(chainId));
  view.setFloat64(9, sentAtMs);
  out.set(payload, HEADER);
  return out;
}

const send = (msg: unknown): void => {
  process.send?.(msg);
};

async function main(): Promise<void> {
  const config = JSON.parse(process.env.P2P_CHILD_CONFIG ?? "{}") as ChildConfig;
  const { registry, metrics } = createMetrics({ processMetrics: false });
  const status: ChainStatus = {
    chainId: config.chainId,
    genesisHash: new Uint8Array(32).fill(config.genesisByte),
    epoch: 1n,
    committedHeight: BigInt(config.blocks ?? 0),
    committedHash: new Uint8Array(32),
  };
  const blockBytes = config.blockBytes ?? 100;
  const makeBlock = (h: bigint): Uint8Array => {
    const block = new Uint8Array(blockBytes);
    new DataView(block.buffer).setBigUint64(0, h);
    return block;
  };
  // A synthetic block's "hash" is 24 zero bytes and its height (u64 BE).
  const hashOf = (h: bigint): Uint8Array => {
    const hash = new Uint8Array(32);
    new DataView(hash.buffer).setBigUint64(24, h);
    return hash;
  };
  const host = new P2pHost(
    {
      chainId: config.chainId,
      listen: ["/ip4/127.0.0.1/tcp/0"],
      staticPeers: config.staticPeers,
      peerKeyFile: config.keyFile,
      limits: config.limits,
    },
    {
      status: () => status,
      metrics,
      blocksByRange: ({ start, count }) => {
        const out: Uint8Array[] = [];
        for (let h = start; h < start + BigInt(count) && h < BigInt(config.blocks ?? 0); h++)
          out.push(makeBlock(h));
        return out;
      },
      blocksByHash: (hashes) =>
        hashes
          .map((hash) => new DataView(hash.buffer, hash.byteOffset).getBigUint64(24))
          .filter((h) => h < BigInt(config.blocks ?? 0))
          .map(makeBlock),
    },
  );

  const latencies: number[] = [];
  let delivered = 0;
  let deliveredBytes = 0;
  const handler = (kind: TopicKind): GossipTopicHandler<Uint8Array> => ({
    validate: (data) => {
      if (data.length < HEADER || data[0] !== MAGIC) return { result: "reject", reason: "decode" };
      const chainId = Number(new DataView(data.buffer, data.byteOffset).getBigUint64(1));
      if (chainId !== config.chainId) return { result: "reject", reason: "chain_id" };
      return { result: "accept", value: data };
    },
    deliver: (data, from) => {
      delivered++;
      deliveredBytes += data.length;
      const sentAt = new DataView(data.buffer, data.byteOffset).getFloat64(9);
      if (sentAt > 0) latencies.push(performance.timeOrigin + performance.now() - sentAt);
      if (config.reportDeliveries) {
        const tag = Buffer.from(data.subarray(HEADER, HEADER + 16)).toString("hex");
        send({ event: "delivered", kind, from, size: data.length, tag } satisfies ChildEvent);
      }
    },
  });
  for (const kind of TOPIC_KINDS) host.setTopicHandler(kind, handler(kind));
  host.onPeerIncompatible((peer, reason) =>
    send({ event: "incompatible", peer, reason } satisfies ChildEvent),
  );
  await host.start();

  const run = async (c: ChildCommand): Promise<unknown> => {
    switch (c.cmd) {
      case "info":
        return { peerId: host.peerId, addrs: host.multiaddrs() };
      case "dial":
        return host.dial(c.addr);
      case "publish":
        return host.publish(c.kind, Buffer.from(c.hex, "hex"));
      case "publishMany": {
        const start = performance.now();
        for (let i = 0; i < c.count; i++) {
          const payload = new Uint8Array(c.bytes);
          new DataView(payload.buffer).setUint32(0, i);
          await host.publish(
            c.kind,
            makeMessage(config.chainId, payload, performance.timeOrigin + performance.now()),
          );
          if (c.intervalMs > 0) await new Promise((r) => setTimeout(r, c.intervalMs));
        }
        return { seconds: (performance.now() - start) / 1000 };
      }
      case "sendVote":
        return host.sendVote(c.peer, Buffer.from(c.hex, "hex"));
      case "rawVoteFrames": {
        // Misbehaviour on purpose: frames past the vote limit straight onto the vote stream.
        const stream = await host.libp2p.dialProtocol(peerIdFromString(c.peer), voteProtocol(config.chainId));
        try {
          for (let i = 0; i < c.count; i++) {
            if (!stream.send(encodeFrame(makeMessage(config.chainId, new Uint8Array(c.frameBytes))))) {
              await stream.onDrain();
            }
          }
          await stream.close();
          return "sent";
        } catch (err) {
          return `stream closed by peer: ${(err as Error).message}`;
        }
      }
      case "score":
        return host.score(c.peer);
      case "peers":
        return host.peers();
      case "topicPeers":
        return host.topicPeers(c.kind);
      case "block":
        return host.block(c.peer);
      case "unblock":
        return host.unblock(c.peer);
      case "range": {
        const items = await host.requestBlocksByRange(c.peer, {
          epoch: 0n,
          start: BigInt(c.start),
          count: c.count,
        });
        return items.map((b) => ({
          height: new DataView(b.buffer, b.byteOffset).getBigUint64(0).toString(),
          size: b.length,
        }));
      }
      case "byHash": {
        const items = await host.requestBlocksByHash(
          c.peer,
          c.heights.map((h) => hashOf(BigInt(h))),
        );
        return items.map((b) => new DataView(b.buffer, b.byteOffset).getBigUint64(0).toString());
      }
      case "status": {
        const s = await host.requestStatus(c.peer);
        return { chainId: s.chainId, committedHeight: s.committedHeight.toString() };
      }
      case "stats": {
        const result = { delivered, deliveredBytes, latencies: [...latencies] };
        if (c.reset) {
          delivered = 0;
          deliveredBytes = 0;
          latencies.length = 0;
        }
        return result;
      }
      case "memory": {
        const gc = (globalThis as { gc?: () => void }).gc;
        gc?.();
        return process.memoryUsage();
      }
      case "metrics":
        return registry.metrics();
      case "stop":
        await host.stop();
        setImmediate(() => process.exit(0));
        return true;
    }
  };

  process.on("message", (raw: { id: number } & ChildCommand) => {
    run(raw).then(
      (result) => send({ id: raw.id, ok: true, result }),
      (err: Error & { code?: string }) => send({ id: raw.id, ok: false, error: err.message, code: err.code }),
    );
  });
  process.on("disconnect", () => process.exit(0));
  send({ event: "ready", peerId: host.peerId, addrs: host.multiaddrs() } satisfies ChildEvent);
}

if (process.env.P2P_CHILD_CONFIG) {
  main().catch((err: Error) => {
    process.stderr.write(`p2p child failed: ${err.stack}\n`);
    process.exit(1);
  });
}
