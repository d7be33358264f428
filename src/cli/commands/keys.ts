import type { Command } from "commander";
import { describeKeyFile, newBlsKeystore, newL1KeyFile } from "../../l1/keys.ts";
import { action, printResult } from "../output.ts";

export function register(program: Command): void {
  const keys = program.command("keys").description("create and inspect validator (BLS) and L1 key files");

  keys
    .command("new-bls")
    .description("generate a BLS12-381 validator key into an EIP-2335 keystore")
    .requiredOption("--out <file>", "keystore file to create (never overwritten)")
    .requiredOption("--password-file <file>", "file holding the keystore password")
    .option("--insecure-fast-kdf", "cheap KDF for throwaway devnet keys only")
    .option("--json", "print one JSON object")
    .action(
      action(
        async (opts: { out: string; passwordFile: string; insecureFastKdf?: boolean; json?: boolean }) => {
          const key = await newBlsKeystore(opts.out, opts.passwordFile, {
            insecureFastKdf: opts.insecureFastKdf,
          });
          printResult(opts, { file: opts.out, ...key }, `wrote ${opts.out}\nBLS public key ${key.pubkey}`);
        },
      ),
    );

  keys
    .command("new-l1")
    .description("generate an L1 (secp256k1) account into a key file readable by its owner only")
    .requiredOption("--out <file>", "key file to create (never overwritten)")
    .option("--json", "print one JSON object")
    .action(
      action((opts: { out: string; json?: boolean }) => {
        const key = newL1KeyFile(opts.out);
        printResult(opts, { file: opts.out, ...key }, `wrote ${opts.out}\naddress ${key.address}`);
      }),
    );

  keys
    .command("show <file>")
    .description("show the public part of a key file (BLS keystore or L1 key); no password needed")
    .option("--json", "print one JSON object")
    .action(
      action((file: string, opts: { json?: boolean }) => {
        const info = describeKeyFile(file);
        const human =
          info.kind === "bls-keystore"
            ? `BLS keystore\npublic key ${info.pubkey}\npath ${info.path}`
            : `L1 key\naddress ${info.address}`;
        printResult(opts, info, human);
      }),
    );
}
