import { connect, type Socket } from "node:net";
import { createWalletClient, http } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { alice, bob, type Harness, post, rpc, startHarness, TOKEN, testChain } from "./fixtures.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function openWs(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return ws;
}

/** Sends one request on a WebSocket and waits for the reply with that id. */
function wsCall(
  ws: WebSocket,
  id: number,
  method: string,
  params: unknown[] = [],
): Promise<{ result?: unknown; error?: { code: number; message: string; data?: unknown } }> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const msg = JSON.parse(String(data)) as { id?: number };
      if (msg.id === id) {
        ws.off("message", onMessage);
        resolve(msg as { result?: unknown; error?: { code: number; message: string } });
      }
    };
    ws.on("message", onMessage);
    ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
  });
}

async function signedTransfer(url: string, nonce: number, value = 1n): Promise<`0x${string}`> {
  const wallet = createWalletClient({ account: alice, chain: testChain, transport: http(url) });
  return wallet.signTransaction({
    to: bob.address,
    value,
    nonce,
    gas: 21_000n,
    maxFeePerGas: 10n ** 10n,
    maxPriorityFeePerGas: 10n ** 9n,
    chainId: testChain.id,
  });
}

describe("request limits", () => {
  it("refuses bodies over the size limit with 413 and -32005", async () => {
    h = await startHarness({}, { limits: { maxBodyBytes: 1000 } });
    const res = await post(
      h.url,
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: ["x".repeat(2000)] }),
    );
    expect(res.status).toBe(413);
    expect((res.json as { error: { code: number } }).error.code).toBe(-32005);
    expect((await rpc(h.url, "eth_chainId")).result).toBe("0x1092");
  });

  it("bounds batch length, and answers an empty batch with -32600", async () => {
    h = await startHarness({}, { limits: { maxBatchLength: 3 } });
    const call = { jsonrpc: "2.0", id: 1, method: "eth_chainId" };
    const ok = await post(h.url, JSON.stringify([call, { ...call, id: 2 }, { ...call, id: 3 }]));
    expect(ok.json).toHaveLength(3);
    const tooMany = await post(h.url, JSON.stringify([call, call, call, call]));
    expect((tooMany.json as { error: { code: number; message: string } }).error).toMatchObject({
      code: -32005,
    });
    const empty = await post(h.url, "[]");
    expect((empty.json as { error: { code: number } }).error.code).toBe(-32600);
  });

  it("rate-limits per IP with a token bucket", async () => {
    h = await startHarness({}, { limits: { ratePerSecond: 0.001, rateBurst: 5 } });
    const codes: (number | undefined)[] = [];
    for (let i = 0; i < 7; i++) codes.push((await rpc(h.url, "eth_chainId")).error?.code);
    expect(codes.slice(0, 5)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(codes.slice(5)).toEqual([-32005, -32005]);
  });

  it("caps concurrent connections: the one over the limit gets 503 and -32005", async () => {
    h = await startHarness({}, { limits: { maxConnections: 2 } });
    const port = Number(new URL(h.url).port);
    const sockets: Socket[] = [];
    for (let i = 0; i < 2; i++) {
      const s = connect(port, "127.0.0.1");
      await new Promise((r) => s.once("connect", r));
      sockets.push(s);
    }
    for (let i = 0; i < 100 && h.server.connectionCount < 2; i++) await new Promise((r) => setTimeout(r, 1));
    const res = await post(h.url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId" }));
    expect(res.status).toBe(503);
    expect((res.json as { error: { code: number } }).error.code).toBe(-32005);
    for (const s of sockets) s.destroy();
    for (let i = 0; i < 100 && h.server.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 1));
    expect((await rpc(h.url, "eth_chainId")).result).toBe("0x1092");
  });

  it("bounds eth_getLogs block range and result count", async () => {
    h = await startHarness({}, { limits: { maxLogBlockRange: 5, maxLogResults: 2 } });
    const wallet = createWalletClient({ account: alice, chain: testChain, transport: http(h.url) });
    for (let i = 0; i < 3; i++) {
      await wallet.writeContract({
        address: TOKEN,
        abi: [
          {
            type: "function",
            name: "transfer",
            inputs: [{ type: "address" }, { type: "uint256" }],
            outputs: [],
            stateMutability: "nonpayable",
          },
        ],
        functionName: "transfer",
        args: [bob.address, BigInt(i + 1)],
      });
    }
    for (let i = 0; i < 5; i++) h.chain.mine();
    const wide = await rpc(h.url, "eth_getLogs", [{ fromBlock: "0x0", toBlock: "latest" }]);
    expect(wide.error?.code).toBe(-32005);
    expect(wide.error?.message).toContain("block range too large");
    const many = await rpc(h.url, "eth_getLogs", [{ fromBlock: "0x1", toBlock: "0x5" }]);
    expect(many.error?.code).toBe(-32005);
    expect(many.error?.message).toContain("more than 2 results");
    const fine = await rpc(h.url, "eth_getLogs", [{ fromBlock: "0x1", toBlock: "0x2", address: TOKEN }]);
    expect(fine.result).toHaveLength(2);
    const reversed = await rpc(h.url, "eth_getLogs", [{ fromBlock: "0x3", toBlock: "0x1" }]);
    expect(reversed.error?.code).toBe(-32602);
  });

  it("bounds installed filters", async () => {
    h = await startHarness({}, { limits: { maxFilters: 2 } });
    expect((await rpc(h.url, "eth_newBlockFilter")).result).toMatch(/^0x[0-9a-f]+$/);
    expect((await rpc(h.url, "eth_newPendingTransactionFilter")).result).toMatch(/^0x[0-9a-f]+$/);
    expect((await rpc(h.url, "eth_newFilter", [{}])).error?.code).toBe(-32005);
    expect(h.server.filterCount).toBe(2);
  });
});

