import { CodedError } from "../util/coded-error.ts";

/** Raised for bad configuration handed to the core by its host (never for remote input). */
export class ConsensusError extends CodedError<
  | "BAD_VALIDATOR_SET"
  | "BAD_SELF_INDEX"
  | "BAD_TIMING"
  | "BAD_OPTION"
  | "MISSING_SIGNER"
  | "BAD_RESTORED_STATE"
> {}
