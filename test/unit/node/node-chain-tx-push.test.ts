import { RLP } from "@ethereumjs/rlp";
import { peerIdFromString } from "@libp2p/peer-id";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/node/logger.ts";
import { TxGossip, txPushProtocol } from "../../../src/node/tx-gossip.ts";
import { encodeFrame } from "../../../src/p2p/frames.ts";
import { type ChainStatus, P2pHost } from "../../../src/p2p/index.ts";

// The transactions a node's RPC admitted reach the other validators by a direct push over one
// stream per peer, each batch once (gossipsub delivered each batch from every mesh peer).

const CHAIN = 31_999;
const status: ChainStatus = {
  chainId: CHAIN,
  genesisHash: new Uint8Array(32),
  epoch: 0n,
  committedHeight: 0n,
  committedHash: new Uint8Array(32),
};

interface Peer {
  p2p: P2pHost;
  gossip: TxGossip;
  batches: Uint8Array[][];
  published: Uint8Array[];
  invalid: string[];
  /** Resolves at the next admitted batch. */
  next(): Promise<Uint8Array[]>;
}

async function peer(push: boolean): Promise<Peer> {
  const p2p = new P2pHost({ chainId: CHAIN, listen: ["/ip4/127.0.0.1/tcp/0"] }, { status: () => status });
  const batches: Uint8Array[][] = [];
  const published: Uint8Array[] = [];
  const invalid: string[] = [];
  let waiter: ((b: Uint8Array[]) => void) | undefined;
  const gossip = new TxGossip(
    { flushMs: 1_000, maxBatchBytes: 1 << 20, ...(push ? { chainId: CHAIN } : {}) },
    {
      p2p,
      admitBatch: async (raws) => {
        batches.push(raws);
        waiter?.(raws);
        waiter = undefined;
      },
      log: silentLogger,
    },
  );
  // What the node would send through gossipsub, and whom it reports.
  const publish = p2p.publish.bind(p2p);
  p2p.publish = (kind, data) => {
    published.push(data);
    return publish(kind, data);
  };
  const report = p2p.reportInvalid.bind(p2p);
  p2p.reportInvalid = (from, kind, reason) => {
    invalid.push(reason);
    report(from, kind, reason);
  };
  gossip.attach();
  await p2p.start();
  await gossip.start();
  return {
    p2p,
    gossip,
    batches,
    published,
    invalid,
    next: () =>
      new Promise((resolve) => {
        waiter = resolve;
      }),
  };
}

const tx = (n: number): Uint8Array => Uint8Array.from({ length: 110 }, (_, i) => (n + i) & 0xff);

describe("tx push to every connected peer", () => {
  let a: Peer;
  let b: Peer;
  let c: Peer;

  beforeAll(async () => {
    [a, b, c] = await Promise.all([peer(true), peer(true), peer(true)]);
    await a.p2p.dial(b.p2p.multiaddrs()[0]);
    await a.p2p.dial(c.p2p.multiaddrs()[0]);
    await b.p2p.dial(c.p2p.multiaddrs()[0]);
  });

  afterAll(async () => {
    for (const p of [a, b, c]) p.gossip.stop();
    await Promise.all([a, b, c].map((p) => p.p2p.stop()));
  });

  it("sends each batch once to each peer, in order, without gossipsub", async () => {
    const atB = b.next();
    const atC = c.next();
    a.gossip.send(tx(1));
    a.gossip.send(tx(2));
    a.gossip.flush();
    expect(await atB).toEqual([tx(1), tx(2)]);
    expect(await atC).toEqual([tx(1), tx(2)]);
    // The next batch comes after the first on the same stream: nothing was delivered twice.
    const againB = b.next();
    a.gossip.send(tx(3));
    a.gossip.flush();
    expect(await againB).toEqual([tx(3)]);
    expect(b.batches.filter((x) => x.length === 2)).toHaveLength(1);
    expect(a.published).toHaveLength(0);
    expect(b.invalid).toHaveLength(0);
  });

  it("drops the stream of a peer that pushes a malformed batch and reports it", async () => {
    const stream = await a.p2p.libp2p.dialProtocol(peerIdFromString(b.p2p.peerId), txPushProtocol(CHAIN));
    const closed = new Promise<void>((resolve) => stream.addEventListener("close", () => resolve()));
    stream.send(encodeFrame(RLP.encode([tx(9), [tx(10)]])));
    await closed;
    expect(b.invalid).toEqual(["bad_batch"]);
    const before = b.batches.length;
    // The pushes of the node itself go on, over its own stream.
    const atB = b.next();
    a.gossip.send(tx(11));
    a.gossip.flush();
    expect(await atB).toEqual([tx(11)]);
    expect(b.batches.length).toBe(before + 1);
  });

  it("gives a peer that does not serve the push the batch through gossipsub", async () => {
    const old = await peer(false);
    try {
      await a.p2p.dial(old.p2p.multiaddrs()[0]);
      const published = new Promise<void>((resolve) => {
        const publish = a.p2p.publish;
        a.p2p.publish = (kind, data) => {
          resolve();
          return publish(kind, data);
        };
      });
      a.gossip.send(tx(20));
      a.gossip.flush();
      await published;
      expect(a.published.some((d) => RLP.decode(d).length === 1)).toBe(true);
    } finally {
      old.gossip.stop();
      await old.p2p.stop();
    }
  });
});
