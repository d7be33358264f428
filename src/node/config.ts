import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseToml } from "smol-toml";
import type { z } from "zod";
import { CodedError } from "../util/coded-error.ts";
import {
  CONFIG_SECTIONS,
  type ConfigFile,
  ConfigFileSchema,
  sectionKeys,
  TOP_LEVEL_KEYS,
} from "./config/schema.ts";
import type { LogLevel } from "./logger.ts";

export class ConfigError extends CodedError<
  "CONFIG_READ" | "CONFIG_PARSE" | "CONFIG_INVALID" | "CONFIG_ENV"
> {}

/** The validated node configuration; file paths are absolute. */
export interface NodeConfig {
  dataDir: string;
  chainId: number;
  logging: { level: LogLevel };
  p2p: {
    listen: string[];
    bootnodes: string[];
    staticPeers: string[];
    peerKeyFile: string;
    maxPeers: number;
    gossipMeshDegree: number;
  };
  rpc: {
    enabled: boolean;
    address: string;
    maxBodyBytes: number;
    maxBatch: number;
    maxConnections: number;
    adminEnabled: boolean;
  };
  metrics: { enabled: boolean; address: string };
  keys: { blsKeystore: string; blsPasswordFile: string };
  l1: {
    rpcUrl: string;
    stakingManager?: `0x${string}`;
    slashing?: `0x${string}`;
    token?: `0x${string}`;
    confirmations: number;
    pollIntervalMs: number;
    reporterKeyFile?: string;
  };
}

export const DEFAULT_CONFIG_FILE = fileURLToPath(new URL("../../config/default.toml", import.meta.url));
export const ENV_PREFIX = "MEGASEQ_";

export interface LoadConfigOpts {
  /** The operator's TOML file; omitted = defaults and environment only. */
  file?: string;
  /** Environment to read MEGASEQ_<SECTION>_<KEY> overrides from (default: none). */
  env?: Record<string, string | undefined>;
  defaultsFile?: string;
}

/**
 * Defaults (config/default.toml) ← the operator's file ← MEGASEQ_<SECTION>_<KEY> environment
 * variables, validated as a whole. Relative `data_dir` is resolved against the config file's
 * folder (or the working directory); other relative file paths against `data_dir`.
 */
export function loadConfig(opts: LoadConfigOpts = {}): NodeConfig {
  const defaults = readToml(opts.defaultsFile ?? DEFAULT_CONFIG_FILE);
  let merged = defaults;
  if (opts.file) merged = mergeTables(defaults, readToml(opts.file));
  const envPaths = new Map<string, string>();
  merged = applyEnv(merged, opts.env ?? {}, envPaths);
  const parsed = ConfigFileSchema.safeParse(merged, { reportInput: true });
  if (!parsed.success) {
    const lines = parsed.error.issues.flatMap((issue) => describeIssue(issue, envPaths));
    const origin = opts.file ?? "defaults";
    throw new ConfigError("CONFIG_INVALID", `invalid config (${origin}):\n  ${lines.join("\n  ")}`, {
      issues: lines,
    });
  }
  const base = opts.file ? dirname(resolve(opts.file)) : process.cwd();
  return toNodeConfig(parsed.data, base);
}

/** Parses TOML text; a syntax error names the line and column. */
export function parseConfigText(text: string, origin: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(
      "CONFIG_PARSE",
      `${origin}: not valid TOML: ${(err as Error).message.split("\n")[0]}`,
    );
  }
}

function readToml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError("CONFIG_READ", `cannot read config file ${file}: ${(err as Error).message}`);
  }
  return parseConfigText(text, file);
}

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === "object" && v !== null && !Array.isArray(v);

function mergeTables(base: Table, over: Table): Table {
  const out: Table = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isTable(value) && isTable(base[key]) ? mergeTables(base[key], value) : value;
  }
  return out;
}

/** Turns an environment string into the type of the value it replaces. */
function envValue(raw: string, current: unknown): unknown {
  if (Array.isArray(current)) {
    return raw
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }
  if (typeof current === "number" || (current === undefined && /^-?\d+(\.\d+)?$/.test(raw))) {
    return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
  }
  if (typeof current === "boolean") return raw === "true" ? true : raw === "false" ? false : raw;
  return raw;
}

