import { reject } from "./errors.ts";
import { floorDataGas, intrinsicGas, MAX_INITCODE_SIZE } from "./intrinsic-gas.ts";
import type { ExecTx, Fork } from "./types.ts";

const MAX_UINT256 = (1n << 256n) - 1n;
/** EIP-2681: a nonce must stay below 2^64 - 1. */
export const MAX_NONCE = (1n << 64n) - 1n;

/**
 * Every check that needs no state: type, chain id, field ranges, intrinsic gas (and the EIP-7623
 * floor on Prague), fee cap ordering, initcode size. Throws TxRejectedError; returns the
 * intrinsic gas. The mempool runs this at admission; the envelope runs it again at execution.
 */
export function checkTxStatic(
  tx: ExecTx,
  opts: { chainId: bigint; fork: Fork; allowUnprotected: boolean },
): { intrinsic: bigint } {
  if (tx.type !== 0 && tx.type !== 1 && tx.type !== 2) throw reject("TYPE_NOT_SUPPORTED", { type: tx.type });
  if (tx.chainId === undefined) {
    if (!opts.allowUnprotected) throw reject("WRONG_CHAIN_ID", { chainId: null });
  } else if (tx.chainId !== opts.chainId) {
    throw reject("WRONG_CHAIN_ID", { chainId: tx.chainId, expected: opts.chainId });
  }
  if (tx.value > MAX_UINT256 || tx.maxFeePerGas > MAX_UINT256 || tx.maxPriorityFeePerGas > MAX_UINT256) {
    throw reject("VALUE_TOO_LARGE");
  }
  if (tx.gasLimit * tx.maxFeePerGas > MAX_UINT256)
    throw reject("VALUE_TOO_LARGE", { field: "gasLimit * maxFee" });
  if (tx.nonce >= MAX_NONCE) throw reject("NONCE_MAX");
  const intrinsic = intrinsicGas(tx);
  const floor = floorDataGas(tx.data, opts.fork);
  if (tx.gasLimit < intrinsic || tx.gasLimit < floor) {
    throw reject("INTRINSIC_GAS_TOO_LOW", { gasLimit: tx.gasLimit, intrinsic });
  }
  if (tx.maxPriorityFeePerGas > tx.maxFeePerGas) throw reject("TIP_ABOVE_FEE_CAP");
  if (tx.to === undefined && tx.data.length > MAX_INITCODE_SIZE) {
    throw reject("INITCODE_TOO_LARGE", { size: tx.data.length });
  }
  return { intrinsic };
}
