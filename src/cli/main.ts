import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Command } from "commander";
import packageJson from "../../package.json" with { type: "json" };

/** A module under src/cli/commands adds its subcommands through this. */
export type RegisterCommand = (program: Command) => void;

/**
 * Builds the `megaseq` program. Each file in ./commands registers its own subcommands, so adding
 * a command never touches this file.
 */
export async function buildProgram(): Promise<Command> {
  const program = new Command("megaseq")
    .description("megaseq: decentralized sequencer network for a real-time Ethereum L2")
    .version(packageJson.version)
    .showHelpAfterError()
    .exitOverride((err) => {
      // Help and version are successes; usage mistakes exit with 2 as most CLIs do.
      process.exit(err.exitCode === 0 ? 0 : 2);
    });
  const commandsDir = join(dirname(fileURLToPath(import.meta.url)), "commands");
  const files = readdirSync(commandsDir)
    .filter((f) => f.endsWith(".ts"))
    .sort();
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(commandsDir, file)).href)) as { register?: RegisterCommand };
    if (typeof mod.register !== "function") {
      throw new Error(`src/cli/commands/${file} does not export register(program)`);
    }
    mod.register(program);
  }
  return program;
}

const program = await buildProgram();
await program.parseAsync(process.argv);