function applyEnv(
  config: Table,
  env: Record<string, string | undefined>,
  envPaths: Map<string, string>,
): Table {
  const out = mergeTables({}, config);
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const rest = name.slice(ENV_PREFIX.length).toLowerCase();
    const top = TOP_LEVEL_KEYS.find((k) => k === rest);
    if (top) {
      out[top] = envValue(raw, out[top]);
      envPaths.set(top, name);
      continue;
    }
    const section = CONFIG_SECTIONS.find((s) => rest.startsWith(`${s}_`));
    // Other MEGASEQ_* variables (tools, tests) are not config: leave them alone.
    if (!section) continue;
    const key = rest.slice(section.length + 1);
    const known = sectionKeys(section);
    if (!known.includes(key)) {
      throw new ConfigError(
        "CONFIG_ENV",
        `${name}: [${section}] has no key "${key}" (known: ${known.join(", ")})`,
      );
    }
    const table = isTable(out[section]) ? (out[section] as Table) : {};
    table[key] = envValue(raw, table[key]);
    out[section] = table;
    envPaths.set(`${section}.${key}`, name);
  }
  return out;
}

function formatPath(path: PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || "(top level)";
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function describeIssue(issue: z.core.$ZodIssue, envPaths: Map<string, string>): string[] {
  const path = formatPath(issue.path);
  const fromEnv = (p: string): string => {
    const top = p.replace(/\[\d+\]$/, "");
    const name = envPaths.get(top);
    return name ? ` (from ${name})` : "";
  };
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => {
      const full = issue.path.length ? `${path}.${key}` : key;
      if (issue.path.length === 0 && (key === "consensus" || key === "blocks")) {
        return `${key}: not a node setting: round timeouts, leader terms and block intervals come from the network's genesis file (its "consensus" object), the same for every validator`;
      }
      return `${full}: unknown key (check the spelling; see config/default.toml for the known keys)`;
    });
  }
  const input = (issue as { input?: unknown }).input;
  const expected =
    issue.code === "invalid_type" && issue.message.startsWith("Invalid input")
      ? `expected ${issue.expected}`
      : issue.message;
  return [`${path}: ${expected}, got ${describeValue(input)}${fromEnv(path)}`];
}

function toNodeConfig(c: ConfigFile, base: string): NodeConfig {
  const dataDir = resolve(base, c.data_dir);
  const inData = (p: string): string => (isAbsolute(p) ? p : resolve(dataDir, p));
  return {
    dataDir,
    chainId: c.chain_id,
    logging: { level: c.logging.level },
    p2p: {
      listen: c.p2p.listen,
      bootnodes: c.p2p.bootnodes,
      staticPeers: c.p2p.static_peers,
      peerKeyFile: inData(c.p2p.peer_key_file),
      maxPeers: c.p2p.max_peers,
      gossipMeshDegree: c.p2p.gossip_mesh_degree,
    },
    rpc: {
      enabled: c.rpc.enabled,
      address: c.rpc.address,
      maxBodyBytes: c.rpc.max_body_bytes,
      maxBatch: c.rpc.max_batch,
      maxConnections: c.rpc.max_connections,
      adminEnabled: c.rpc.admin_enabled,
    },
    metrics: { enabled: c.metrics.enabled, address: c.metrics.address },
    keys: { blsKeystore: inData(c.keys.bls_keystore), blsPasswordFile: inData(c.keys.bls_password_file) },
    l1: {
      rpcUrl: c.l1.rpc_url,
      stakingManager: c.l1.staking_manager as `0x${string}` | undefined,
      slashing: c.l1.slashing as `0x${string}` | undefined,
      token: c.l1.token as `0x${string}` | undefined,
      confirmations: c.l1.confirmations,
      pollIntervalMs: c.l1.poll_interval_ms,
      reporterKeyFile: c.l1.reporter_key_file === undefined ? undefined : inData(c.l1.reporter_key_file),
    },
  };
}
