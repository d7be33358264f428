// Shared by the multi-process node and devnet tests: spawn `megaseq node` processes on loopback,
// scrape their /metrics, and wait for conditions with a deadline (polling, never a blind sleep).
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { metricValue, scrapeMetrics } from "../../src/node/devnet-metrics.ts";
import { isRunning, type NodeProcessOptions, spawnNode, stopProcess } from "../../src/node/devnet-process.ts";
import { freePort, type LocalValidator, validatorProcessOptions } from "../../src/node/local-network.ts";
import { SafetyFile } from "../../src/node/safety-file.ts";
import { SAFETY_FILE_NAME } from "../../src/node/validator-node.ts";

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** One metric (summed over labels) of a node; undefined when the node or the metric is absent. */
export async function metric(metricsUrl: string, name: string): Promise<number | undefined> {
  const text = await scrapeMetrics(metricsUrl);
  return text === undefined ? undefined : metricValue(text, name);
}

export const committedHeight = (metricsUrl: string): Promise<number | undefined> =>
  metric(metricsUrl, "megaseq_consensus_committed_height");

/** A `megaseq node` child process with what a test needs to kill, restart and inspect it. */
export interface TestNode {
  index: number;
  metricsUrl: string;
  dataDir: string;
  logFile: string;
  child: ChildProcess;
  /** kill -9: no shutdown code runs. */
  kill9(): Promise<void>;
  /** SIGTERM with a grace period, then SIGKILL. */
  stop(): Promise<void>;
  /** Starts the process again with the same options (same data dir and ports). */
  restart(): TestNode;
}

export function startTestNode(index: number, opts: NodeProcessOptions): TestNode {
  const child = spawnNode(opts);
  const node: TestNode = {
    index,
    metricsUrl: `http://127.0.0.1:${opts.metricsPort}`,
    dataDir: opts.dataDir,
    logFile: opts.logFile,
    child,
    kill9: () =>
      new Promise<void>((resolve) => {
        if (!isRunning(child)) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
    stop: () => stopProcess(child, 5_000),
    restart: () => startTestNode(index, opts),
  };
  return node;
}

/** Spawns a validator of a local network (see createLocalNetwork) as a `megaseq node`. */
export function startValidator(
  dir: string,
  genesisFile: string,
  v: LocalValidator,
  logLevel: "info" | "debug" = "info",
): TestNode {
  return startTestNode(v.index, {
    ...validatorProcessOptions(genesisFile, v, join(dir, `node${v.index}.log`)),
    logLevel,
  });
}

/** An observer (no BLS key) with a new data dir: it can only follow by syncing from peers. */
export async function startObserver(dir: string, genesisFile: string, name: string): Promise<TestNode> {
  return startTestNode(-1, {
    genesisFile,
    dataDir: join(dir, name),
    p2pPort: await freePort(),
    metricsPort: await freePort(),
    logFile: join(dir, `${name}.log`),
    logLevel: "info",
  });
}

/** The last voted round in a validator's safety file (0 before its first vote). */
export function lastVotedRound(dataDir: string): number {
  const file = new SafetyFile({ path: join(dataDir, SAFETY_FILE_NAME) });
  try {
    return file.load()?.lastVotedRound ?? 0;
  } finally {
    file.close();
  }
}

export function logTail(file: string, chars = 1500): string {
  try {
    return readFileSync(file, "utf8").slice(-chars);
  } catch {
    return "(no log)";
  }
}

/** Whether a process id is still alive (signal 0 probes without sending anything). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
