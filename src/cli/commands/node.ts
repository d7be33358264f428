import type { Command } from "commander";
import { loadKeystoreFile } from "../../crypto/index.ts";
import { loadGenesis } from "../../node/genesis.ts";
import { createLogger, LOG_LEVELS, type LogLevel } from "../../node/logger.ts";
import { ValidatorNode } from "../../node/validator-node.ts";
import { CodedError } from "../../util/coded-error.ts";
import { action, printResult } from "../output.ts";

class NodeCliError extends CodedError<"BAD_OPTION"> {}

interface NodeCliOptions {
  genesis: string;
  dataDir: string;
  blsKeystore?: string;
  passwordFile?: string;
  listen: string[];
  metrics?: string;
  rpc?: string;
  enableAdminRpc?: boolean;
  logLevel: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("node")
    .description(
      "run a validator node: libp2p, Jolteon consensus with BLS, safety data and committed mini-blocks on disk",
    )
    .requiredOption("--genesis <file>", "genesis JSON (validator set, chain id, consensus parameters)")
    .requiredOption("--data-dir <dir>", "where the database, safety file and peer key live")
    .option(
      "--bls-keystore <file>",
      "EIP-2335 keystore of this validator's BLS key (omit to run as an observer)",
    )
    .option("--password-file <file>", "file holding the keystore password")
    .option("--listen <multiaddr...>", "libp2p listen addresses", ["/ip4/127.0.0.1/tcp/0"])
    .option("--metrics <host:port>", "serve /metrics and /health here")
    .option("--rpc <host:port>", "serve JSON-RPC (HTTP and WebSocket) here")
    .option(
      "--enable-admin-rpc",
      "mount the admin_ RPC namespace (peer block/unblock); never on a public port",
    )
    .option("--log-level <level>", `one of ${LOG_LEVELS.join(", ")}`, "info")
    .option("--json", "print one JSON status line once started (logs stay JSON lines on stderr)")
    .action(
      action(async (opts: NodeCliOptions) => {
        if (!LOG_LEVELS.includes(opts.logLevel as LogLevel)) {
          throw new NodeCliError("BAD_OPTION", `--log-level must be one of ${LOG_LEVELS.join(", ")}`);
        }
        if ((opts.blsKeystore === undefined) !== (opts.passwordFile === undefined)) {
          throw new NodeCliError("BAD_OPTION", "--bls-keystore and --password-file go together");
        }
        const log = createLogger({ level: opts.logLevel as LogLevel, name: "megaseq", fd: 2 });
        const genesis = loadGenesis(opts.genesis);
        const key =
          opts.blsKeystore && opts.passwordFile
            ? await loadKeystoreFile(opts.blsKeystore, opts.passwordFile)
            : undefined;
        const node = new ValidatorNode(
          {
            dataDir: opts.dataDir,
            listen: opts.listen,
            ...(opts.metrics ? { metricsAddress: opts.metrics } : {}),
            ...(opts.rpc ? { rpcAddress: opts.rpc } : {}),
            enableAdminRpc: opts.enableAdminRpc === true,
          },
          { genesis, ...(key ? { blsSecretKey: key.secretKey } : {}), log },
        );
        await node.start();
        const status = node.status();
        printResult(opts, { started: true, ...status }, `node started: ${JSON.stringify(status)}`);
        await new Promise<void>((resolve) => {
          const stop = (signal: string): void => {
            log.info({ signal }, "shutting down");
            node.stop().then(resolve, (error: unknown) => {
              log.error({ err: String(error) }, "shutdown failed");
              resolve();
            });
          };
          process.once("SIGINT", () => stop("SIGINT"));
          process.once("SIGTERM", () => stop("SIGTERM"));
        });
      }),
    );
}
