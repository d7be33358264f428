import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { keccak256 } from "../../src/crypto/keccak.ts";
import { evmCommon } from "../../src/execution/evm-common.ts";
import { decodeExecTx } from "../../src/execution/exec-tx.ts";
import { FlatState } from "../../src/execution/flat-state.ts";
import { bytesToHex, hexToBytes, normalizeAddress, slotKey } from "../../src/execution/hex.ts";
import { encodeLogs } from "../../src/execution/receipts.ts";
import type { SequentialExecutor } from "../../src/execution/sequential-executor.ts";
import { computeStateRoot, StateRootComputer } from "../../src/execution/state-root.ts";
import type { BlockEnv, Fork, Hex } from "../../src/execution/types.ts";
import { errorText, type FolderResult, newResult } from "./report.ts";

interface PreAccount {
  balance: string;
  code: string;
  nonce: string;
  storage: Record<string, string>;
}
interface PostEntry {
  hash: string;
  logs: string;
  txbytes: string;
  expectException?: string;
  indexes: { data: number; gas: number; value: number };
}
interface StateCase {
  env: Record<string, string>;
  pre: Record<string, PreAccount>;
  post: Record<string, PostEntry[]>;
}

const FORK_KEYS: Record<Fork, string> = { shanghai: "Shanghai", cancun: "Cancun", prague: "Prague" };

export function listJsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...listJsonFiles(path));
    else if (entry.endsWith(".json")) out.push(path);
  }
  return out;
}

