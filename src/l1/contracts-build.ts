import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { CodedError } from "../util/coded-error.ts";

/**
 * The contract build: solc-js over contracts/**.sol, OpenZeppelin imports resolved from
 * node_modules. The artifacts are committed so that tests and the CLI never compile; a manifest
 * holds a hash of the sources and settings so that staleness is a cheap check.
 */

export class ContractsBuildError extends CodedError<"COMPILE_FAILED" | "IMPORT_NOT_FOUND"> {}

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CONTRACTS_DIR = join(REPO_ROOT, "contracts");
export const ARTIFACTS_DIR = join(CONTRACTS_DIR, "artifacts");

/** Contracts that get an artifact (libraries and abstract bases are compiled but not written). */
export const DEPLOYABLE = [
  "MegaToken",
  "StakingManager",
  "Slashing",
  "MegaGovernor",
  "MegaTimelock",
  "BLSHarness",
] as const;

export const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 1 },
  evmVersion: "prague",
  viaIR: false,
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
} as const;

export interface Artifact {
  contractName: string;
  abi: unknown[];
  bytecode: `0x${string}`;
}

export interface BuildResult {
  sourcesHash: string;
  artifacts: Artifact[];
  staleFiles(): string[];
}

/** Every .sol file under contracts/, as solc source units keyed by a path relative to contracts/. */
export function readSources(): Record<string, { content: string }> {
  const out: Record<string, { content: string }> = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "artifacts") walk(full);
      } else if (entry.name.endsWith(".sol")) {
        out[relative(CONTRACTS_DIR, full)] = { content: readFileSync(full, "utf8") };
      }
    }
  };
  walk(CONTRACTS_DIR);
  return out;
}

/** Hash of the sources, the compiler version and the settings: what the manifest records. */
export function sourcesHash(sources = readSources()): string {
  const h = createHash("sha256");
  h.update(`solc ${solcVersion()}\n${JSON.stringify(SOLC_SETTINGS)}\n`);
  for (const name of Object.keys(sources).sort()) {
    h.update(`${name}\n${sources[name].content}\n`);
  }
  return h.digest("hex");
}

function solcVersion(): string {
  const require = createRequire(import.meta.url);
  return (require("solc/package.json") as { version: string }).version;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
}

export function buildContracts(): BuildResult {
  const require = createRequire(import.meta.url);
  const solc = require("solc") as { compile(input: string, cb: { import: (p: string) => unknown }): string };
  const sources = readSources();
  const hash = sourcesHash(sources);
  const findImports = (path: string): { contents: string } | { error: string } => {
    for (const base of [CONTRACTS_DIR, join(REPO_ROOT, "node_modules")]) {
      const full = join(base, path);
      if (existsSync(full)) return { contents: readFileSync(full, "utf8") };
    }
    return { error: `import not found: ${path}` };
  };
  const input = { language: "Solidity", sources, settings: SOLC_SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) {
    throw new ContractsBuildError("COMPILE_FAILED", errors.map((e) => e.formattedMessage).join("\n"));
  }
  const artifacts: Artifact[] = [];
  for (const name of DEPLOYABLE) {
    const unit = Object.entries(output.contracts).find(([, contracts]) => name in contracts);
    if (!unit) throw new ContractsBuildError("COMPILE_FAILED", `contract ${name} not found in the sources`);
    const c = unit[1][name];
    artifacts.push({ contractName: name, abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` });
  }
  return {
    sourcesHash: hash,
    artifacts,
    staleFiles: () => staleArtifactFiles(hash),
  };
}

/** Names the artifact files that do not match the current sources (cheap: no compilation). */
export function staleArtifactFiles(hash = sourcesHash()): string[] {
  const manifestPath = join(ARTIFACTS_DIR, "manifest.json");
  if (!existsSync(manifestPath)) return ["manifest.json"];
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { sourcesHash?: string };
  const stale: string[] = [];
  if (manifest.sourcesHash !== hash) stale.push("manifest.json");
  for (const name of DEPLOYABLE) {
    if (!existsSync(join(ARTIFACTS_DIR, `${name}.json`))) stale.push(`${name}.json`);
  }
  return stale;
}

export function writeArtifacts(result: BuildResult): string[] {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const written: string[] = [];
  for (const a of result.artifacts) {
    const file = join(ARTIFACTS_DIR, `${a.contractName}.json`);
    writeFileSync(file, `${JSON.stringify(a, null, 2)}\n`);
    written.push(file);
  }
  const abis = [
    "// Generated by `npm run build:contracts` (scripts/build-contracts.ts). Do not edit.",
    "// Every ABI `as const`, so that viem infers function names, arguments and custom errors.",
    "",
    ...result.artifacts.map(
      (a) => `export const ${a.contractName}Abi = ${JSON.stringify(a.abi)} as const;\n`,
    ),
  ].join("\n");
  const abisFile = join(ARTIFACTS_DIR, "abis.ts");
  writeFileSync(abisFile, abis);
  written.push(abisFile);
  const manifestFile = join(ARTIFACTS_DIR, "manifest.json");
  writeFileSync(
    manifestFile,
    `${JSON.stringify({ sourcesHash: result.sourcesHash, solc: solcVersion(), settings: SOLC_SETTINGS, contracts: DEPLOYABLE }, null, 2)}\n`,
  );
  written.push(manifestFile);
  return written;
}
