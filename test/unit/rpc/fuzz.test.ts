import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type Harness, post, rpc, startHarness } from "./fixtures.ts";

/**
 * Malformed input never crashes the server and always gets a JSON-RPC error (or result) back.
 * Seeded: set RPC_FUZZ_SEED to replay; fast-check prints the seed and the shrunk input on failure.
 */
const SEED = Number(process.env.RPC_FUZZ_SEED ?? 7_2026);
const RUNS = Number(process.env.RPC_FUZZ_RUNS ?? 150);
const params = { seed: SEED, numRuns: RUNS };

const MAX_BODY = 64 * 1024;
const MAX_BATCH = 20;

const KNOWN_METHODS = [
  "eth_chainId",
  "eth_blockNumber",
  "eth_getBalance",
  "eth_getTransactionCount",
  "eth_getCode",
  "eth_getStorageAt",
  "eth_call",
  "eth_estimateGas",
  "eth_getBlockByNumber",
  "eth_getBlockByHash",
  "eth_getTransactionByHash",
  "eth_getTransactionReceipt",
  "eth_getBlockReceipts",
  "eth_getLogs",
  "eth_newFilter",
  "eth_getFilterChanges",
  "eth_getFilterLogs",
  "eth_uninstallFilter",
  "eth_feeHistory",
  "eth_sendRawTransaction",
  "eth_sendRawTransactionSync",
  "realtime_sendRawTransaction",
  "eth_subscribe",
  "eth_unsubscribe",
  "eth_getProof",
  "mega_validatorSet",
  "mega_syncStatus",
  "mega_consensusStatus",
  "web3_sha3",
  "net_version",
] as const;

/** Values that look almost right: hex of odd lengths, tags, huge numbers, nested junk. */
const nearMiss = fc.oneof(
  fc.constantFrom(
    "latest",
    "pending",
    "safe",
    "finalized",
    "earliest",
    "0x",
    "0x0",
    "0xzz",
    "",
    "0x-1",
    "1e400",
  ),
  fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEFxg"), maxLength: 80 }).map((s) => `0x${s}`),
  fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }).map((n) => `0x${n.toString(16)}`),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(
    fc.constantFrom(
      "from",
      "to",
      "data",
      "input",
      "value",
      "gas",
      "address",
      "topics",
      "fromBlock",
      "toBlock",
      "blockHash",
    ),
    fc.jsonValue({ maxDepth: 2 }),
  ),
);

const request = fc.record({
  jsonrpc: fc.oneof(fc.constant("2.0"), fc.jsonValue({ maxDepth: 1 })),
  id: fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), fc.constant(null)),
  method: fc.oneof(fc.constantFrom(...KNOWN_METHODS), fc.string({ maxLength: 40 })),
  params: fc.oneof(fc.array(nearMiss, { maxLength: 4 }), fc.jsonValue({ maxDepth: 3 })),
});

interface Reply {
  jsonrpc?: unknown;
  id?: unknown;
  result?: unknown;
  error?: { code: unknown; message: unknown };
}

function expectReply(value: unknown): void {
  expect(typeof value).toBe("object");
  const r = value as Reply;
  expect(r.jsonrpc).toBe("2.0");
  expect("result" in r || "error" in r).toBe(true);
  if (r.error !== undefined) {
    expect(typeof r.error.code).toBe("number");
    expect(typeof r.error.message).toBe("string");
    // -32603 means a handler threw on input it should have validated.
    expect(r.error.code).not.toBe(-32603);
  }
}

