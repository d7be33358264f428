import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnvilHandle, startAnvil } from "../../../src/l1/anvil.ts";

describe("startAnvil", () => {
  let anvil: AnvilHandle;
  beforeAll(async () => {
    anvil = await startAnvil({ chainId: 31337 });
  });
  afterAll(async () => {
    await anvil?.stop();
  });

  it("starts a real anvil that answers JSON-RPC on loopback", async () => {
    const res = await fetch(anvil.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    const body = (await res.json()) as { result: string };
    expect(body.result).toBe("0x7a69");
  });

  it("stops the process", async () => {
    const other = await startAnvil();
    await other.stop();
    expect(other.process.exitCode !== null || other.process.signalCode !== null).toBe(true);
  });
});