describe("WebSocket limits", () => {
  it("bounds subscriptions per connection and cleans them up on close", async () => {
    h = await startHarness({}, { limits: { maxSubscriptionsPerConnection: 2 } });
    const ws = await openWs(h.wsUrl);
    expect((await wsCall(ws, 1, "eth_subscribe", ["newHeads"])).result).toMatch(/^0x/);
    const second = await wsCall(ws, 2, "eth_subscribe", ["miniBlocks"]);
    expect((await wsCall(ws, 3, "eth_subscribe", ["logs", { address: TOKEN }])).error?.code).toBe(-32005);
    expect(h.chain.listenerCount).toBe(2);
    expect((await wsCall(ws, 4, "eth_unsubscribe", [second.result])).result).toBe(true);
    expect((await wsCall(ws, 5, "eth_unsubscribe", [second.result])).result).toBe(false);
    expect((await wsCall(ws, 6, "eth_subscribe", ["bogus"])).error?.code).toBe(-32602);
    ws.close();
    for (let i = 0; i < 1000 && h.chain.listenerCount > 0; i++) await new Promise((r) => setTimeout(r, 1));
    expect(h.chain.listenerCount).toBe(0);
  });

  it("drops a slow consumer instead of buffering without bound", async () => {
    h = await startHarness({}, { limits: { maxWsBufferedBytes: 256 * 1024 } });
    const big = `0x${"ab".repeat(128 * 1024)}` as const;
    h.chain.contracts.set(TOKEN, { logs: () => [{ topics: [], data: big }] });
    const ws = await openWs(h.wsUrl);
    expect((await wsCall(ws, 1, "eth_subscribe", ["logs", {}])).result).toMatch(/^0x/);
    const closed = new Promise<void>((r) => ws.once("close", () => r()));
    // Stop reading: the kernel buffers fill, then the server's own buffer passes the limit.
    (ws as unknown as { _socket: Socket })._socket.pause();
    const wallet = createWalletClient({ account: alice, chain: testChain, transport: http(h.url) });
    for (let i = 0; i < 200 && h.chain.listenerCount > 0; i++) {
      await wallet.sendTransaction({ to: TOKEN, data: "0x", gas: 50_000n });
    }
    expect(h.chain.listenerCount).toBe(0);
    (ws as unknown as { _socket: Socket })._socket.resume();
    await closed;
  });

  it("bounds requests in flight per connection", async () => {
    h = await startHarness({ autoMine: false }, { limits: { maxInflightPerConnection: 1 } });
    const ws = await openWs(h.wsUrl);
    const raw = await signedTransfer(h.url, 0);
    const waiting = wsCall(ws, 1, "realtime_sendRawTransaction", [raw, 5000]);
    const refused = await new Promise<{ error?: { code: number } }>((resolve) => {
      ws.once("message", (d) => resolve(JSON.parse(String(d))));
      ws.send(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "eth_chainId" }));
    });
    expect(refused.error?.code).toBe(-32005);
    h.chain.mine();
    expect(((await waiting).result as { status: string }).status).toBe("0x1");
    ws.close();
  });

  it("closes a connection that sends a message over the size limit (1009) and keeps serving", async () => {
    h = await startHarness({}, { limits: { maxBodyBytes: 1024 } });
    const ws = await openWs(h.wsUrl);
    const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: ["x".repeat(4096)] }));
    expect(await closed).toBe(1009);
    const again = await openWs(h.wsUrl);
    expect((await wsCall(again, 2, "eth_chainId")).result).toBe("0x1092");
    again.close();
  });

  it("refuses WebSocket upgrades from origins outside the CORS list", async () => {
    h = await startHarness({}, { corsOrigins: ["https://app.example"] });
    const bad = new WebSocket(h.wsUrl, { origin: "https://evil.example" });
    const status = await new Promise<number | undefined>((resolve) => {
      bad.once("unexpected-response", (_req, res) => resolve(res.statusCode));
      bad.once("error", () => resolve(undefined));
    });
    expect(status).toBe(403);
    const good = new WebSocket(h.wsUrl, { origin: "https://app.example" });
    await new Promise((resolve, reject) => {
      good.once("open", resolve);
      good.once("error", reject);
    });
    good.close();
  });

  it("eth_subscribe over HTTP is refused with -32004", async () => {
    h = await startHarness();
    expect((await rpc(h.url, "eth_subscribe", ["newHeads"])).error?.code).toBe(-32004);
  });
});

