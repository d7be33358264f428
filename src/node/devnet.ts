import type { ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { type Address, type Hex, parseEther, parseUnits } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { register as registerNodeCommand } from "../cli/commands/node.ts";
import { ANVIL_DEV_KEYS, type AnvilHandle, startAnvil } from "../l1/anvil.ts";
import { connectL1 } from "../l1/clients.ts";
import { DEFAULT_L2_CHAIN_ID, deployToRpc } from "../l1/deploy.ts";
import { CodedError } from "../util/coded-error.ts";
import { devKey, genesisOnL1, operatorAddress, registerValidators } from "./devnet-l1.ts";
import { type NodeSample, sampleNode } from "./devnet-metrics.ts";
import { isRunning, spawnNode, stopProcess } from "./devnet-process.ts";
import { createLocalNetwork, DEFAULT_CONSENSUS } from "./local-network.ts";

export class DevnetError extends CodedError<
  "BAD_OPTION" | "DIR_NOT_DEVNET" | "DEVNET_CORRUPT" | "L1_STATE_LOST" | "NODE_FAILED" | "STOPPED"
> {}

export const MAX_DEVNET_VALIDATORS = 64;
export const DEVNET_ACCOUNTS = 10;
/** L2 balance of each funded test account: 1,000,000 ETH. */
export const DEVNET_ACCOUNT_BALANCE = parseEther("1000000");
export const DEVNET_FILE = "devnet.json";
const ANVIL_STATE_FILE = "anvil-state.json";

export interface DevnetOptions {
  dir: string;
  validators: number;
  keep: boolean;
  /** Consensus round timeout at round start (ms). */
  baseTimeoutMs?: number;
  logLevel?: string;
  /** SIGTERM→SIGKILL grace for node processes on stop. */
  stopGraceMs?: number;
}

export interface DevnetModules {
  /** One line per startup step (the CLI prints these on stderr). */
  progress: (step: string) => void;
}

/** `.devnet/devnet.json`: what tools and people need to talk to the devnet (DESIGN.md §6). */
export interface DevnetInfo {
  l1: { rpcUrl: string; chainId: number };
  chainId: number;
  contracts: Record<string, Address>;
  validatorSet: { epoch: string; anchorBlock: string };
  genesisFile: string;
  nodes: DevnetNodeInfo[];
  accounts: { address: Address; privateKey: Hex; balance: string }[];
}

export interface DevnetNodeInfo {
  index: number;
  /** JSON-RPC URL; null while `megaseq node` has no --rpc option. */
  rpcUrl: string | null;
  metricsUrl: string;
  peerId: string;
  validator: Address;
  dataDir: string;
  logFile: string;
  p2pPort: number;
  metricsPort: number;
  rpcPort: number;
  keystoreFile: string;
  passwordFile: string;
}

/**
 * The one-command development network: a real anvil L1 with the MEGA suite deployed, N validators
 * registered and staked on it, a genesis written from StakingManager's validator set, and N
 * `megaseq node` processes. `start()` returns once every node serves metrics; `stop()` ends the
 * nodes (SIGTERM, then SIGKILL after a grace period) and anvil last, which saves its state.
 */
export class Devnet {
  private readonly opts: DevnetOptions;
  private readonly modules: DevnetModules;
  private anvil: AnvilHandle | undefined;
  private readonly children = new Map<number, ChildProcess>();
  private stopping = false;
  info: DevnetInfo | undefined;

  constructor(opts: DevnetOptions, modules: DevnetModules) {
    if (
      !Number.isInteger(opts.validators) ||
      opts.validators < 1 ||
      opts.validators > MAX_DEVNET_VALIDATORS
    ) {
      throw new DevnetError(
        "BAD_OPTION",
        `--validators must be a whole number from 1 to ${MAX_DEVNET_VALIDATORS}, got ${opts.validators}`,
      );
    }
    if (
      opts.baseTimeoutMs !== undefined &&
      (!Number.isInteger(opts.baseTimeoutMs) || opts.baseTimeoutMs < 50)
    ) {
      throw new DevnetError("BAD_OPTION", "--base-timeout-ms must be a whole number of at least 50");
    }
    this.opts = { ...opts, dir: resolve(opts.dir) };
    this.modules = modules;
  }

  get dir(): string {
    return this.opts.dir;
  }

  async start(): Promise<DevnetInfo> {
    const kept = this.opts.keep ? this.readKept() : undefined;
    if (this.opts.keep && !kept)
      this.modules.progress(`no devnet in ${this.dir} to keep: starting a new one`);
    const info = kept ? await this.restartL1(kept) : await this.createFresh();
    this.info = info;
    this.checkStopped();
    await this.startNodes(info);
    writeFileSync(join(this.dir, DEVNET_FILE), `${JSON.stringify(info, null, 2)}\n`);
    this.modules.progress(`wrote ${join(this.dir, DEVNET_FILE)}`);
    return info;
  }

  /** Stops the nodes, then anvil (which writes its state file on the way out). Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.children.values()].map((child) => stopProcess(child, this.opts.stopGraceMs ?? 5_000)),
    );
    await this.anvil?.stop();
  }

  /** The node processes that are still alive, by index. */
  runningNodes(): number[] {
    return [...this.children.entries()].filter(([, c]) => isRunning(c)).map(([i]) => i);
  }

  /** Process ids of everything the devnet started (nodes and anvil). */
  pids(): number[] {
    const pids = [...this.children.values()].map((c) => c.pid);
    if (this.anvil) pids.push(this.anvil.process.pid);
    return pids.filter((p): p is number => p !== undefined);
  }

  async sample(): Promise<NodeSample[]> {
    return Promise.all((this.info?.nodes ?? []).map((n) => sampleNode(n.metricsUrl)));
  }

  private checkStopped(): void {
    if (this.stopping) throw new DevnetError("STOPPED", "the devnet was stopped while starting");
  }

  private readKept(): DevnetInfo | undefined {
    const file = join(this.dir, DEVNET_FILE);
    if (!existsSync(file)) return undefined;
    let info: DevnetInfo;
    try {
      info = JSON.parse(readFileSync(file, "utf8")) as DevnetInfo;
    } catch (error) {
      throw new DevnetError("DEVNET_CORRUPT", `cannot read ${file}: ${(error as Error).message}`);
    }
    if (!Array.isArray(info.nodes) || !info.l1?.rpcUrl || !existsSync(info.genesisFile)) {
      throw new DevnetError(
        "DEVNET_CORRUPT",
        `${file} is incomplete; start without --keep to make a new devnet`,
      );
    }
    if (info.nodes.length !== this.opts.validators) {
      this.modules.progress(`--keep: the kept devnet has ${info.nodes.length} validators; using them`);
    }
    return info;
  }

  /** Clears a previous devnet in the directory; refuses a directory that holds anything else. */
  private prepareDir(): void {
    if (!existsSync(this.dir)) return;
    const entries = readdirSync(this.dir);
    if (entries.length === 0) return;
    if (!entries.includes(DEVNET_FILE) && !entries.includes("genesis.json")) {
      throw new DevnetError(
        "DIR_NOT_DEVNET",
        `${this.dir} is not empty and holds no devnet; pick another --dir (nothing was started)`,
      );
    }
    for (const entry of entries) {
      if (
        /^node\d+(\.log)?$/.test(entry) ||
        [DEVNET_FILE, "genesis.json", ANVIL_STATE_FILE, "anvil.log"].includes(entry)
      ) {
        rmSync(join(this.dir, entry), { recursive: true, force: true });
      }
    }
  }

  private async launchAnvil(port: number | undefined): Promise<AnvilHandle> {
    this.anvil = await startAnvil({
      ...(port !== undefined ? { port } : {}),
      args: ["--state", join(this.dir, ANVIL_STATE_FILE), "--state-interval", "5"],
    });
    this.modules.progress(`anvil (L1) listening at ${this.anvil.rpcUrl} (pid ${this.anvil.process.pid})`);
    return this.anvil;
  }

  private async createFresh(): Promise<DevnetInfo> {
    this.prepareDir();
    const anvil = await this.launchAnvil(undefined);
    this.checkStopped();
    const deployer = privateKeyToAccount(ANVIL_DEV_KEYS[0]);
    const deployment = await deployToRpc(anvil.rpcUrl, deployer, {
      l2ChainId: DEFAULT_L2_CHAIN_ID,
      rewardReserve: parseUnits("1000000", 18),
      staking: { epochLength: 10n },
      onProgress: (step) => this.modules.progress(`L1: ${step}`),
    });
    this.modules.progress(`L1 suite deployed: StakingManager at ${deployment.contracts.StakingManager}`);
    this.checkStopped();

    const accounts = Array.from({ length: DEVNET_ACCOUNTS }, (_, i) => {
      const privateKey = devKey(`account/${i}`);
      return {
        address: privateKeyToAccount(privateKey).address,
        privateKey,
        balance: DEVNET_ACCOUNT_BALANCE.toString(),
      };
    });
    const chainId = Number(DEFAULT_L2_CHAIN_ID);
    const local = await createLocalNetwork({
      dir: this.dir,
      validators: this.opts.validators,
      chainId,
      address: operatorAddress,
      ...(this.opts.baseTimeoutMs !== undefined
        ? { consensus: { baseTimeoutMs: this.opts.baseTimeoutMs } }
        : {}),
    });
    this.modules.progress(`made ${local.validators.length} validators (BLS keystores, peer keys, ports)`);

    const registered = await registerValidators(
      anvil.rpcUrl,
      ANVIL_DEV_KEYS[0],
      deployment,
      local.validators,
      this.modules.progress,
    );
    this.checkStopped();

    const genesis = genesisOnL1({
      chainId,
      rpcUrl: anvil.rpcUrl,
      deployment,
      registered,
      validators: local.validators,
      alloc: Object.fromEntries(accounts.map((a) => [a.address, a.balance])),
      consensus: {
        ...DEFAULT_CONSENSUS,
        ...(this.opts.baseTimeoutMs !== undefined ? { baseTimeoutMs: this.opts.baseTimeoutMs } : {}),
      },
    });
    writeFileSync(local.genesisFile, `${JSON.stringify(genesis, null, 2)}\n`);
    this.modules.progress(`genesis written from the epoch ${registered.epoch} set: ${local.genesisFile}`);

    const rpcSupported = nodeCommandHasRpc();
    if (!rpcSupported)
      this.modules.progress("this `megaseq node` has no --rpc yet: nodes run without JSON-RPC");
    return {
      l1: { rpcUrl: anvil.rpcUrl, chainId: deployment.chainId },
      chainId,
      contracts: deployment.contracts,
      validatorSet: { epoch: registered.epoch.toString(), anchorBlock: registered.anchorBlock.toString() },
      genesisFile: local.genesisFile,
      nodes: local.validators.map((v) => ({
        index: v.index,
        rpcUrl: rpcSupported ? `http://127.0.0.1:${v.rpcPort}` : null,
        metricsUrl: `http://127.0.0.1:${v.metricsPort}`,
        peerId: v.peerId,
        validator: v.address as Address,
        dataDir: v.dataDir,
        logFile: join(this.dir, `node${v.index}.log`),
        p2pPort: v.p2pPort,
        metricsPort: v.metricsPort,
        rpcPort: v.rpcPort,
        keystoreFile: v.keystoreFile,
        passwordFile: v.passwordFile,
      })),
      accounts,
    };
  }

  /** --keep: anvil again on its old port from its saved state; the nodes keep their data dirs. */
  private async restartL1(info: DevnetInfo): Promise<DevnetInfo> {
    const port = Number(new URL(info.l1.rpcUrl).port);
    const anvil = await this.launchAnvil(port);
    const l1 = await connectL1(anvil.rpcUrl);
    const code = await l1.publicClient.getCode({ address: info.contracts.StakingManager as Address });
    if (!code || code === "0x") {
      throw new DevnetError(
        "L1_STATE_LOST",
        `anvil's saved state (${ANVIL_STATE_FILE}) lacks the StakingManager; start without --keep`,
      );
    }
    this.modules.progress(`kept devnet: L1 state restored, genesis ${info.genesisFile}`);
    const rpcSupported = nodeCommandHasRpc();
    return {
      ...info,
      nodes: info.nodes.map((n) => ({ ...n, rpcUrl: rpcSupported ? `http://127.0.0.1:${n.rpcPort}` : null })),
    };
  }

  private async startNodes(info: DevnetInfo): Promise<void> {
    for (const n of info.nodes) {
      const child = spawnNode({
        genesisFile: info.genesisFile,
        dataDir: n.dataDir,
        keystoreFile: n.keystoreFile,
        passwordFile: n.passwordFile,
        p2pPort: n.p2pPort,
        metricsPort: n.metricsPort,
        ...(n.rpcUrl !== null ? { rpcPort: n.rpcPort } : {}),
        logFile: n.logFile,
        ...(this.opts.logLevel ? { logLevel: this.opts.logLevel } : {}),
      });
      this.children.set(n.index, child);
      this.modules.progress(`node ${n.index} started (pid ${child.pid}, log ${n.logFile})`);
    }
    const deadline = Date.now() + 120_000;
    for (const n of info.nodes) {
      const child = this.children.get(n.index) as ChildProcess;
      for (;;) {
        this.checkStopped();
        if (!isRunning(child)) {
          throw new DevnetError(
            "NODE_FAILED",
            `node ${n.index} exited while starting: ${logTail(n.logFile)}`,
          );
        }
        if ((await sampleNode(n.metricsUrl)).up) break;
        if (Date.now() > deadline) {
          throw new DevnetError(
            "NODE_FAILED",
            `node ${n.index} did not serve metrics in time: ${logTail(n.logFile)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      this.modules.progress(`node ${n.index} up: metrics at ${n.metricsUrl}`);
    }
  }
}

function logTail(file: string): string {
  try {
    return readFileSync(file, "utf8").slice(-800);
  } catch {
    return "(no log)";
  }
}

/** Whether this checkout's `megaseq node` takes --rpc (the JSON-RPC server is landing separately). */
export function nodeCommandHasRpc(): boolean {
  const program = new Command();
  registerNodeCommand(program);
  return program.commands.some((c) => c.name() === "node" && c.options.some((o) => o.long === "--rpc"));
}
