/**
 * Ethereum conformance: runs whichever of TrieTests, TransactionTests and GeneralStateTests
 * (Cancun) exist under ETHEREUM_TESTS_DIR (default ../shared/fixtures/ethereum-tests, relative to
 * the repository), prints a pass/fail count per folder, and exits non-zero when none is found or
 * when any folder (or the total) passes fewer than 95% of its cases.
 *
 *   npm run test:conformance
 *   ETHEREUM_TESTS_DIR=/path/to/ethereum-tests npm run test:conformance -- --json
 *
 * Options: --json (one JSON object on stdout), --failures (list every failing case),
 * --only <substring> (GeneralStateTests paths containing it), --with-performance (also run
 * GeneralStateTests/VMTests/vmPerformance, minutes of CPU).
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SequentialExecutor } from "../src/execution/sequential-executor.ts";
import type { FolderResult } from "../test/conformance/report.ts";
import { runStateTests } from "../test/conformance/state-tests.ts";
import { runTransactionTests } from "../test/conformance/transaction-tests.ts";
import { runTrieTests } from "../test/conformance/trie-tests.ts";

const THRESHOLD = 0.95;
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dir = resolve(repo, process.env.ETHEREUM_TESTS_DIR ?? "../shared/fixtures/ethereum-tests");
const args = process.argv.slice(2);
const json = args.includes("--json");
const listFailures = args.includes("--failures");
const onlyIndex = args.indexOf("--only");
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;

function log(message: string): void {
  process.stderr.write(`[conformance] ${message}\n`);
}

const results: FolderResult[] = [];
const started = performance.now();

const trieDir = join(dir, "TrieTests");
if (existsSync(trieDir)) {
  log(`TrieTests from ${trieDir}`);
  results.push(runTrieTests(trieDir));
}
const txDir = join(dir, "TransactionTests");
if (existsSync(txDir)) {
  log(`TransactionTests from ${txDir}`);
  results.push(runTransactionTests(txDir));
}
const stateDir = join(dir, "GeneralStateTests");
if (existsSync(stateDir)) {
  log(`GeneralStateTests (Cancun) from ${stateDir}`);
  let lastShown = 0;
  results.push(
    await runStateTests(stateDir, new SequentialExecutor(), {
      fork: "cancun",
      skip: args.includes("--with-performance") ? {} : undefined,
      filter: only === undefined ? undefined : (id: string): boolean => id.includes(only),
      onFile: (done, total) => {
        const now = performance.now();
        if (now - lastShown > 2000) {
          lastShown = now;
          log(`  ${done}/${total} files`);
        }
      },
    }),
  );
}

if (results.length === 0) {
  const message = `no TrieTests, TransactionTests or GeneralStateTests folder under ${dir}; set ETHEREUM_TESTS_DIR to an ethereum/tests checkout`;
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: message })}\n`);
  else process.stderr.write(`conformance: ${message}\n`);
  process.exit(2);
}

let passed = 0;
let failed = 0;
const folders = results.map((r) => {
  passed += r.passed;
  failed += r.failed.length;
  const total = r.passed + r.failed.length;
  const rate = total === 0 ? 1 : r.passed / total;
  return {
    folder: r.folder,
    passed: r.passed,
    failed: r.failed.length,
    skipped: r.skipped.length,
    rate,
    ok: rate >= THRESHOLD,
  };
});
const rate = passed + failed === 0 ? 1 : passed / (passed + failed);
const ok = rate >= THRESHOLD && folders.every((f) => f.ok);
const seconds = (performance.now() - started) / 1000;

if (json) {
  process.stdout.write(
    `${JSON.stringify({ ok, dir, passed, failed, rate, seconds, folders, failures: results.flatMap((r) => r.failed.map((f) => ({ folder: r.folder, ...f }))) })}\n`,
  );
} else {
  for (const f of folders) {
    process.stdout.write(
      `${f.folder.padEnd(18)} pass ${String(f.passed).padStart(5)}  fail ${String(f.failed).padStart(4)}  skipped ${String(f.skipped).padStart(4)}  ${(f.rate * 100).toFixed(2)}%${f.ok ? "" : "  BELOW 95%"}\n`,
    );
  }
  process.stdout.write(
    `${"total".padEnd(18)} pass ${String(passed).padStart(5)}  fail ${String(failed).padStart(4)}  ${(rate * 100).toFixed(2)}%  (${seconds.toFixed(1)} s)\n`,
  );
  const shown = listFailures ? Number.POSITIVE_INFINITY : 20;
  const failures = results.flatMap((r) => r.failed.map((x) => `${r.folder}: ${x.name}: ${x.reason}`));
  for (const line of failures.slice(0, shown)) process.stdout.write(`  FAIL ${line}\n`);
  if (failures.length > shown)
    process.stdout.write(`  ... ${failures.length - shown} more (--failures lists all)\n`);
}
process.exit(ok ? 0 : 1);
