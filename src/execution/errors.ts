import { CodedError } from "../util/coded-error.ts";

/**
 * Why a transaction cannot be included. Names follow geth's rejection reasons so RPC and mempool
 * can map them to the messages wallets know ("nonce too low", "insufficient funds"...).
 * A rejected transaction changes no state.
 */
export type TxRejectCode =
  | "WRONG_CHAIN_ID"
  | "TYPE_NOT_SUPPORTED"
  | "NONCE_TOO_LOW"
  | "NONCE_TOO_HIGH"
  | "NONCE_MAX"
  | "SENDER_NOT_EOA"
  | "INTRINSIC_GAS_TOO_LOW"
  | "GAS_LIMIT_EXCEEDS_BLOCK"
  | "TIP_ABOVE_FEE_CAP"
  | "FEE_CAP_BELOW_BASE_FEE"
  | "INSUFFICIENT_FUNDS"
  | "INITCODE_TOO_LARGE"
  | "VALUE_TOO_LARGE"
  | "BLOCK_GAS_EXHAUSTED";

export class TxRejectedError extends CodedError<TxRejectCode> {}

/** Human wording for each code, as geth prints it. */
export const REJECT_MESSAGES: Record<TxRejectCode, string> = {
  WRONG_CHAIN_ID: "invalid chain id",
  TYPE_NOT_SUPPORTED: "transaction type not supported",
  NONCE_TOO_LOW: "nonce too low",
  NONCE_TOO_HIGH: "nonce too high",
  NONCE_MAX: "nonce has max value",
  SENDER_NOT_EOA: "sender not an eoa",
  INTRINSIC_GAS_TOO_LOW: "intrinsic gas too low",
  GAS_LIMIT_EXCEEDS_BLOCK: "exceeds block gas limit",
  TIP_ABOVE_FEE_CAP: "max priority fee per gas higher than max fee per gas",
  FEE_CAP_BELOW_BASE_FEE: "max fee per gas less than block base fee",
  INSUFFICIENT_FUNDS: "insufficient funds for gas * price + value",
  INITCODE_TOO_LARGE: "max initcode size exceeded",
  VALUE_TOO_LARGE: "value or fee field exceeds 256 bits",
  BLOCK_GAS_EXHAUSTED: "gas limit reached",
};

export function reject(code: TxRejectCode, details?: Record<string, unknown>): TxRejectedError {
  return new TxRejectedError(code, REJECT_MESSAGES[code], details);
}
