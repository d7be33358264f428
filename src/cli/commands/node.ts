import type { Command } from "commander";
import { loadKeystoreFile } from "../../crypto/index.ts";
import { loadConfig, type NodeConfig } from "../../node/config.ts";
import type { L1EpochConfig } from "../../node/epoch-manager.ts";
import { type Genesis, loadGenesis } from "../../node/genesis.ts";
import { createLogger, LOG_LEVELS, type LogLevel } from "../../node/logger.ts";
import { ValidatorNode, type ValidatorNodeOpts } from "../../node/validator-node.ts";
import { CodedError } from "../../util/coded-error.ts";
import { action, printResult } from "../output.ts";

class NodeCliError extends CodedError<"BAD_OPTION"> {}

interface NodeCliOptions {
  genesis: string;
  config?: string;
  dataDir?: string;
  blsKeystore?: string;
  passwordFile?: string;
  listen?: string[];
  peer?: string[];
  metrics?: string;
  rpc?: string;
  enableAdminRpc?: boolean;
  logLevel?: string;
  l1Rpc?: string;
  slashing?: string;
  reporterKey?: string;
  stakingManager?: string;
  l1Confirmations?: string;
  l1PollMs?: string;
  json?: boolean;
}

interface ResolvedNodeOptions {
  node: ValidatorNodeOpts;
  config: NodeConfig | undefined;
  keystore?: { file: string; passwordFile: string };
  logLevel: LogLevel;
}

/**
 * Flags win over the TOML config (`--config`, with MEGASEQ_<SECTION>_<KEY> environment overrides),
 * which wins over config/default.toml. Consensus parameters come from the genesis file only: every
 * validator must use the same ones.
 */
function resolveOptions(opts: NodeCliOptions): ResolvedNodeOptions {
  const config = opts.config ? loadConfig({ file: opts.config, env: process.env }) : undefined;
  const dataDir = opts.dataDir ?? config?.dataDir;
  if (dataDir === undefined) throw new NodeCliError("BAD_OPTION", "give --data-dir or --config");
  const logLevel = opts.logLevel ?? config?.logging.level ?? "info";
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new NodeCliError("BAD_OPTION", `--log-level must be one of ${LOG_LEVELS.join(", ")}`);
  }
  if ((opts.blsKeystore === undefined) !== (opts.passwordFile === undefined)) {
    throw new NodeCliError("BAD_OPTION", "--bls-keystore and --password-file go together");
  }
  const keystore = opts.blsKeystore
    ? { file: opts.blsKeystore, passwordFile: opts.passwordFile as string }
    : config
      ? { file: config.keys.blsKeystore, passwordFile: config.keys.blsPasswordFile }
      : undefined;
  const rpcAddress = opts.rpc ?? (config?.rpc.enabled ? config.rpc.address : undefined);
  const metricsAddress = opts.metrics ?? (config?.metrics.enabled ? config.metrics.address : undefined);
  const l1RpcUrl = opts.l1Rpc ?? config?.l1.rpcUrl;
  const slashing = opts.slashing ?? config?.l1.slashing;
  const reporterKeyFile = opts.reporterKey ?? config?.l1.reporterKeyFile;
  if (reporterKeyFile !== undefined && (slashing === undefined || l1RpcUrl === undefined)) {
    throw new NodeCliError(
      "BAD_OPTION",
      "a reporter key needs the Slashing address (--slashing) and --l1-rpc",
    );
  }
  if (slashing !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(slashing)) {
    throw new NodeCliError("BAD_OPTION", "--slashing must be a 0x-prefixed 20-byte address");
  }
  const node: ValidatorNodeOpts = {
    dataDir,
    listen: opts.listen ?? config?.p2p.listen ?? ["/ip4/127.0.0.1/tcp/0"],
    staticPeers: [...(opts.peer ?? []), ...(config?.p2p.staticPeers ?? []), ...(config?.p2p.bootnodes ?? [])],
    enableAdminRpc: opts.enableAdminRpc === true || config?.rpc.adminEnabled === true,
    ...(config
      ? {
          peerKeyFile: config.p2p.peerKeyFile,
          p2pLimits: { maxConnections: config.p2p.maxPeers, gossipMeshDegree: config.p2p.gossipMeshDegree },
          rpcLimits: {
            maxBodyBytes: config.rpc.maxBodyBytes,
            maxBatchLength: config.rpc.maxBatch,
            maxConnections: config.rpc.maxConnections,
          },
        }
      : {}),
    ...(rpcAddress ? { rpcAddress } : {}),
    ...(metricsAddress ? { metricsAddress } : {}),
    ...(reporterKeyFile && slashing && l1RpcUrl
      ? { evidenceReporter: { l1RpcUrl, slashing: slashing as `0x${string}`, reporterKeyFile } }
      : {}),
  };
  return { node, config, logLevel: logLevel as LogLevel, ...(keystore ? { keystore } : {}) };
}

