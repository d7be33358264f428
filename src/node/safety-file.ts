import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { SafetyData } from "../consensus/index.ts";
import { SignedVote, TimeoutMessage } from "../types/index.ts";
import { CodedError } from "../util/coded-error.ts";

export class SafetyFileError extends CodedError<"SAFETY_FILE_CORRUPT"> {}

interface SafetyJson {
  epoch: number;
  lastVotedRound: number;
  oneChainRound: number;
  highestTimeoutRound: number;
  lastVote: string | null;
  lastTimeout: string | null;
}

/**
 * The consensus safety data on disk: the one file that keeps a restarted validator from ever
 * signing two different votes for one round. Written to a temp file, fsynced, renamed over the
 * old one and the directory fsynced, so that after a crash at any moment the file holds either
 * the old or the new data, never a mix or nothing.
 */
export class SafetyFile {
  readonly path: string;

  constructor(opts: { path: string }) {
    this.path = opts.path;
  }

  /** undefined when the node never persisted safety data (first start). */
  load(): SafetyData | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    try {
      const json = JSON.parse(text) as SafetyJson;
      return {
        epoch: json.epoch,
        lastVotedRound: json.lastVotedRound,
        oneChainRound: json.oneChainRound,
        highestTimeoutRound: json.highestTimeoutRound,
        lastVote: json.lastVote === null ? null : SignedVote.deserialize(Buffer.from(json.lastVote, "hex")),
        lastTimeout:
          json.lastTimeout === null ? null : TimeoutMessage.deserialize(Buffer.from(json.lastTimeout, "hex")),
      };
    } catch (error) {
      // Refuse to start rather than guess: a validator that forgets its last vote can double-sign.
      throw new SafetyFileError(
        "SAFETY_FILE_CORRUPT",
        `safety data at ${this.path} is unreadable (${(error as Error).message}); restore it from backup — do not delete it on a validator that has voted`,
      );
    }
  }

  /** Synchronous on purpose: the vote it guards must not leave before this returns. */
  save(data: SafetyData): void {
    const json: SafetyJson = {
      epoch: data.epoch,
      lastVotedRound: data.lastVotedRound,
      oneChainRound: data.oneChainRound,
      highestTimeoutRound: data.highestTimeoutRound,
      lastVote:
        data.lastVote === null ? null : Buffer.from(SignedVote.serialize(data.lastVote)).toString("hex"),
      lastTimeout:
        data.lastTimeout === null
          ? null
          : Buffer.from(TimeoutMessage.serialize(data.lastTimeout)).toString("hex"),
    };
    const tmp = join(dirname(this.path), `.${process.pid}.safety.tmp`);
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, JSON.stringify(json));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    const dirFd = openSync(dirname(this.path), "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}
