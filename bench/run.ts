import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type BenchSuite, machineInfo, progress } from "./harness.ts";

// `npm run bench -- <suite>` runs bench/suites/<suite>.ts and prints its JSON as the last line.
const suitesDir = join(dirname(fileURLToPath(import.meta.url)), "suites");
const available = readdirSync(suitesDir)
  .filter((f) => f.endsWith(".ts"))
  .map((f) => f.slice(0, -3))
  .sort();
const suite = process.argv[2];
if (!suite || !available.includes(suite)) {
  process.stderr.write(
    `usage: npm run bench -- <suite>\n${suite ? `unknown suite "${suite}". ` : ""}suites: ${available.join(", ")}\n`,
  );
  process.exit(2);
}
const file = join(suitesDir, `${suite}.ts`);
if (!existsSync(file)) throw new Error(`missing ${file}`);
const mod = (await import(pathToFileURL(file).href)) as { run: BenchSuite };
progress(`suite ${suite} on ${machineInfo().cpus} cpus, node ${process.version}`);
const result = await mod.run();
process.stdout.write(
  `${JSON.stringify({ suite, machine: machineInfo(), metrics: result.metrics, ratios: result.ratios, ...(result.details ? { details: result.details } : {}) })}\n`,
);
// Suites may leave worker pools or sockets behind; the JSON is out, so end here.
process.exit(0);
