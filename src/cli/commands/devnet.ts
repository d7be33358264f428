import type { Command } from "commander";
import { Devnet, DevnetError, type DevnetInfo, MAX_DEVNET_VALIDATORS } from "../../node/devnet.ts";
import { renderTable, type StatusMemory, statusRows } from "../../node/devnet-status.ts";
import { LOG_LEVELS, type LogLevel } from "../../node/logger.ts";
import { action, printResult } from "../output.ts";

interface DevnetCliOptions {
  validators: string;
  dir: string;
  keep?: boolean;
  baseTimeoutMs?: string;
  logLevel: string;
  json?: boolean;
}

function wholeNumber(text: string, what: string): number {
  if (!/^\d+$/.test(text))
    throw new DevnetError("BAD_OPTION", `${what} must be a whole number, got "${text}"`);
  return Number(text);
}

export function register(program: Command): void {
  program
    .command("devnet")
    .description(
      "one-command local network: anvil L1 with the MEGA suite, N validators registered and staked, N nodes, funded test accounts",
    )
    .option("--validators <n>", `number of validators (1-${MAX_DEVNET_VALIDATORS})`, "4")
    .option("--dir <dir>", "where keys, data, logs and devnet.json go", ".devnet")
    .option("--keep", "restart the devnet already in --dir (same genesis, data dirs and L1 state)")
    .option("--base-timeout-ms <ms>", "consensus round timeout at round start (genesis)")
    .option("--log-level <level>", `node log level: one of ${LOG_LEVELS.join(", ")}`, "info")
    .option("--json", "print devnet.json as one JSON object on stdout once started")
    .action(
      action(async (opts: DevnetCliOptions) => {
        const validators = wholeNumber(opts.validators, "--validators");
        if (!LOG_LEVELS.includes(opts.logLevel as LogLevel)) {
          throw new DevnetError("BAD_OPTION", `--log-level must be one of ${LOG_LEVELS.join(", ")}`);
        }
        const devnet = new Devnet(
          {
            dir: opts.dir,
            validators,
            keep: opts.keep === true,
            logLevel: opts.logLevel,
            ...(opts.baseTimeoutMs !== undefined
              ? { baseTimeoutMs: wholeNumber(opts.baseTimeoutMs, "--base-timeout-ms") }
              : {}),
          },
          { progress: (step) => process.stderr.write(`devnet: ${step}\n`) },
        );
        await runUntilSignal(devnet, opts);
      }),
    );
}

/** Starts the devnet, shows its status every second, and stops it on SIGINT/SIGTERM. */
async function runUntilSignal(devnet: Devnet, opts: DevnetCliOptions): Promise<void> {
  let stopped: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let wake: () => void = () => {};
  const signalled = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const onSignal = (signal: string): void => {
    if (stopped) return;
    process.stderr.write(`\ndevnet: ${signal}: stopping nodes, then anvil\n`);
    if (timer) clearInterval(timer);
    stopped = devnet.stop();
    wake();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    let info: DevnetInfo;
    try {
      info = await devnet.start();
    } catch (error) {
      if (stopped) {
        await stopped;
        process.stderr.write("devnet: stopped\n");
        return;
      }
      await devnet.stop();
      throw error;
    }
    printResult(opts, info, summary(info));
    timer = showStatus(devnet);
    await signalled;
    await stopped;
    process.stderr.write("devnet: stopped\n");
  } finally {
    if (timer) clearInterval(timer);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function summary(info: DevnetInfo): string {
  const lines = [
    `devnet up: L1 ${info.l1.rpcUrl} (chain ${info.l1.chainId}), L2 chain ${info.chainId}`,
    ...info.nodes.map(
      (n) =>
        `  node ${n.index}: rpc ${n.rpcUrl ?? "(none)"}  metrics ${n.metricsUrl}/metrics  log ${n.logFile}`,
    ),
    `  ${info.accounts.length} funded test accounts, e.g. ${info.accounts[0]?.address} (key ${info.accounts[0]?.privateKey})`,
    "  Ctrl-C stops everything.",
  ];
  return lines.join("\n");
}

/** Every second on a terminal (redrawn in place), every 10 s otherwise (one block per sample). */
function showStatus(devnet: Devnet): NodeJS.Timeout {
  const tty = process.stderr.isTTY === true;
  let memory: StatusMemory | undefined;
  let drawnLines = 0;
  let ticks = 0;
  let busy = false;
  return setInterval(() => {
    if (busy) return;
    busy = true;
    devnet
      .sample()
      .then((samples) => {
        const { rows, memory: next } = statusRows(samples, Date.now(), memory);
        memory = next;
        const table = renderTable(rows);
        if (tty) {
          const erase = drawnLines > 0 ? `\x1b[${drawnLines}A\x1b[J` : "";
          process.stderr.write(`${erase}${table}\n`);
          drawnLines = table.split("\n").length;
        } else if (ticks % 10 === 0) {
          process.stderr.write(`${new Date().toISOString()}\n${table}\n`);
        }
        ticks++;
      })
      .finally(() => {
        busy = false;
      });
  }, 1_000);
}
