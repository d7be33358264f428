import { isCodedError } from "../util/coded-error.ts";

/** Options every subcommand accepts. */
export interface CommonOptions {
  json?: boolean;
}

/**
 * Prints a command's result: one JSON object with `--json`, otherwise the human text.
 * Keeping both behind one call means no command can forget its JSON form.
 */
export function printResult(opts: CommonOptions, json: unknown, human: string): void {
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(json, bigintReplacer)}\n`);
  } else {
    process.stdout.write(`${human}\n`);
  }
}

export function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/** Reports a failure in the requested form and sets a non-zero exit code. */
export function printError(opts: CommonOptions, error: unknown): void {
  const code = isCodedError(error) ? error.code : "INTERNAL";
  const message = error instanceof Error ? error.message : String(error);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
  } else {
    process.stderr.write(`error: ${message}${code === "INTERNAL" ? "" : ` (${code})`}\n`);
  }
  process.exitCode = 1;
}

/**
 * Wraps a command action so that every failure, expected or not, ends in printError instead of
 * an unhandled rejection with a stack trace.
 */
export function action<A extends unknown[]>(
  run: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return async (...args: A): Promise<void> => {
    const opts = findOptions(args);
    try {
      await run(...args);
    } catch (error) {
      printError(opts, error);
    }
  };
}

function findOptions(args: unknown[]): CommonOptions {
  // commander passes (...positionals, options, command); options is the second to last.
  const candidate = args.length >= 2 ? args[args.length - 2] : undefined;
  return typeof candidate === "object" && candidate !== null ? (candidate as CommonOptions) : {};
}