function loadPre(pre: Record<string, PreAccount>): FlatState {
  const state = new FlatState();
  for (const [address, account] of Object.entries(pre)) {
    const addr = normalizeAddress(address);
    state.putAccount(addr, {
      nonce: BigInt(account.nonce),
      balance: BigInt(account.balance),
      codeHash: "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    });
    const code = hexToBytes(account.code);
    if (code.length > 0) state.putCode(addr, code);
    for (const [slot, value] of Object.entries(account.storage)) {
      const v = BigInt(value);
      if (v !== 0n) state.putStorage(addr, slotKey(hexToBytes(slot)), v);
    }
  }
  state.takeChanges();
  return state;
}

/** geth's state-test BLOCKHASH: keccak256 of the decimal block number as text. */
function testBlockHash(n: bigint): Uint8Array {
  return keccak256(new TextEncoder().encode(n.toString()));
}

/** Executes one post entry (one tx variant) and returns a failure reason or undefined. */
export async function runStatePost(
  executor: SequentialExecutor,
  testCase: StateCase,
  post: PostEntry,
  fork: Fork,
): Promise<string | undefined> {
  const state = loadPre(testCase.pre);
  const computer = new StateRootComputer();
  const genesis = computeStateRoot(state);
  const env: BlockEnv = {
    chainId: 1n,
    fork,
    number: BigInt(testCase.env.currentNumber),
    timestamp: BigInt(testCase.env.currentTimestamp),
    coinbase: normalizeAddress(testCase.env.currentCoinbase),
    baseFee: BigInt(testCase.env.currentBaseFee ?? "0x0"),
    gasLimit: BigInt(testCase.env.currentGasLimit),
    prevRandao: hexToBytes((testCase.env.currentRandom ?? "0x").padEnd(66, "0")),
    blobBaseFee: 1n,
    blockHash: testBlockHash,
  };
  let rejected: string | undefined;
  let logsHash = bytesToHex(keccak256(encodeLogs([])));
  let root: Hex = genesis;
  try {
    const tx = decodeExecTx(hexToBytes(post.txbytes), evmCommon(1n, fork));
    const result = await executor.executeBlock(env, [tx], state);
    if (result.rejected.length > 0) rejected = `${result.rejected[0].code}`;
    logsHash = bytesToHex(keccak256(encodeLogs(result.logs)));
    // Seed the computer with the whole pre state, then apply the block's change set: the same
    // incremental path a node takes.
    const preState = loadPre(testCase.pre);
    computer.apply(fullChanges(preState), preState);
    root = computer.apply(result.changes, state);
  } catch (err) {
    rejected = `decode: ${errorText(err)}`;
  }
  if (post.expectException !== undefined) {
    if (rejected === undefined) return `expected exception ${post.expectException}, tx was included`;
    return root === post.hash.toLowerCase() ? undefined : `rejected but root ${root} != ${post.hash}`;
  }
  if (rejected !== undefined) return `tx rejected: ${rejected}`;
  if (root !== post.hash.toLowerCase()) return `post root ${root} != ${post.hash}`;
  if (logsHash !== post.logs.toLowerCase()) return `logs hash ${logsHash} != ${post.logs}`;
  return undefined;
}

function fullChanges(state: FlatState): import("../../src/execution/types.ts").StateChangeSet {
  const changes = {
    accounts: new Map(),
    storage: new Map(),
    clearedStorage: new Set<Hex>(),
    code: new Map(),
  } as import("../../src/execution/types.ts").StateChangeSet;
  for (const [address, account] of state.entries()) {
    changes.accounts.set(address, account);
    const slots = new Map(state.storageEntries(address));
    if (slots.size > 0) changes.storage.set(address, slots);
  }
  return changes;
}

function isBlobTx(txbytes: string): boolean {
  return txbytes.startsWith("0x03");
}

/**
 * Folders skipped by default: the VM performance vectors are loops that burn their whole gas
 * limit, minutes of CPU each on a JavaScript interpreter. `--with-performance` runs them.
 */
export const SLOW_FOLDERS: Record<string, string> = {
  "VMTests/vmPerformance":
    "performance loops (minutes of CPU each on a JS interpreter); run with --with-performance",
};

/** GeneralStateTests for one fork: post-state root and logs hash of every (data, gas, value) variant. */
export async function runStateTests(
  dir: string,
  executor: SequentialExecutor,
  opts: {
    fork?: Fork;
    filter?: (id: string) => boolean;
    onFile?: (done: number, total: number) => void;
    /** Run only these files (paths under dir). */
    files?: string[];
    /** Path prefixes (relative to dir) to skip, with the reason; default: SLOW_FOLDERS. */
    skip?: Record<string, string>;
  } = {},
): Promise<FolderResult> {
  const fork = opts.fork ?? "cancun";
  const result = newResult("GeneralStateTests");
  const files = opts.files ?? listJsonFiles(dir);
  let done = 0;
  for (const file of files) {
    opts.onFile?.(done++, files.length);
    const rel = relative(dir, file);
    const skipped = Object.entries(opts.skip ?? SLOW_FOLDERS).find(([prefix]) => rel.startsWith(prefix));
    if (skipped !== undefined) {
      result.skipped.push({ name: rel, reason: skipped[1] });
      continue;
    }
    let cases: Record<string, StateCase>;
    try {
      cases = JSON.parse(readFileSync(file, "utf8")) as Record<string, StateCase>;
    } catch (err) {
      result.failed.push({ name: relative(dir, file), reason: `unreadable: ${errorText(err)}` });
      continue;
    }
    for (const [name, testCase] of Object.entries(cases)) {
      const posts = testCase.post?.[FORK_KEYS[fork]] ?? [];
      for (const post of posts) {
        const { data, gas, value } = post.indexes;
        const id = `${relative(dir, file)}/${name}[d${data},g${gas},v${value}]`;
        if (opts.filter !== undefined && !opts.filter(id)) continue;
        if (isBlobTx(post.txbytes)) {
          result.skipped.push({ name: id, reason: "EIP-4844 blob transaction: not accepted on this L2" });
          continue;
        }
        try {
          const failure = await runStatePost(executor, testCase, post, fork);
          if (failure === undefined) result.passed++;
          else result.failed.push({ name: id, reason: failure });
        } catch (err) {
          result.failed.push({ name: id, reason: `crashed: ${errorText(err)}` });
        }
      }
    }
  }
  return result;
}
