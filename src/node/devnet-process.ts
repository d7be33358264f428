import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";

/** bin/megaseq.js of this checkout: nodes run from the same code as the devnet. */
export const MEGASEQ_BIN = join(import.meta.dirname, "..", "..", "bin", "megaseq.js");

export interface NodeProcessOptions {
  genesisFile: string;
  dataDir: string;
  keystoreFile?: string;
  passwordFile?: string;
  p2pPort: number;
  metricsPort: number;
  /** Omitted: no JSON-RPC server (the node command may not offer one). */
  rpcPort?: number;
  /** Stdout and stderr are appended here. */
  logFile: string;
  logLevel?: string;
  /** More `megaseq node` flags (L1 epochs, evidence reporter). */
  extraArgs?: string[];
}

/** The `megaseq node` argument list for one validator. */
export function nodeArgs(opts: NodeProcessOptions): string[] {
  const args = [
    MEGASEQ_BIN,
    "node",
    "--genesis",
    opts.genesisFile,
    "--data-dir",
    opts.dataDir,
    "--listen",
    `/ip4/127.0.0.1/tcp/${opts.p2pPort}`,
    "--metrics",
    `127.0.0.1:${opts.metricsPort}`,
    "--log-level",
    opts.logLevel ?? "info",
    "--json",
  ];
  if (opts.keystoreFile && opts.passwordFile) {
    args.push("--bls-keystore", opts.keystoreFile, "--password-file", opts.passwordFile);
  }
  if (opts.rpcPort !== undefined) args.push("--rpc", `127.0.0.1:${opts.rpcPort}`);
  args.push(...(opts.extraArgs ?? []));
  return args;
}

/**
 * Starts a `megaseq node` child under this Node binary, output appended to opts.logFile. With
 * `cpuProfileDir`, V8's CPU profiler runs in it and writes its profile there when the node exits
 * (SIGTERM).
 */
export function spawnNode(
  opts: NodeProcessOptions,
  profiling: { cpuProfileDir?: string } = {},
): ChildProcess {
  const fd = openSync(opts.logFile, "a");
  const v8 = profiling.cpuProfileDir ? ["--cpu-prof", "--cpu-prof-dir", profiling.cpuProfileDir] : [];
  try {
    return spawn(process.execPath, [...v8, ...nodeArgs(opts)], { stdio: ["ignore", fd, fd] });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(fd);
  }
}

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGTERM, then SIGKILL once `graceMs` has passed; resolves when the process is gone. */
export function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (!isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
