import { CodedError } from "../util/coded-error.ts";

export type StorageErrorCode = "OUT_OF_ORDER" | "CORRUPT_RECORD" | "BAD_INPUT" | "NOT_OPEN";

export class StorageError extends CodedError<StorageErrorCode> {}
