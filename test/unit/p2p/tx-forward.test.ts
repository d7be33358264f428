import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import type { Libp2p, Stream } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { createLibp2p } from "libp2p";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeFrame, readFrames } from "../../../src/p2p/frames.ts";
import {
  DEFAULT_TX_FORWARD_LIMITS,
  handleTxForward,
  TxForwardClient,
  type TxForwardLimits,
  txForwardProtocol,
} from "../../../src/p2p/tx-forward.ts";

const CHAIN = 7;

async function node(): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  });
}

const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

describe("tx_forward over one long-lived stream", () => {
  let server: Libp2p;
  let client: Libp2p;
  /** What the server's handler does with a request: keyed by its first byte. */
  const gates = new Map<number, { promise: Promise<void>; arrived: () => void }>();
  const limits: TxForwardLimits = {
    ...DEFAULT_TX_FORWARD_LIMITS,
    maxRequestBytes: 64,
    maxResponseBytes: 64,
    maxInFlightPerStream: 4,
    timeoutMs: 2_000,
    rate: { perSecond: 1, burst: 40 },
  };

  beforeAll(async () => {
    [server, client] = await Promise.all([node(), node()]);
    await handleTxForward(
      server,
      CHAIN,
      async (raw) => {
        const gate = gates.get(raw[0]);
        if (gate !== undefined) {
          gate.arrived();
          await gate.promise;
        }
        if (raw[0] === 0xee) throw new Error("refused: nonce too low");
        if (raw[0] === 0xbb) return new Uint8Array(65); // over the 64-byte answer limit
        return Uint8Array.from([...raw].reverse());
      },
      limits,
    );
    await client.dial(server.getMultiaddrs()[0]);
  });

  afterAll(async () => {
    await Promise.all([client.stop(), server.stop()]);
  });

  /** Holds the handler of requests starting with `key` until released; `arrived` once one is held. */
  const hold = (key: number): { release: () => void; arrived: Promise<void> } => {
    let release = (): void => {};
    let arrive = (): void => {};
    const promise = new Promise<void>((resolve) => {
      release = resolve;
    });
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    gates.set(key, { promise, arrived: arrive });
    return { release, arrived };
  };

  it("answers many requests on one stream, out of order when a handler is slow", async () => {
    const forwarder = new TxForwardClient({ chainId: CHAIN, limits }, { libp2p: () => client });
    try {
      const { release } = hold(0x01);
      const slow = forwarder.forward(server.peerId, bytes(0x01, 2, 3));
      const fast = await forwarder.forward(server.peerId, bytes(0x02, 5, 6));
      expect([...fast]).toEqual([6, 5, 2]);
      release();
      expect([...(await slow)]).toEqual([3, 2, 1]);
      for (let i = 0; i < 10; i++) {
        expect([...(await forwarder.forward(server.peerId, bytes(0x03, i)))]).toEqual([i, 3]);
      }
      expect(forwarder.streamCount).toBe(1);
      const streams = client
        .getConnections(server.peerId)[0]
        .streams.filter((s) => s.protocol === txForwardProtocol(CHAIN));
      expect(streams).toHaveLength(1);
    } finally {
      forwarder.close();
      gates.clear();
    }
  });

  it("carries the handler's refusal and refuses oversize both ways", async () => {
    const forwarder = new TxForwardClient({ chainId: CHAIN, limits }, { libp2p: () => client });
    try {
      await expect(forwarder.forward(server.peerId, bytes(0xee))).rejects.toMatchObject({
        code: "REMOTE_ERROR",
        message: expect.stringContaining("nonce too low"),
      });
      await expect(forwarder.forward(server.peerId, new Uint8Array(65))).rejects.toMatchObject({
        code: "TOO_LARGE",
      });
      await expect(forwarder.forward(server.peerId, bytes(0xbb))).rejects.toMatchObject({
        code: "REMOTE_ERROR",
        message: expect.stringContaining("too large"),
      });
      // The stream survived all three.
      expect([...(await forwarder.forward(server.peerId, bytes(0x04, 9)))]).toEqual([9, 4]);
    } finally {
      forwarder.close();
    }
  });

  it("bounds what waits: busy past the in-flight cap on either side", async () => {
    const forwarder = new TxForwardClient(
      { chainId: CHAIN, limits: { ...limits, maxInFlightPerStream: 6 } },
      { libp2p: () => client },
    );
    const { release } = hold(0x05);
    try {
      const held = Array.from({ length: 6 }, (_, i) => forwarder.forward(server.peerId, bytes(0x05, i)));
      // The client holds 6; the server runs 4 of them and answers the other 2 "busy".
      const settled = await Promise.race([
        Promise.allSettled(held.slice(4)),
        new Promise((r) => setTimeout(r, 1_500, "timeout")),
      ]);
      expect(settled).not.toBe("timeout");
      expect((settled as PromiseSettledResult<Uint8Array>[]).map((s) => s.status)).toEqual([
        "rejected",
        "rejected",
      ]);
      await expect(held[4]).rejects.toMatchObject({ code: "BUSY" });
      // 4 wait now; 2 more fill the client's cap of 6, and a 7th is refused before it is sent.
      held.push(
        forwarder.forward(server.peerId, bytes(0x05, 7)),
        forwarder.forward(server.peerId, bytes(0x05, 8)),
      );
      await expect(forwarder.forward(server.peerId, bytes(0x05, 9))).rejects.toMatchObject({ code: "BUSY" });
      release();
      const answered = await Promise.allSettled(held.slice(0, 4));
      expect(answered.every((a) => a.status === "fulfilled")).toBe(true);
      await Promise.allSettled(held);
    } finally {
      release();
      forwarder.close();
      gates.clear();
    }
  });

  it("fails what waits when the stream breaks, and opens a new one next time", async () => {
    const forwarder = new TxForwardClient({ chainId: CHAIN, limits }, { libp2p: () => client });
    const { release, arrived } = hold(0x06);
    try {
      const waiting = forwarder.forward(server.peerId, bytes(0x06));
      await arrived;
      for (const s of client.getConnections(server.peerId)[0].streams) {
        if (s.protocol === txForwardProtocol(CHAIN)) s.abort(new Error("test breaks the stream"));
      }
      await expect(waiting).rejects.toThrow();
      release();
      expect([...(await forwarder.forward(server.peerId, bytes(0x07, 1)))]).toEqual([1, 7]);
    } finally {
      release();
      forwarder.close();
      gates.clear();
    }
  });

  it("drops a stream that sends a malformed request, without crashing the server", async () => {
    const stream: Stream = await client.dialProtocol(server.peerId, txForwardProtocol(CHAIN));
    stream.send(encodeFrame(bytes(0, 0, 0))); // shorter than the request id
    const frames: Uint8Array[] = [];
    await expect(
      (async () => {
        for await (const f of readFrames(stream, 1024)) frames.push(f);
      })(),
    ).rejects.toThrow();
    expect(frames).toHaveLength(0);
    // An oversize frame header is refused before its body is buffered.
    const big: Stream = await client.dialProtocol(server.peerId, txForwardProtocol(CHAIN));
    const header = new Uint8Array(4);
    new DataView(header.buffer).setUint32(0, 10_000_000);
    big.send(header);
    await expect(
      (async () => {
        for await (const _ of readFrames(big, 1024)) {
          // nothing is answered
        }
      })(),
    ).rejects.toThrow();
    const forwarder = new TxForwardClient({ chainId: CHAIN, limits }, { libp2p: () => client });
    try {
      expect([...(await forwarder.forward(server.peerId, bytes(0x08, 2)))]).toEqual([2, 8]);
    } finally {
      forwarder.close();
    }
  });
});
