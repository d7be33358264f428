#!/usr/bin/env node
// Entry point of the `megaseq` command. The sources are TypeScript run by Node's own type
// stripping, which needs Node >= 22.18. Where an older Node runs this file (the machine's Node
// is 20 here), re-run it under the Node that the `node` devDependency installed.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const localNode = join(root, "node_modules", "node", "bin", "node");
  if (!existsSync(localNode)) {
    process.stderr.write(
      `megaseq needs Node >= 22.18 (this is ${process.version}); run \`npm ci\` in the checkout first.\n`,
    );
    process.exit(1);
  }
  const result = spawnSync(localNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
  });
  process.exit(result.status ?? 1);
} else {
  await import("../src/cli/main.ts");
}
