import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { evmCommon } from "../../src/execution/evm-common.ts";
import { decodeExecTx } from "../../src/execution/exec-tx.ts";
import { fastDecodeExecTx } from "../../src/execution/fast-decode.ts";
import { hexToBytes } from "../../src/execution/hex.ts";
import { intrinsicGas } from "../../src/execution/intrinsic-gas.ts";
import { checkTxStatic } from "../../src/execution/tx-checks.ts";
import type { ExecTx, Fork } from "../../src/execution/types.ts";
import { errorText, type FolderResult, newResult } from "./report.ts";
import { listJsonFiles } from "./state-tests.ts";

interface ForkResult {
  hash?: string;
  sender?: string;
  intrinsicGas?: string;
  exception?: string;
}
interface TxCase {
  txbytes: string;
  result: Record<string, ForkResult>;
}

const FORK_KEYS: Record<Fork, string> = { shanghai: "Shanghai", cancun: "Cancun", prague: "Prague" };

/**
 * Some older vectors (malformed RLP and signatures) were filled only up to an earlier fork; the
 * transaction format rules they test are unchanged since, so the latest fork present is used.
 */
const FALLBACK = ["Prague", "Cancun", "Shanghai", "Paris", "Merge", "London", "Berlin"];

function expectationFor(testCase: TxCase, fork: Fork): ForkResult | undefined {
  const result = testCase.result ?? {};
  const start = FALLBACK.indexOf(FORK_KEYS[fork]);
  for (const key of FALLBACK.slice(start)) if (result[key] !== undefined) return result[key];
  return undefined;
}

/**
 * One TransactionTests case: decode + recover (native secp256k1) + our stateless validation.
 * An expected exception must be rejected; a valid tx must give the same hash, sender and
 * intrinsic gas.
 */
export function runTxCase(testCase: TxCase, fork: Fork): string | undefined {
  const expected = expectationFor(testCase, fork);
  if (expected === undefined) return undefined;
  // Both decoders must meet every vector: @ethereumjs/tx with native recovery, and our direct one.
  const decoders: [string, (raw: Uint8Array) => ExecTx][] = [
    ["ethereumjs", (raw) => decodeExecTx(raw, evmCommon(1n, fork))],
    ["fast", (raw) => fastDecodeExecTx(raw)],
  ];
  for (const [label, decode] of decoders) {
    const failure = checkWith(decode, testCase, expected, fork);
    if (failure !== undefined) return `${label} decoder: ${failure}`;
  }
  return undefined;
}

function checkWith(
  decode: (raw: Uint8Array) => ExecTx,
  testCase: TxCase,
  expected: ForkResult,
  fork: Fork,
): string | undefined {
  let problem: string | undefined;
  let tx: ExecTx | undefined;
  try {
    tx = decode(hexToBytes(testCase.txbytes));
    // The vectors are signed for chain id 1.
    checkTxStatic(tx, { chainId: 1n, fork, allowUnprotected: true });
  } catch (err) {
    problem = errorText(err);
  }
  if (expected.exception !== undefined) {
    return problem === undefined ? `expected ${expected.exception}, accepted` : undefined;
  }
  if (problem !== undefined || tx === undefined) return `rejected: ${problem}`;
  if (expected.hash !== undefined && tx.hash !== expected.hash.toLowerCase()) return `hash ${tx.hash}`;
  if (expected.sender !== undefined && tx.sender !== expected.sender.toLowerCase())
    return `sender ${tx.sender}`;
  if (expected.intrinsicGas !== undefined && intrinsicGas(tx) !== BigInt(expected.intrinsicGas)) {
    return `intrinsic gas ${intrinsicGas(tx)} != ${BigInt(expected.intrinsicGas)}`;
  }
  return undefined;
}

export function runTransactionTests(
  dir: string,
  opts: { fork?: Fork; filter?: (id: string) => boolean } = {},
): FolderResult {
  const fork = opts.fork ?? "cancun";
  const result = newResult("TransactionTests");
  for (const file of listJsonFiles(dir)) {
    const cases = JSON.parse(readFileSync(file, "utf8")) as Record<string, TxCase>;
    for (const [name, testCase] of Object.entries(cases)) {
      const id = `${relative(dir, file)}/${name}`;
      if (opts.filter !== undefined && !opts.filter(id)) continue;
      if (expectationFor(testCase, fork) === undefined) {
        result.skipped.push({
          name: id,
          reason: `no expectation for ${FORK_KEYS[fork]} or an earlier post-Berlin fork`,
        });
        continue;
      }
      try {
        const failure = runTxCase(testCase, fork);
        if (failure === undefined) result.passed++;
        else result.failed.push({ name: id, reason: failure });
      } catch (err) {
        result.failed.push({ name: id, reason: `crashed: ${errorText(err)}` });
      }
    }
  }
  return result;
}
