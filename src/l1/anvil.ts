import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { CodedError } from "../util/coded-error.ts";

/**
 * A real anvil L1 node from npm (@foundry-rs/anvil-linux-amd64), started as a child process on a
 * free loopback port. Dev, devnet and tests all use this one helper.
 */
export interface AnvilHandle {
  rpcUrl: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface AnvilOptions {
  /** 0 (the default) lets anvil pick a free port. */
  port?: number;
  chainId?: number;
  /** Seconds between blocks; omitted means a block per transaction (automine). */
  blockTime?: number;
  /** Extra anvil flags. */
  args?: string[];
  /** How long to wait for "Listening on". */
  startTimeoutMs?: number;
}

export class AnvilError extends CodedError<"ANVIL_NOT_INSTALLED" | "ANVIL_START_FAILED"> {}

/** Default anvil mnemonic's first accounts: funded with 10,000 ETH each on every anvil. */
export const ANVIL_DEV_KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
  "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
  "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
] as const;

export function anvilBinaryPath(): string {
  const require = createRequire(import.meta.url);
  try {
    const pkg = require.resolve("@foundry-rs/anvil-linux-amd64/package.json");
    return join(dirname(pkg), "bin", "anvil");
  } catch {
    throw new AnvilError(
      "ANVIL_NOT_INSTALLED",
      "anvil is not installed: run `npm ci` (it comes from @foundry-rs/anvil-linux-amd64)",
    );
  }
}

export async function startAnvil(opts: AnvilOptions = {}): Promise<AnvilHandle> {
  const args = ["--host", "127.0.0.1", "--port", String(opts.port ?? 0)];
  if (opts.chainId !== undefined) args.push("--chain-id", String(opts.chainId));
  if (opts.blockTime !== undefined) args.push("--block-time", String(opts.blockTime));
  args.push(...(opts.args ?? []));
  const child = spawn(anvilBinaryPath(), args, { stdio: ["ignore", "pipe", "pipe"] });
  const port = await new Promise<number>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new AnvilError("ANVIL_START_FAILED", `anvil did not start in time; it said: ${output.slice(-500)}`),
      );
    }, opts.startTimeoutMs ?? 15_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /Listening on [\d.]+:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        // Keep draining so a full pipe never blocks anvil.
        child.stdout?.resume();
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new AnvilError("ANVIL_START_FAILED", `anvil exited with ${code}: ${output.slice(-500)}`));
    });
  });
  return {
    rpcUrl: `http://127.0.0.1:${port}`,
    port,
    process: child,
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