function wholeNumber(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new NodeCliError("BAD_OPTION", `${flag} must be a whole number >= ${min}, got ${value}`);
  }
  return n;
}

/**
 * L1 epochs, when genesis has consensus.epochLengthRounds: L1 RPC and StakingManager from the
 * flags, else the config file, else genesis; confirmation depth and poll interval likewise.
 */
function resolveL1Epochs(
  opts: NodeCliOptions,
  config: NodeConfig | undefined,
  genesis: Genesis,
): L1EpochConfig | undefined {
  if ((genesis.json.consensus.epochLengthRounds ?? 0) === 0) return undefined;
  const rpcUrl = opts.l1Rpc ?? (opts.config ? config?.l1.rpcUrl : undefined) ?? genesis.json.l1?.rpcUrl;
  const stakingManager =
    opts.stakingManager ?? config?.l1.stakingManager ?? genesis.json.l1?.contracts.StakingManager;
  if (rpcUrl === undefined || stakingManager === undefined) {
    throw new NodeCliError(
      "BAD_OPTION",
      "genesis has L1 epochs (consensus.epochLengthRounds): give --l1-rpc and --staking-manager (or [l1] in --config)",
    );
  }
  if (!/^0x[0-9a-fA-F]{40}$/.test(stakingManager)) {
    throw new NodeCliError("BAD_OPTION", "--staking-manager must be a 0x-prefixed 20-byte address");
  }
  return {
    rpcUrl,
    stakingManager: stakingManager as `0x${string}`,
    confirmations:
      wholeNumber(opts.l1Confirmations, "--l1-confirmations", 0) ?? config?.l1.confirmations ?? 2,
    pollIntervalMs: wholeNumber(opts.l1PollMs, "--l1-poll-ms", 10) ?? config?.l1.pollIntervalMs ?? 1000,
  };
}

export function register(program: Command): void {
  program
    .command("node")
    .description(
      "run a validator node: libp2p, Jolteon consensus with BLS, execution of committed mini-blocks, JSON-RPC",
    )
    .requiredOption("--genesis <file>", "genesis JSON (validator set, chain id, consensus parameters)")
    .option("--config <file>", "node TOML config (see config/validator.example.toml); flags override it")
    .option("--data-dir <dir>", "where the database, safety file and peer key live")
    .option(
      "--bls-keystore <file>",
      "EIP-2335 keystore of this validator's BLS key (omit to run as an observer)",
    )
    .option("--password-file <file>", "file holding the keystore password")
    .option("--listen <multiaddr...>", "libp2p listen addresses (default /ip4/127.0.0.1/tcp/0)")
    .option("--peer <multiaddr...>", "extra static peers (/ip4/.../tcp/.../p2p/<peer id>)")
    .option("--metrics <host:port>", "serve /metrics and /health here")
    .option("--rpc <host:port>", "serve JSON-RPC (HTTP and WebSocket) here")
    .option(
      "--enable-admin-rpc",
      "mount the admin_ RPC namespace (peer block/unblock); never on a public port",
    )
    .option(
      "--l1-rpc <url>",
      "L1 JSON-RPC: epochs' validator sets and evidence (default: [l1] config, then genesis)",
    )
    .option(
      "--staking-manager <address>",
      "L1 StakingManager the validator sets come from (default: genesis)",
    )
    .option("--l1-confirmations <n>", "L1 blocks below the head a block must be to count (default 2)")
    .option("--l1-poll-ms <ms>", "how often the node polls L1 for new blocks (default 1000)")
    .option("--slashing <address>", "L1 Slashing contract that receives equivocation evidence")
    .option("--reporter-key <file>", "L1 key file (megaseq keys new-l1) that pays for evidence transactions")
    .option("--log-level <level>", `one of ${LOG_LEVELS.join(", ")} (default info)`)
    .option("--json", "print one JSON status line once started (logs stay JSON lines on stderr)")
    .action(
      action(async (opts: NodeCliOptions) => {
        const resolved = resolveOptions(opts);
        const log = createLogger({ level: resolved.logLevel, name: "megaseq", fd: 2 });
        const genesis = loadGenesis(opts.genesis);
        const l1Epochs = resolveL1Epochs(opts, resolved.config, genesis);
        if (l1Epochs) resolved.node.l1Epochs = l1Epochs;
        const key = resolved.keystore
          ? await loadKeystoreFile(resolved.keystore.file, resolved.keystore.passwordFile)
          : undefined;
        const node = new ValidatorNode(resolved.node, {
          genesis,
          ...(key ? { blsSecretKey: key.secretKey } : {}),
          log,
          onFatal: () => {
            node.stop().finally(() => process.exit(1));
          },
        });
        try {
          await node.start();
        } catch (error) {
          // A half-started node (p2p up, its metrics port taken...) must not linger as a peer that
          // never votes: close what started, and exit even if some handle would keep it alive.
          await node.stop().catch(() => undefined);
          setTimeout(() => process.exit(process.exitCode ?? 1), 2_000).unref();
          throw error;
        }
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
