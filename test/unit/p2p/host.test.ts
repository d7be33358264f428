import { describe, expect, it } from "vitest";
import { type ChainStatus, P2pHost } from "../../../src/p2p/index.ts";

const status: ChainStatus = {
  chainId: 1,
  genesisHash: new Uint8Array(32),
  epoch: 0n,
  committedHeight: 0n,
  committedHash: new Uint8Array(32),
};

describe("P2pHost options", () => {
  it("refuses a malformed multiaddr before listening", () => {
    expect(() => new P2pHost({ chainId: 1, listen: ["127.0.0.1:9000"] }, { status: () => status })).toThrow(
      expect.objectContaining({ code: "BAD_MULTIADDR" }),
    );
  });

  it("requires static peers to name their peer id", () => {
    expect(
      () =>
        new P2pHost(
          { chainId: 1, listen: ["/ip4/127.0.0.1/tcp/0"], staticPeers: ["/ip4/127.0.0.1/tcp/9000"] },
          { status: () => status },
        ),
    ).toThrow(/must end in \/p2p\//);
  });

  it("starts, publishes with no peers, refuses oversize and stops", async () => {
    const host = new P2pHost({ chainId: 1, listen: ["/ip4/127.0.0.1/tcp/0"] }, { status: () => status });
    expect(() => host.peerId).toThrow(expect.objectContaining({ code: "NOT_STARTED" }));
    await host.start();
    try {
      expect(host.multiaddrs()[0]).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+/);
      expect(await host.publish("tx", new Uint8Array(10))).toBe(0);
      await expect(host.publish("vote", new Uint8Array(1 << 20))).rejects.toMatchObject({
        code: "MESSAGE_TOO_LARGE",
      });
    } finally {
      await host.stop();
    }
  });
});
