import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { StreamState } from "@chainsafe/libp2p-yamux/stream";
import type { Libp2p } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { createLibp2p } from "libp2p";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFrames } from "../../../src/p2p/frames.ts";
import { sendFrame } from "../../../src/p2p/stream-io.ts";
import { batchYamuxWindowUpdates, creditCanWait } from "../../../src/p2p/yamux-window-updates.ts";

const PROTOCOL = "/megaseq-test/echo-sum/1";
const WINDOW = 256 * 1024;

describe("yamux credit at half the window", () => {
  it("waits only on open streams with more than half of the window free", () => {
    const open = { state: StreamState.Established, recvWindow: WINDOW };
    expect(creditCanWait({ ...open, recvWindowCapacity: WINDOW - 200 })).toBe(true);
    expect(creditCanWait({ ...open, recvWindowCapacity: WINDOW / 2 + 1 })).toBe(true);
    expect(creditCanWait({ ...open, recvWindowCapacity: WINDOW / 2 })).toBe(false);
    expect(creditCanWait({ ...open, recvWindowCapacity: 0 })).toBe(false);
    expect(creditCanWait({ ...open, state: StreamState.SYNSent, recvWindowCapacity: WINDOW - 1 })).toBe(true);
    // SYN / ACK must go out, and a paused or finished stream is the library's business.
    for (const state of [
      StreamState.Init,
      StreamState.SYNReceived,
      StreamState.Paused,
      StreamState.Finished,
    ]) {
      expect(creditCanWait({ ...open, state, recvWindowCapacity: WINDOW - 1 })).toBe(false);
    }
  });

  describe("between two real libp2p nodes", () => {
    let server: Libp2p;
    let client: Libp2p;
    const node = (): Promise<Libp2p> =>
      createLibp2p({
        addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
      });

    beforeAll(async () => {
      batchYamuxWindowUpdates();
      [server, client] = await Promise.all([node(), node()]);
      // Answers each frame with its length and byte sum, so the client sees every byte arrived.
      await server.handle(PROTOCOL, async (stream) => {
        for await (const frame of readFrames(stream, 4 * 1024 * 1024)) {
          let sum = 0;
          for (const b of frame) sum = (sum + b) >>> 0;
          const answer = new Uint8Array(8);
          new DataView(answer.buffer).setUint32(0, frame.length);
          new DataView(answer.buffer).setUint32(4, sum);
          await sendFrame(stream, answer);
        }
      });
      await client.dial(server.getMultiaddrs()[0]);
    });

    afterAll(async () => {
      await Promise.all([client.stop(), server.stop()]);
    });

    it("moves thousands of small frames and frames several windows long, every byte accounted for", async () => {
      const stream = await client.dialProtocol(server.peerId, PROTOCOL);
      const answers = readFrames(stream, 64)[Symbol.asyncIterator]();
      // Small frames (votes) well past one window in total, then 1 MiB frames (catch-up answers).
      const sizes = [...Array.from({ length: 1500 }, (_, i) => 150 + (i % 97)), 1 << 20, 2 << 20, 200];
      let seed = 12345;
      for (const size of sizes) {
        const frame = new Uint8Array(size);
        let sum = 0;
        for (let i = 0; i < size; i++) {
          seed = (seed * 1103515245 + 12345) >>> 0;
          frame[i] = seed >>> 24;
          sum = (sum + frame[i]) >>> 0;
        }
        await sendFrame(stream, frame);
        const next = await answers.next();
        expect(next.done).toBe(false);
        const view = new DataView((next.value as Uint8Array).buffer);
        expect([view.getUint32(0), view.getUint32(4)]).toEqual([size, sum]);
      }
      await stream.close();
    });
  });
});