describe("fuzzed malformed requests", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(
      {},
      { limits: { maxBodyBytes: MAX_BODY, maxBatchLength: MAX_BATCH, ratePerSecond: 1e9, rateBurst: 1e9 } },
    );
  });
  afterAll(async () => {
    await h.stop();
  });

  it("bad JSON and binary garbage get -32700 parse errors", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString("latin1")),
        ),
        async (body) => {
          let valid = true;
          try {
            JSON.parse(body);
          } catch {
            valid = false;
          }
          fc.pre(!valid);
          const res = await post(h.url, body);
          expect(res.status).toBe(200);
          expect((res.json as Reply).error?.code).toBe(-32700);
        },
      ),
      params,
    );
  });

  it("random JSON values and request objects always get a well-formed answer, never an internal error", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(request, fc.jsonValue({ maxDepth: 5 })), async (value) => {
        const body = JSON.stringify(value);
        fc.pre(body !== undefined && body.length < MAX_BODY);
        const res = await post(h.url, body);
        expect(res.status).toBe(200);
        const isNotification =
          typeof value === "object" && value !== null && !Array.isArray(value) && !("id" in value);
        if (res.text === "") {
          // Only valid notifications (and batches of them) go unanswered.
          expect(isNotification || Array.isArray(value)).toBe(true);
          return;
        }
        if (Array.isArray(res.json)) for (const item of res.json) expectReply(item);
        else expectReply(res.json);
      }),
      params,
    );
  });

  it("batches of random requests, including over-long ones", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 0, maxLength: MAX_BATCH * 2 }), async (batch) => {
        const res = await post(h.url, JSON.stringify(batch));
        expect(res.status).toBe(200);
        if (batch.length === 0) {
          expect((res.json as Reply).error?.code).toBe(-32600);
        } else if (batch.length > MAX_BATCH) {
          expect((res.json as Reply).error?.code).toBe(-32005);
        } else {
          expect(Array.isArray(res.json)).toBe(true);
          const replies = res.json as Reply[];
          expect(replies).toHaveLength(batch.length);
          for (const item of replies) expectReply(item);
        }
      }),
      { ...params, numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it("deep nesting and oversize bodies are refused without harm", async () => {
    for (const depth of [1_000, 10_000, 30_000]) {
      const res = await post(h.url, `${"[".repeat(depth)}${"]".repeat(depth)}`);
      expect([200, 413]).toContain(res.status);
      // A batch holding one invalid request: an array with one error.
      const reply = (Array.isArray(res.json) ? res.json[0] : res.json) as Reply;
      expect(reply.error?.code).toBe(res.status === 413 ? -32005 : -32600);
    }
    const deepObject = `{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[${'{"a":'.repeat(5000)}1${"}".repeat(5000)}]}`;
    expectReply((await post(h.url, deepObject)).json);
    const big = await post(
      h.url,
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_call", params: ["x".repeat(MAX_BODY)] }),
    );
    expect(big.status).toBe(413);
    expect((big.json as Reply).error?.code).toBe(-32005);
    expect((await rpc(h.url, "eth_chainId")).result).toBe("0x1092");
  });

  it("the WebSocket endpoint answers garbage frames with errors and stays up", async () => {
    const ws = new WebSocket(h.wsUrl);
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    const replies: unknown[] = [];
    ws.on("message", (data) => replies.push(JSON.parse(String(data))));
    const frames = fc.sample(
      fc.oneof(
        fc.string({ maxLength: 100 }),
        request.map((r) => JSON.stringify(r)),
        fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
      ),
      { seed: SEED, numRuns: 100 },
    );
    let expected = 0;
    for (const frame of frames) {
      let notification = false;
      if (typeof frame === "string") {
        try {
          const v = JSON.parse(frame) as unknown;
          notification = typeof v === "object" && v !== null && !Array.isArray(v) && !("id" in v);
        } catch {}
      }
      if (!notification) expected++;
      ws.send(frame);
    }
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: "last", method: "eth_chainId" }));
    expected++;
    for (let i = 0; i < 5000 && replies.length < expected; i++) await new Promise((r) => setTimeout(r, 1));
    expect(replies.length).toBeGreaterThanOrEqual(expected);
    for (const r of replies) {
      if (Array.isArray(r)) for (const x of r) expectReply(x);
      else expectReply(r);
    }
    ws.close();
  });
});
