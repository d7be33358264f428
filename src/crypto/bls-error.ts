import { CodedError } from "../util/coded-error.ts";

/** Every way bytes handed to the BLS layer can be wrong, plus misuse of the API itself. */
export type BlsErrorCode =
  | "INVALID_SECRET_KEY_LENGTH"
  | "INVALID_SECRET_KEY"
  | "INVALID_SEED"
  | "INVALID_DERIVATION_PATH"
  | "INVALID_PUBKEY_LENGTH"
  | "PUBKEY_BAD_ENCODING"
  | "PUBKEY_NOT_ON_CURVE"
  | "PUBKEY_NOT_IN_SUBGROUP"
  | "PUBKEY_IS_INFINITY"
  | "INVALID_SIGNATURE_LENGTH"
  | "SIGNATURE_BAD_ENCODING"
  | "SIGNATURE_NOT_ON_CURVE"
  | "SIGNATURE_NOT_IN_SUBGROUP"
  | "SIGNATURE_IS_INFINITY"
  | "EMPTY_AGGREGATE"
  | "LENGTH_MISMATCH"
  | "INVALID_MESSAGE"
  | "EIP2537_BAD_ENCODING"
  | "VERIFIER_CLOSED"
  | "WORKER_FAILED";

export class BlsError extends CodedError<BlsErrorCode> {}

/** blst's error codes (napi `code` field) mapped per kind of point. */
export function blstErrorCode(err: unknown): string {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string")
    return err.code;
  return "UNKNOWN";
}
