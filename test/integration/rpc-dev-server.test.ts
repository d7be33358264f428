import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import solc from "solc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANVIL_DEV_KEYS } from "../../src/l1/anvil.ts";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const castBin = join(dirname(require.resolve("@foundry-rs/cast-linux-amd64/package.json")), "bin", "cast");
const root = join(dirname(new URL(import.meta.url).pathname), "..", "..");

const SOURCE = `
// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;
contract Counter {
  uint256 public count;
  event Bumped(address indexed by, uint256 count);
  function bump(uint256 by) external { require(by > 0, "zero bump"); count += by; emit Bumped(msg.sender, count); }
}`;

function bytecode(): string {
  const out = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: "Solidity",
        sources: { "Counter.sol": { content: SOURCE } },
        settings: { outputSelection: { "*": { "*": ["evm.bytecode.object"] } } },
      }),
    ),
  ) as { contracts: Record<string, Record<string, { evm: { bytecode: { object: string } } }>> };
  return `0x${out.contracts["Counter.sol"].Counter.evm.bytecode.object}`;
}

/** The RPC server over a DevChain in its own process; Foundry's cast deploys, sends and calls. */
describe("dev RPC server process with cast", () => {
  let child: ChildProcess;
  let url: string;
  const cast = async (...args: string[]): Promise<string> => {
    // Options go before the positionals: `send --create` takes everything after the code as args.
    const [command, ...rest] = args;
    const { stdout } = await run(castBin, [command, "--rpc-url", url, ...rest], { timeout: 30_000 });
    return stdout.trim();
  };

  beforeAll(async () => {
    child = spawn(process.execPath, [join(root, "src/rpc/dev-server-main.ts"), "--port", "0"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    url = await new Promise<string>((resolve, reject) => {
      let buffered = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        const line = buffered.split("\n")[0];
        if (buffered.includes("\n")) resolve((JSON.parse(line) as { url: string }).url);
      });
      child.once("exit", (code) => reject(new Error(`dev server exited with ${code}`)));
    });
  });
  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  });

  it("cast deploys a contract, sends to it, reads it, and sees its logs and reverts", async () => {
    expect(await cast("chain-id")).toBe("4242");
    const key = ANVIL_DEV_KEYS[0];
    const deployed = JSON.parse(
      await cast("send", "--private-key", key, "--json", "--create", bytecode()),
    ) as {
      contractAddress: string;
      status: string;
    };
    expect(deployed.status).toBe("0x1");
    const counter = deployed.contractAddress;
    const sent = JSON.parse(
      await cast("send", "--private-key", key, counter, "bump(uint256)", "5", "--json"),
    ) as {
      status: string;
      logs: { topics: string[] }[];
    };
    expect(sent.status).toBe("0x1");
    expect(sent.logs).toHaveLength(1);
    expect(await cast("call", counter, "count()(uint256)")).toBe("5");
    const failure = await cast("call", counter, "bump(uint256)", "0").catch(
      (e: { stderr?: string }) => e.stderr ?? "",
    );
    expect(failure).toContain("zero bump");
    expect(await cast("nonce", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")).toBe("2");
    const logs = JSON.parse(
      await cast("logs", "--from-block", "0", "--address", counter, "--json"),
    ) as unknown[];
    expect(logs).toHaveLength(1);
  });
});
