import type { Command } from "commander";
import packageJson from "../../../package.json" with { type: "json" };
import { action, printResult } from "../output.ts";

export function register(program: Command): void {
  program
    .command("version")
    .description("print the megaseq version and the Node that runs it")
    .option("--json", "print one JSON object")
    .action(
      action((opts: { json?: boolean }) => {
        const info = { name: packageJson.name, version: packageJson.version, node: process.version };
        printResult(opts, info, `${info.name} ${info.version} (node ${info.node})`);
      }),
    );
}
