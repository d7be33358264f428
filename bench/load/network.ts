// A 4-node (by default) network of real `megaseq node` processes on loopback, each serving JSON-RPC:
// shared by the end-to-end client tests and the e2e bench. Accounts are funded in genesis alloc.

import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRunning, type NodeProcessOptions, spawnNode, stopProcess } from "../../src/node/devnet-process.ts";
import {
  createLocalNetwork,
  type LocalNetwork,
  validatorProcessOptions,
} from "../../src/node/local-network.ts";

export interface RpcNode {
  index: number;
  rpcUrl: string;
  wsUrl: string;
  metricsUrl: string;
  logFile: string;
  child: ChildProcess;
}

export interface RpcNetwork {
  dir: string;
  chainId: number;
  net: LocalNetwork;
  nodes: RpcNode[];
  /** Stops every node (SIGTERM, then SIGKILL) and removes the directory unless `keep`. */
  stop(keep?: boolean): Promise<void>;
}

export interface RpcNetworkOpts {
  chainId: number;
  alloc: Record<string, string>;
  validators?: number;
  baseTimeoutMs?: number;
  /** Consecutive rounds a leader keeps (default 1: rotation every round). */
  leaderTermRounds?: number;
  seed?: string;
  logLevel?: string;
  readyTimeoutMs?: number;
  /** Runs node 0 under `--cpu-prof` writing into this directory (written when it exits). */
  profileDir?: string;
  /** With `profileDir`: every node is profiled, node i into `<profileDir>/node<i>`. */
  profileAll?: boolean;
}

export class RpcCallError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(method: string, code: number, message: string, data: unknown) {
    super(`${method}: ${message} (code ${code})`);
    this.code = code;
    this.data = data;
  }
}

/** One JSON-RPC call over HTTP; a JSON-RPC error is thrown as RpcCallError. */
export async function rpcCall<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as {
    result?: T;
    error?: { code: number; message: string; data?: unknown };
  };
  if (body.error) throw new RpcCallError(method, body.error.code, body.error.message, body.error.data);
  return body.result as T;
}

export function logTail(file: string, chars = 1500): string {
  try {
    return readFileSync(file, "utf8").slice(-chars);
  } catch {
    return "(no log)";
  }
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last error: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function profileDirOf(opts: RpcNetworkOpts, index: number): string | undefined {
  if (opts.profileDir === undefined) return undefined;
  if (opts.profileAll) return join(opts.profileDir, `node${index}`);
  return index === 0 ? opts.profileDir : undefined;
}

/** Lays out the network, spawns its nodes, and resolves once every node's RPC shows a block > 0. */
export async function startRpcNetwork(opts: RpcNetworkOpts): Promise<RpcNetwork> {
  const dir = mkdtempSync(join(tmpdir(), "megaseq-e2e-"));
  const net = await createLocalNetwork({
    dir,
    validators: opts.validators ?? 4,
    chainId: opts.chainId,
    seed: opts.seed ?? "megaseq-e2e",
    alloc: opts.alloc,
    consensus: {
      baseTimeoutMs: opts.baseTimeoutMs ?? 500,
      maxTimeoutMs: 4_000,
      ...(opts.leaderTermRounds === undefined ? {} : { leaderTermRounds: opts.leaderTermRounds }),
    },
  });
  const nodes: RpcNode[] = net.validators.map((v) => {
    const logFile = join(dir, `node${v.index}.log`);
    const processOpts: NodeProcessOptions = {
      ...validatorProcessOptions(net.genesisFile, v, logFile),
      rpcPort: v.rpcPort,
      logLevel: opts.logLevel ?? "warn",
    };
    const child = spawnNode(processOpts, { cpuProfileDir: profileDirOf(opts, v.index) });
    return {
      index: v.index,
      rpcUrl: `http://127.0.0.1:${v.rpcPort}`,
      wsUrl: `ws://127.0.0.1:${v.rpcPort}`,
      metricsUrl: `http://127.0.0.1:${v.metricsPort}`,
      logFile,
      child,
    };
  });
  const network: RpcNetwork = {
    dir,
    chainId: opts.chainId,
    net,
    nodes,
    stop: async (keep = false) => {
      await Promise.all(nodes.map((n) => stopProcess(n.child, 5_000)));
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(
      nodes.map((n) =>
        until(
          `node ${n.index} RPC past block 0`,
          async () => {
            if (!isRunning(n.child)) throw new Error(`node ${n.index} exited: ${logTail(n.logFile, 800)}`);
            const height = BigInt(await rpcCall<string>(n.rpcUrl, "eth_blockNumber"));
            return height > 0n ? height : undefined;
          },
          opts.readyTimeoutMs ?? 120_000,
        ),
      ),
    );
  } catch (error) {
    const tails = nodes.map((n) => `node ${n.index}: ${logTail(n.logFile, 600)}`).join("\n");
    await network.stop(true);
    throw new Error(`${(error as Error).message}\n${tails}\n(kept ${dir})`);
  }
  return network;
}
