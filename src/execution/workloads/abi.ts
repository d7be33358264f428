import { hexToBytes } from "../hex.ts";
import type { Hex } from "../types.ts";

/** Tiny ABI encoder for the workload contracts' calls (static arguments only). */
export type AbiArg = { address: Hex } | { uint: bigint } | { bool: boolean };

function word(arg: AbiArg): string {
  if ("address" in arg) return arg.address.slice(2).padStart(64, "0");
  if ("uint" in arg) return arg.uint.toString(16).padStart(64, "0");
  return arg.bool ? "1".padStart(64, "0") : "0".padStart(64, "0");
}

export function encodeCall(selector: Hex, args: AbiArg[]): Uint8Array {
  return hexToBytes(selector + args.map(word).join(""));
}

export function encodeArgs(args: AbiArg[]): string {
  return args.map(word).join("");
}

/** Function selectors (first 4 bytes of keccak256 of the signature). */
export const SELECTORS = {
  mint: "0x40c10f19",
  transfer: "0xa9059cbb",
  approve: "0x095ea7b3",
  transferFrom: "0x23b872dd",
  balanceOf: "0x70a08231",
  addLiquidity: "0x9cd441da",
  swap: "0x2aea6605",
  bump: "0x68110b2f",
  bumpAndRevert: "0x486cc744",
} as const satisfies Record<string, Hex>;
