import { describe, expect, it } from "vitest";
import { reject } from "../../../src/execution/errors.ts";
import { MempoolError } from "../../../src/mempool/errors.ts";
import { expectedNonceOf, TxRejectedError, toErrorObject } from "../../../src/rpc/errors.ts";
import { FilterManager } from "../../../src/rpc/filters.ts";
import { toQuantity } from "../../../src/rpc/hex.ts";
import { DEFAULT_LIMITS } from "../../../src/rpc/limits.ts";
import { rpcServerOptionsFromConfig } from "../../../src/rpc/options-from-config.ts";
import { address, blockSelector, filterCriteria, quantity, storageSlot } from "../../../src/rpc/params.ts";
import { RateLimiter } from "../../../src/rpc/rate-limiter.ts";
import { decodeReason } from "../../../src/rpc/revert.ts";
import { MemoryChain } from "./memory-chain.ts";

describe("params", () => {
  it("parses quantities, addresses, slots and block selectors", () => {
    expect(quantity.parse("0x1a")).toBe(26n);
    expect(quantity.safeParse("0x").success).toBe(false);
    expect(quantity.safeParse(`0x${"f".repeat(65)}`).success).toBe(false);
    expect(address.parse("0xABCDEF0000000000000000000000000000000001")).toBe(
      "0xabcdef0000000000000000000000000000000001",
    );
    expect(storageSlot.parse("0x3")).toBe(`0x${"0".repeat(63)}3`);
    expect(blockSelector.parse("safe")).toEqual({ kind: "tag", tag: "safe" });
    expect(blockSelector.parse("0x10")).toEqual({ kind: "number", number: 16n });
    expect(blockSelector.parse({ blockHash: `0x${"a".repeat(64)}`, requireCanonical: true })).toEqual({
      kind: "hash",
      hash: `0x${"a".repeat(64)}`,
      requireCanonical: true,
    });
    expect(blockSelector.safeParse({ blockNumber: "0x1", extra: 1 }).success).toBe(false);
  });

  it("normalizes log filter criteria", () => {
    const t = `0x${"1".repeat(64)}`;
    expect(
      filterCriteria.parse({
        address: "0x0000000000000000000000000000000000000001",
        topics: [t, null, [t, null]],
      }),
    ).toEqual({
      addresses: ["0x0000000000000000000000000000000000000001"],
      topics: [[t], null, null],
    });
    expect(filterCriteria.safeParse({ blockHash: t, fromBlock: "0x1" }).success).toBe(false);
    expect(filterCriteria.safeParse({ topics: [null, null, null, null, null] }).success).toBe(false);
  });
});

describe("hex and revert data", () => {
  it("encodes quantities without leading zeros", () => {
    expect(toQuantity(0n)).toBe("0x0");
    expect(toQuantity(255)).toBe("0xff");
  });

  it("decodes Error(string) and Panic(uint256), and ignores malformed data", () => {
    const reason =
      "0x08c379a0" +
      "0000000000000000000000000000000000000000000000000000000000000020" +
      "0000000000000000000000000000000000000000000000000000000000000002" +
      "6869000000000000000000000000000000000000000000000000000000000000";
    expect(decodeReason(reason as `0x${string}`)).toBe("hi");
    expect(decodeReason(`0x4e487b71${"0".repeat(62)}11`)).toBe("panic: 0x11");
    expect(decodeReason("0x08c379a0ffff")).toBeUndefined();
    expect(decodeReason(`0x08c379a0${"f".repeat(128)}`)).toBeUndefined();
  });
});

