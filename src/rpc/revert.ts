import { RpcError } from "./errors.ts";
import type { Hex } from "./hex.ts";

const ERROR_SELECTOR = "0x08c379a0";
const PANIC_SELECTOR = "0x4e487b71";

/**
 * geth's answer to a reverted call: code 3, "execution reverted[: reason]", and the raw revert
 * data in `data`, which viem and ethers decode against the contract ABI.
 */
export function revertError(returnData: Hex): RpcError {
  const reason = decodeReason(returnData);
  return new RpcError(
    "EXECUTION_REVERTED",
    reason === undefined ? "execution reverted" : `execution reverted: ${reason}`,
    returnData,
  );
}

/** Error(string) and Panic(uint256); undefined for custom errors or malformed data. */
export function decodeReason(data: Hex): string | undefined {
  const body = data.slice(10);
  if (data.startsWith(ERROR_SELECTOR) && body.length >= 128) {
    const offset = Number.parseInt(body.slice(0, 64), 16);
    const start = offset * 2;
    if (!Number.isSafeInteger(offset) || start + 64 > body.length) return undefined;
    const length = Number.parseInt(body.slice(start, start + 64), 16);
    const bytesHex = body.slice(start + 64, start + 64 + length * 2);
    if (!Number.isSafeInteger(length) || bytesHex.length !== length * 2) return undefined;
    return Buffer.from(bytesHex, "hex").toString("utf8");
  }
  if (data.startsWith(PANIC_SELECTOR) && body.length === 64) {
    return `panic: 0x${BigInt(`0x${body}`).toString(16)}`;
  }
  return undefined;
}
