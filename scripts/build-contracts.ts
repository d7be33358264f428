/**
 * Compiles contracts/*.sol (and contracts/lib/*.sol) with solc-js and writes one JSON artifact
 * per deployable contract to contracts/artifacts/<Name>.json ({contractName, abi, bytecode}) plus
 * contracts/artifacts/abis.ts, which exports every ABI `as const` for viem's type inference.
 *
 * `npm run build:contracts` runs this; `--check` only reports whether the committed artifacts
 * match the sources (exit 1 when stale) without writing anything.
 */
import { buildContracts, writeArtifacts } from "../src/l1/contracts-build.ts";

const check = process.argv.includes("--check");
const started = Date.now();
process.stderr.write("compiling contracts with solc-js (optimizer on, evm prague)...\n");
const result = buildContracts();
if (check) {
  const stale = result.staleFiles();
  if (stale.length > 0) {
    process.stderr.write(`stale artifacts: ${stale.join(", ")} — run npm run build:contracts\n`);
    process.exit(1);
  }
  process.stderr.write("artifacts are up to date\n");
} else {
  const written = writeArtifacts(result);
  process.stderr.write(`wrote ${written.length} files in ${Date.now() - started} ms\n`);
}
