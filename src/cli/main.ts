import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Command } from "commander";
import packageJson from "../../package.json" with { type: "json" };

/** A module under src/cli/commands adds its subcommands through this. */
export type RegisterCommand = (program: Command) => void;

/**
 * Builds the `megaseq` program. Each file in ./commands registers its own subcommands, so adding
 * a command never touches this file.
 *
 * Importing every command module costs seconds (libp2p, viem, the EVM...), which every CLI call
 * would pay. So the command names each file declares (its `.command("name"` calls) are read from
 * the source text, and only the files that declare `only` are imported; help and unknown
 * commands import them all.
 */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command("megaseq")
    .description("megaseq: decentralized sequencer network for a real-time Ethereum L2")
    .version(packageJson.version)
    .showHelpAfterError()
    .exitOverride((err) => {
      // Help and version are successes; usage mistakes exit with 2 as most CLIs do.
      process.exit(err.exitCode === 0 ? 0 : 2);
    });
  const commandsDir = join(dirname(fileURLToPath(import.meta.url)), "commands");
  const all = readdirSync(commandsDir)
    .filter((f) => f.endsWith(".ts"))
    .sort();
  const declaring =
    only === undefined ? [] : all.filter((f) => declaredCommands(join(commandsDir, f)).has(only));
  const files = declaring.length > 0 ? declaring : all;
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(commandsDir, file)).href)) as { register?: RegisterCommand };
    if (typeof mod.register !== "function") {
      throw new Error(`src/cli/commands/${file} does not export register(program)`);
    }
    mod.register(program);
  }
  return program;
}

function declaredCommands(file: string): Set<string> {
  const names = new Set<string>();
  for (const match of readFileSync(file, "utf8").matchAll(/\.command\(\s*["'`]([a-z0-9-]+)/g))
    names.add(match[1]);
  return names;
}

const first = process.argv[2];
const program = await buildProgram(first !== undefined && !first.startsWith("-") ? first : undefined);
await program.parseAsync(process.argv);
