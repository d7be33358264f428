import { destination, pino } from "pino";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The small logging surface every module takes: structured fields first, then the message, as in
 * `log.debug({ round, block }, "vote sent")`. A pino logger satisfies it; so does `silentLogger`.
 */
export interface Log {
  fatal(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  debug(fields: Record<string, unknown>, message: string): void;
  trace(fields: Record<string, unknown>, message: string): void;
  child(bindings: Record<string, unknown>): Log;
}

export interface LoggerOpts {
  level: LogLevel;
  /** Module or node name, added to every line. */
  name?: string;
  /** File descriptor to write JSON lines to: 1 (stdout, default) or 2 (stderr). */
  fd?: 1 | 2;
}

/** JSON lines on stdout (or stderr), one object per event, with `module` bindings via `child`. */
export function createLogger(opts: LoggerOpts): Log {
  return pino(
    { level: opts.level, name: opts.name, base: { pid: process.pid } },
    destination({ fd: opts.fd ?? 1, sync: false }),
  );
}

const noop = (): void => {};

/** A logger that drops everything: the default where a caller passes none (tests, tools). */
export const silentLogger: Log = {
  fatal: noop,
  error: noop,
  warn: noop,
  info: noop,
  debug: noop,
  trace: noop,
  child: () => silentLogger,
};
