import { type Common, type CustomCrypto, createCustomCommon, Hardfork, Mainnet } from "@ethereumjs/common";
import { createTxFromRLP, type TypedTransaction } from "@ethereumjs/tx";
import type { Address } from "@ethereumjs/util";
import native from "secp256k1";
import { CodedError } from "../util/coded-error.ts";
import { keccak256 } from "./keccak.ts";

/**
 * Native libsecp256k1 handed to @ethereumjs/tx as its custom crypto: sender recovery is ~20x
 * faster than the default pure-JS path (DESIGN.md §4).
 */

export type TxCryptoErrorCode =
  | "TX_MALFORMED"
  | "TX_UNSIGNED"
  | "TX_INVALID_SIGNATURE"
  | "POOL_CLOSED"
  | "WORKER_FAILED";
export class TxCryptoError extends CodedError<TxCryptoErrorCode> {}

const SIG_PART_LENGTH = 32;

/** Same recovery-id rule as @ethereumjs/util's `calculateSigRecovery` (EIP-155 aware). */
function recoveryId(v: bigint, chainId: bigint | undefined): number {
  let recovery: bigint;
  if (v === 0n || v === 1n) recovery = v;
  else if (chainId === undefined) recovery = v - 27n;
  else recovery = v - (chainId * 2n + 35n);
  if (recovery !== 0n && recovery !== 1n) throw new Error("invalid signature v value");
  return Number(recovery);
}

function leftPad32(bytes: Uint8Array): Uint8Array {
  if (bytes.length > SIG_PART_LENGTH) throw new Error("signature part longer than 32 bytes");
  if (bytes.length === SIG_PART_LENGTH) return bytes;
  const out = new Uint8Array(SIG_PART_LENGTH);
  out.set(bytes, SIG_PART_LENGTH - bytes.length);
  return out;
}

/** `CustomCrypto.ecrecover`: returns the 64-byte uncompressed public key without its 0x04 prefix. */
export function nativeEcrecover(
  msgHash: Uint8Array,
  v: bigint,
  r: Uint8Array,
  s: Uint8Array,
  chainId?: bigint,
): Uint8Array {
  const signature = new Uint8Array(64);
  signature.set(leftPad32(r), 0);
  signature.set(leftPad32(s), 32);
  const publicKey = native.ecdsaRecover(signature, recoveryId(v, chainId), msgHash, false);
  return publicKey.subarray(1);
}

/**
 * `CustomCrypto.ecsign`: @ethereumjs/tx calls it like noble's `secp256k1.sign(hash, sk,
 * {format: "recovered"})` and expects 65 bytes `recovery || r || s`. libsecp256k1 signs
 * deterministically (RFC 6979) and always low-s; `extraEntropy` is not used.
 */
function nativeEcsign(msgHash: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const { signature, recid } = native.ecdsaSign(msgHash, privateKey);
  const out = new Uint8Array(65);
  out[0] = recid;
  out.set(signature, 1);
  return out;
}

/** Pass as `customCrypto` when creating a Common (e.g. `createCustomCommon(cfg, base, { customCrypto })`). */
export const nativeCustomCrypto: CustomCrypto = {
  ecrecover: nativeEcrecover,
  // The CustomCrypto type names noble's overloaded `sign`; ours implements the one call shape tx uses.
  ecsign: nativeEcsign as unknown as CustomCrypto["ecsign"],
  keccak256,
};

/** A Common for an L2 chain id (Mainnet rules at `hardfork`) that uses native secp256k1. */
export function createNativeCommon(chainId: bigint | number, hardfork: string = Hardfork.Prague): Common {
  return createCustomCommon({ name: `megaseq-${chainId}`, chainId: Number(chainId) }, Mainnet, {
    hardfork,
    customCrypto: nativeCustomCrypto,
  });
}

/** True when `common` already routes signatures through native secp256k1. */
export function usesNativeCrypto(common: Common): boolean {
  return common.customCrypto.ecrecover === nativeEcrecover;
}

export interface DecodedTx {
  tx: TypedTransaction;
  sender: Address;
}

/** Recovers the sender of a signed tx; throws TxCryptoError instead of ethereumjs' untyped errors. */
export function recoverSender(tx: TypedTransaction): Address {
  if (!tx.isSigned()) throw new TxCryptoError("TX_UNSIGNED", "transaction is not signed");
  try {
    return tx.getSenderAddress();
  } catch (err) {
    throw new TxCryptoError("TX_INVALID_SIGNATURE", `invalid transaction signature: ${errorText(err)}`);
  }
}

/**
 * Decodes a serialized signed tx (legacy RLP or EIP-2718 typed envelope) and recovers its sender.
 * `common` should carry `nativeCustomCrypto` (otherwise recovery is the slow default path).
 * The returned tx is frozen, so its hash and sender stay cached on it.
 */
export function decodeSignedTx(raw: Uint8Array, common: Common): DecodedTx {
  let tx: TypedTransaction;
  try {
    tx = createTxFromRLP(raw, { common }) as TypedTransaction;
  } catch (err) {
    throw new TxCryptoError("TX_MALFORMED", `cannot decode transaction: ${errorText(err)}`);
  }
  return { tx, sender: recoverSender(tx) };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message.split("\n")[0] : String(err);
}