describe("HTTP surface", () => {
  it("answers CORS preflights and tags responses; refuses non-JSON bodies and GET", async () => {
    h = await startHarness({}, { corsOrigins: ["https://app.example"] });
    const pre = await fetch(h.url, { method: "OPTIONS", headers: { origin: "https://app.example" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(pre.headers.get("access-control-allow-headers")).toContain("content-type");
    const other = await fetch(h.url, { method: "OPTIONS", headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const res = await post(h.url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId" }), {
      origin: "https://app.example",
    });
    expect(res.status).toBe(200);
    const text = await fetch(h.url, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "{}",
    });
    expect(text.status).toBe(415);
    expect(((await text.json()) as { error: { code: number } }).error.code).toBe(-32600);
    const get = await fetch(h.url);
    expect(get.status).toBe(405);
  });

  it("does not answer notifications, answers the rest of a mixed batch", async () => {
    h = await startHarness();
    const single = await post(h.url, JSON.stringify({ jsonrpc: "2.0", method: "eth_chainId" }));
    expect(single.status).toBe(200);
    expect(single.text).toBe("");
    const mixed = await post(
      h.url,
      JSON.stringify([
        { jsonrpc: "2.0", method: "eth_chainId" },
        { jsonrpc: "2.0", id: "a", method: "eth_blockNumber" },
        { jsonrpc: "2.0", id: "b", method: "nope" },
        5,
      ]),
    );
    expect(mixed.json).toEqual([
      { jsonrpc: "2.0", id: "a", result: "0x0" },
      {
        jsonrpc: "2.0",
        id: "b",
        error: { code: -32601, message: "the method nope does not exist/is not available" },
      },
      { jsonrpc: "2.0", id: null, error: { code: -32600, message: "invalid request: expected an object" } },
    ]);
  });
});
