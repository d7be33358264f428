import { CodedError } from "../util/coded-error.ts";

/**
 * Why the pool turned a transaction away. Messages are geth's, word for word, because wallets and
 * tools (viem, ethers, cast) match on them.
 */
export type MempoolErrorCode =
  | "ALREADY_KNOWN"
  | "NONCE_TOO_LOW"
  | "INSUFFICIENT_FUNDS"
  | "REPLACEMENT_UNDERPRICED"
  | "INTRINSIC_GAS_TOO_LOW"
  | "EXCEEDS_BLOCK_GAS_LIMIT"
  | "FEE_CAP_BELOW_BASE_FEE"
  | "TIP_ABOVE_FEE_CAP"
  | "UNDERPRICED"
  | "OVERSIZED_DATA"
  | "INVALID_CHAIN_ID"
  | "ACCOUNT_LIMIT_EXCEEDED"
  | "NONCE_TOO_HIGH"
  | "TXPOOL_FULL"
  | "NEGATIVE_VALUE";

export const MEMPOOL_ERROR_MESSAGES: Record<MempoolErrorCode, string> = {
  ALREADY_KNOWN: "already known",
  NONCE_TOO_LOW: "nonce too low",
  INSUFFICIENT_FUNDS: "insufficient funds for gas * price + value",
  REPLACEMENT_UNDERPRICED: "replacement transaction underpriced",
  INTRINSIC_GAS_TOO_LOW: "intrinsic gas too low",
  EXCEEDS_BLOCK_GAS_LIMIT: "exceeds block gas limit",
  FEE_CAP_BELOW_BASE_FEE: "max fee per gas less than block base fee",
  TIP_ABOVE_FEE_CAP: "max priority fee per gas higher than max fee per gas",
  UNDERPRICED: "transaction underpriced",
  OVERSIZED_DATA: "oversized data",
  INVALID_CHAIN_ID: "invalid chain id",
  ACCOUNT_LIMIT_EXCEEDED: "account limit exceeded",
  NONCE_TOO_HIGH: "nonce too high",
  TXPOOL_FULL: "txpool is full",
  NEGATIVE_VALUE: "negative value",
};

export class MempoolError extends CodedError<MempoolErrorCode> {
  constructor(code: MempoolErrorCode, details?: Record<string, unknown>) {
    super(code, MEMPOOL_ERROR_MESSAGES[code], details);
  }
}
