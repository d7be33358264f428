import type { Command } from "commander";

/** Options shared by the staking commands (src/cli/commands/{validator,delegate,gov,l1}.ts). */
export interface L1CommandOptions {
  json?: boolean;
  rpc?: string;
  deployment?: string;
  key?: string;
}

export function withL1Options(cmd: Command, opts: { key: boolean }): Command {
  cmd
    .option("--json", "print one JSON object")
    .option("--rpc <url>", "L1 JSON-RPC URL (default: $MEGASEQ_L1_RPC)")
    .option(
      "--deployment <file>",
      "deployment JSON from `megaseq l1 deploy --out` (default: $MEGASEQ_DEPLOYMENT)",
    );
  if (opts.key)
    cmd.option("--key <file>", "L1 key file that signs the transaction (default: $MEGASEQ_L1_KEY)");
  return cmd;
}
