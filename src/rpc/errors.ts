import { TxRejectedError as ExecutionRejectedError } from "../execution/errors.ts";
import { MempoolError } from "../mempool/errors.ts";
import { CodedError } from "../util/coded-error.ts";

/**
 * JSON-RPC error codes. The standard ones come from JSON-RPC 2.0, the -3200x family from EIP-1474;
 * geth answers transaction rejections (nonce too low, underpriced, ...) with -32000 and the reason in
 * the message, which is what wallets match on, so we do the same. `3` is geth's code for an
 * execution revert (with the revert data in `data`); `4` and `5` are EIP-7966's timeout and
 * nonce-gap codes for eth_sendRawTransactionSync.
 */
export const RpcCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** EIP-1474 invalid input; geth's generic server error, used for tx rejections. */
  SERVER_ERROR: -32000,
  RESOURCE_NOT_FOUND: -32001,
  RESOURCE_UNAVAILABLE: -32002,
  TRANSACTION_REJECTED: -32003,
  METHOD_NOT_SUPPORTED: -32004,
  LIMIT_EXCEEDED: -32005,
  EXECUTION_REVERTED: 3,
  SYNC_TIMEOUT: 4,
  SYNC_NONCE_GAP: 5,
} as const;

export type RpcCodeName = keyof typeof RpcCode;

/**
 * An error the server answers with. Anything else a handler throws becomes -32603 without the
 * internal message (it may carry paths or state we do not want to leak).
 */
export class RpcError extends CodedError<RpcCodeName> {
  readonly rpcCode: number;
  readonly data: unknown;

  constructor(code: RpcCodeName, message: string, data?: unknown) {
    super(code, message);
    this.rpcCode = RpcCode[code];
    this.data = data;
  }
}

/**
 * Why a backend refused a transaction. The RPC layer turns it into geth's -32000 with geth's
 * message text (viem and ethers map these messages to typed errors), or EIP-7966's code 5 for a
 * nonce gap in eth_sendRawTransactionSync.
 */
export type TxRejectionReason =
  | "NONCE_TOO_LOW"
  | "NONCE_TOO_HIGH"
  | "INSUFFICIENT_FUNDS"
  | "ALREADY_KNOWN"
  | "REPLACEMENT_UNDERPRICED"
  | "UNDERPRICED"
  | "INTRINSIC_GAS_TOO_LOW"
  | "GAS_LIMIT_EXCEEDED"
  | "WRONG_CHAIN_ID"
  | "INVALID_SIGNATURE"
  | "INVALID_ENCODING"
  | "OVERSIZED"
  | "POOL_FULL"
  | "UNSUPPORTED_TYPE";

export class TxRejectedError extends CodedError<TxRejectionReason> {
  /** For NONCE_TOO_HIGH: the sender's next expected nonce (EIP-7966 returns it as error data). */
  readonly expectedNonce: bigint | undefined;

  constructor(reason: TxRejectionReason, message?: string, expectedNonce?: bigint) {
    super(reason, message ?? GETH_MESSAGES[reason]);
    this.expectedNonce = expectedNonce;
  }
}

/** geth's wording, so that client libraries classify the failure correctly. */
const GETH_MESSAGES: Record<TxRejectionReason, string> = {
  NONCE_TOO_LOW: "nonce too low",
  NONCE_TOO_HIGH: "nonce too high",
  INSUFFICIENT_FUNDS: "insufficient funds for gas * price + value",
  ALREADY_KNOWN: "already known",
  REPLACEMENT_UNDERPRICED: "replacement transaction underpriced",
  UNDERPRICED: "transaction underpriced",
  INTRINSIC_GAS_TOO_LOW: "intrinsic gas too low",
  GAS_LIMIT_EXCEEDED: "exceeds block gas limit",
  WRONG_CHAIN_ID: "invalid chain id for signer",
  INVALID_SIGNATURE: "invalid sender",
  INVALID_ENCODING: "rlp: invalid transaction encoding",
  OVERSIZED: "oversized data",
  POOL_FULL: "txpool is full",
  UNSUPPORTED_TYPE: "transaction type not supported",
};

/** The JSON body of an error response. */
export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export function toErrorObject(error: unknown): RpcErrorObject {
  if (error instanceof RpcError) {
    return error.data === undefined
      ? { code: error.rpcCode, message: error.message }
      : { code: error.rpcCode, message: error.message, data: error.data };
  }
  // The mempool's and the execution engine's rejections already carry geth's wording.
  if (isTxRejection(error)) {
    return { code: RpcCode.SERVER_ERROR, message: error.message };
  }
  return { code: RpcCode.INTERNAL_ERROR, message: "internal error" };
}

/** A transaction refusal from the RPC layer, the mempool or the execution engine. */
export function isTxRejection(error: unknown): error is CodedError {
  return (
    error instanceof TxRejectedError ||
    error instanceof MempoolError ||
    error instanceof ExecutionRejectedError
  );
}

/**
 * For a nonce-gap refusal, the sender's next nonce (EIP-7966 puts it in code 5's data): each
 * layer reports it its own way: null when the error is not a nonce gap, undefined when the gap
 * is known but not the nonce.
 */
export function expectedNonceOf(error: unknown): bigint | undefined | null {
  if (!isTxRejection(error) || error.code !== "NONCE_TOO_HIGH") return null;
  if (error instanceof TxRejectedError) return error.expectedNonce;
  const d = error.details ?? {};
  const v = d.next ?? d.expected;
  return typeof v === "bigint" ? v : undefined;
}
