import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANVIL_DEV_KEYS } from "../../../src/l1/anvil.ts";
import { alice, bob, CHAIN_ID, ETHER, type Harness, startHarness, TOKEN } from "./fixtures.ts";

const run = promisify(execFile);
const castBin = join(
  dirname(createRequire(import.meta.url).resolve("@foundry-rs/cast-linux-amd64/package.json")),
  "bin",
  "cast",
);

/** Foundry's cast (alloy underneath) parses responses strictly: a shape mistake fails here. */
describe("cast against the RPC server", () => {
  let h: Harness;
  const cast = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(castBin, [...args, "--rpc-url", h.url], {
      timeout: 20_000,
      env: { ...process.env, FOUNDRY_DISABLE_NIGHTLY_WARNING: "1", NO_COLOR: "1" },
    });
    return stdout.trim();
  };
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });

  it("cast chain-id and block-number", async () => {
    expect(await cast("chain-id")).toBe(String(CHAIN_ID));
    expect(await cast("block-number")).toBe("0");
  });

  it("cast send a transfer, then cast receipt, tx, block, balance and nonce", async () => {
    const sent = JSON.parse(
      await cast("send", "--private-key", ANVIL_DEV_KEYS[0], bob.address, "--value", "1ether", "--json"),
    ) as { transactionHash: string; status: string };
    expect(sent.status).toBe("0x1");
    const receipt = JSON.parse(await cast("receipt", sent.transactionHash, "--json")) as {
      status: string;
      gasUsed: string;
      blockNumber: string;
    };
    expect(receipt.status).toBe("0x1");
    expect(BigInt(receipt.gasUsed)).toBe(21_000n);
    const tx = JSON.parse(await cast("tx", sent.transactionHash, "--json")) as { hash: string; from: string };
    expect(tx.hash).toBe(sent.transactionHash);
    expect(tx.from.toLowerCase()).toBe(alice.address.toLowerCase());
    const block = JSON.parse(await cast("block", "latest", "--json")) as {
      number: string;
      transactions: string[];
    };
    expect(BigInt(block.number)).toBe(BigInt(receipt.blockNumber));
    expect(block.transactions).toContain(sent.transactionHash);
    const full = JSON.parse(await cast("block", "1", "--full", "--json")) as {
      transactions: { hash: string }[];
    };
    expect(full.transactions[0].hash).toBe(sent.transactionHash);
    expect(BigInt(await cast("balance", bob.address))).toBe(1001n * ETHER);
    expect(await cast("nonce", alice.address)).toBe("1");
    expect(await cast("block-number")).toBe("1");
  });

  it("cast call decodes a return value and reports a revert reason", async () => {
    expect(await cast("call", TOKEN, "balanceOf(address)(uint256)", bob.address)).toBe("42");
    const failure = await cast("call", TOKEN, "0xdeadbeef").catch((e: { stderr?: string }) => e.stderr ?? "");
    expect(failure).toContain("not enough tokens");
  });

  it("cast storage and code", async () => {
    h.chain.setStorage(TOKEN, 3n, 0xabcn);
    expect(BigInt(await cast("storage", TOKEN, "3"))).toBe(0xabcn);
    expect(await cast("code", bob.address)).toBe("0x");
  });
});