describe("RateLimiter", () => {
  it("refills at the configured rate and caps at the burst", () => {
    let now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 10, burst: 3 }, { now: () => now });
    expect([1, 2, 3, 4].map(() => limiter.tryTake("a"))).toEqual([true, true, true, false]);
    expect(limiter.tryTake("b")).toBe(true);
    now += 100;
    expect(limiter.tryTake("a")).toBe(true);
    expect(limiter.tryTake("a")).toBe(false);
    now += 10_000;
    expect(limiter.tryTake("a", 3)).toBe(true);
    expect(limiter.tryTake("a", 1)).toBe(false);
  });

  it("keeps its table bounded", () => {
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 100 }, { now: () => 0 });
    for (let i = 0; i < 1000; i++) limiter.tryTake(`ip${i}`);
    expect(limiter.size).toBeLessThanOrEqual(100);
  });
});

describe("FilterManager", () => {
  it("expires idle filters and unsubscribes pending-tx filters", async () => {
    let now = 0;
    const chain = new MemoryChain();
    const filters = new FilterManager(
      { ...DEFAULT_LIMITS, filterTimeoutMs: 1000 },
      { backend: chain, now: () => now },
    );
    const a = filters.newPendingTransactionFilter();
    const b = filters.newBlockFilter();
    expect(chain.listenerCount).toBe(1);
    now = 900;
    await filters.changes(b);
    now = 1500;
    filters.sweep();
    expect(filters.size).toBe(1);
    expect(chain.listenerCount).toBe(0);
    await expect(filters.changes(a)).rejects.toThrow("filter not found");
    filters.close();
    expect(filters.size).toBe(0);
  });

  it("keeps a bounded buffer of pending hashes", async () => {
    const chain = new MemoryChain({ autoMine: false });
    const filters = new FilterManager({ ...DEFAULT_LIMITS, maxFilterBuffer: 2 }, { backend: chain });
    const id = filters.newPendingTransactionFilter();
    const emit = (chain as unknown as { listeners: { pending: Set<(tx: { hash: string }) => void> } })
      .listeners.pending;
    for (const hash of ["0x1", "0x2", "0x3"]) for (const fn of emit) fn({ hash });
    expect(await filters.changes(id)).toEqual(["0x2", "0x3"]);
    filters.close();
  });
});

describe("rejections from every layer", () => {
  it("map to geth's -32000 and expose the nonce gap's expected nonce", () => {
    const mempool = new MempoolError("NONCE_TOO_HIGH", { nonce: 9n, next: 4n });
    const execution = reject("NONCE_TOO_HIGH", { nonce: 9n, expected: 5n });
    const ours = new TxRejectedError("NONCE_TOO_HIGH", undefined, 6n);
    expect(toErrorObject(mempool)).toEqual({ code: -32000, message: "nonce too high" });
    expect(toErrorObject(execution)).toEqual({ code: -32000, message: "nonce too high" });
    expect(toErrorObject(new MempoolError("TXPOOL_FULL"))).toEqual({
      code: -32000,
      message: "txpool is full",
    });
    expect([mempool, execution, ours].map(expectedNonceOf)).toEqual([4n, 5n, 6n]);
    expect(expectedNonceOf(new MempoolError("NONCE_TOO_LOW"))).toBeNull();
    expect(toErrorObject(new Error("secret path /x"))).toEqual({ code: -32603, message: "internal error" });
  });
});

describe("rpcServerOptionsFromConfig", () => {
  it("maps the node's [rpc] section and refuses a bad address", () => {
    const section = {
      address: "127.0.0.1:9545",
      maxBodyBytes: 1000,
      maxBatch: 7,
      maxConnections: 9,
      adminEnabled: true,
    };
    expect(rpcServerOptionsFromConfig(section)).toEqual({
      host: "127.0.0.1",
      port: 9545,
      enableAdmin: true,
      limits: { maxBodyBytes: 1000, maxBatchLength: 7, maxConnections: 9 },
    });
    expect(rpcServerOptionsFromConfig({ ...section, address: "[::1]:0" }).host).toBe("::1");
    expect(() => rpcServerOptionsFromConfig({ ...section, address: "localhost" })).toThrow(
      'rpc.address must be "host:port"',
    );
  });
});
