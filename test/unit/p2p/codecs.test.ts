import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ChainStatus,
  contentMessageId,
  DEFAULT_P2P_LIMITS,
  decodeStatus,
  encodeFrame,
  encodeStatus,
  incompatibility,
  loadOrCreatePeerKey,
  PeerGater,
  PeerPenalties,
  parseTopic,
  RateLimiter,
  readFrames,
  readPeerKey,
  resolveLimits,
  topicName,
} from "../../../src/p2p/index.ts";
import {
  decodeHashRequest,
  decodeRangeRequest,
  encodeHashRequest,
  encodeRangeRequest,
} from "../../../src/p2p/sync-codec.ts";

async function collect(chunks: Uint8Array[], max: number): Promise<Uint8Array[]> {
  async function* source(): AsyncGenerator<Uint8Array> {
    yield* chunks;
  }
  const out: Uint8Array[] = [];
  for await (const frame of readFrames(source(), max)) out.push(frame);
  return out;
}

describe("frames", () => {
  it("round-trips any frames split at any points (seeded property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
        async (payloads, cuts) => {
          const all = Buffer.concat(payloads.map(encodeFrame));
          const chunks: Uint8Array[] = [];
          let at = 0;
          for (let i = 0; at < all.length; i++) {
            const n = cuts[i % cuts.length];
            chunks.push(all.subarray(at, at + n));
            at += n;
          }
          const frames = await collect(chunks, 300);
          expect(frames.map((f) => Buffer.from(f).toString("hex"))).toEqual(
            payloads.map((p) => Buffer.from(p).toString("hex")),
          );
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it("refuses a frame over the limit from its header alone", async () => {
    const header = encodeFrame(new Uint8Array(1000)).subarray(0, 4);
    await expect(collect([header], 999)).rejects.toMatchObject({ code: "FRAME_TOO_LARGE" });
  });

  it("reports a stream that ends inside a frame", async () => {
    await expect(collect([encodeFrame(new Uint8Array(10)).subarray(0, 8)], 100)).rejects.toMatchObject({
      code: "STREAM_ENDED",
    });
  });
});

describe("status", () => {
  const status: ChainStatus = {
    chainId: 4242,
    genesisHash: new Uint8Array(32).fill(1),
    epoch: 3n,
    committedHeight: 99n,
    committedHash: new Uint8Array(32).fill(2),
  };

  it("round-trips and detects another chain or genesis", () => {
    const back = decodeStatus(encodeStatus(status));
    expect(back).toEqual(status);
    expect(incompatibility(status, back)).toBeUndefined();
    expect(incompatibility(status, { ...status, chainId: 1 })).toBe("wrong_chain");
    expect(incompatibility(status, { ...status, genesisHash: new Uint8Array(32) })).toBe("wrong_genesis");
    expect(incompatibility(status, { ...status, epoch: 9n, committedHeight: 1000n })).toBeUndefined();
  });

  it("rejects malformed bytes with a typed error", () => {
    expect(() => decodeStatus(new Uint8Array(10))).toThrow(expect.objectContaining({ code: "BAD_STATUS" }));
    expect(() => encodeStatus({ ...status, genesisHash: new Uint8Array(3) })).toThrow(
      expect.objectContaining({ code: "BAD_STATUS" }),
    );
  });
});

describe("sync requests", () => {
  it("round-trips range and hash requests and rejects malformed ones", () => {
    const range = { epoch: 3n, start: 5n, count: 7 };
    expect(decodeRangeRequest(encodeRangeRequest(range))).toEqual(range);
    expect(() => decodeRangeRequest(new Uint8Array(3))).toThrow(
      expect.objectContaining({ code: "BAD_REQUEST" }),
    );
    const hashes = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
    expect(decodeHashRequest(encodeHashRequest(hashes), 4)).toEqual(hashes);
    expect(() => decodeHashRequest(new Uint8Array(33), 4)).toThrow(
      expect.objectContaining({ code: "BAD_REQUEST" }),
    );
    expect(() => decodeHashRequest(new Uint8Array(32 * 5), 4)).toThrow(/more than 4/);
  });
});

describe("topics and message ids", () => {
  it("names topics per chain id and parses them back", () => {
    expect(topicName(7, "tx")).toBe("/megaseq/7/tx/1");
    expect(parseTopic("/megaseq/7/proposal/1")).toEqual({ chainId: 7, kind: "proposal" });
    expect(parseTopic("/megaseq/7/nonsense/1")).toBeUndefined();
    expect(parseTopic("/other/7/tx/1")).toBeUndefined();
  });

  it("derives ids from content and topic", () => {
    const data = new Uint8Array([1, 2, 3]);
    const a = contentMessageId("/megaseq/1/tx/1", data);
    expect(a.length).toBe(20);
    expect(contentMessageId("/megaseq/1/tx/1", new Uint8Array([1, 2, 3]))).toEqual(a);
    expect(contentMessageId("/megaseq/1/vote/1", data)).not.toEqual(a);
    expect(contentMessageId("/megaseq/1/tx/1", new Uint8Array([1, 2, 4]))).not.toEqual(a);
  });

  it("merges limit overrides over the defaults", () => {
    const limits = resolveLimits({ topicMaxBytes: { tx: 10 }, banMs: 5 });
    expect(limits.topicMaxBytes.tx).toBe(10);
    expect(limits.topicMaxBytes.vote).toBe(DEFAULT_P2P_LIMITS.topicMaxBytes.vote);
    expect(limits.banMs).toBe(5);
  });
});

describe("rate limiter, penalties and gater", () => {
  it("lets a burst through, refills over time and stays bounded", () => {
    let now = 0;
    const limiter = new RateLimiter({ limit: { perSecond: 2, burst: 3 }, maxKeys: 10 }, { now: () => now });
    expect([1, 2, 3, 4].map(() => limiter.tryTake("p"))).toEqual([true, true, true, false]);
    now += 500;
    expect(limiter.tryTake("p")).toBe(true);
    expect(limiter.tryTake("p")).toBe(false);
    for (let i = 0; i < 100; i++) limiter.tryTake(`peer-${i}`);
    expect(limiter.size).toBe(10);
  });

  it("decays penalties with a half-life and bounds the map", () => {
    let now = 0;
    const penalties = new PeerPenalties({ halfLifeMs: 1000, maxPeers: 5 }, { now: () => now });
    expect(penalties.penalize("a", 10)).toBe(10);
    expect(penalties.score("a")).toBe(-10);
    now += 1000;
    expect(penalties.score("a")).toBeCloseTo(-5);
    for (let i = 0; i < 20; i++) penalties.penalize(`p${i}`, 1);
    expect(penalties.score("a")).toBe(0);
  });

  it("blocks until unblocked and bans until expiry", () => {
    let now = 0;
    const gater = new PeerGater({}, { now: () => now });
    gater.block("a");
    gater.ban("b", 100);
    expect(gater.isDenied("a")).toBe(true);
    expect(gater.isDenied("b")).toBe(true);
    now = 101;
    expect(gater.isDenied("b")).toBe(false);
    expect(gater.unblock("a")).toBe(true);
    expect(gater.isDenied("a")).toBe(false);
    expect(gater.blockedPeers()).toEqual([]);
  });
});

describe("peer key file", () => {
  it("is created on first start with mode 0600 and reused after", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "megaseq-key-")), "sub", "peer.key");
    const first = await loadOrCreatePeerKey(file);
    expect(first.created).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = await loadOrCreatePeerKey(file);
    expect(second.created).toBe(false);
    expect(second.key.equals(first.key)).toBe(true);
    expect(readFileSync(file, "utf8")).toMatch(/^[0-9a-f]+\n$/);
  });

  it("refuses a corrupt key file instead of replacing it", () => {
    const file = join(mkdtempSync(join(tmpdir(), "megaseq-key-")), "peer.key");
    writeFileSync(file, "not hex at all");
    expect(() => readPeerKey(file)).toThrow(expect.objectContaining({ code: "BAD_PEER_KEY_FILE" }));
    writeFileSync(file, "abcd");
    expect(() => readPeerKey(file)).toThrow(expect.objectContaining({ code: "BAD_PEER_KEY_FILE" }));
  });
});
