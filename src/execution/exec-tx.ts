import type { Common } from "@ethereumjs/common";
import type { TypedTransaction } from "@ethereumjs/tx";
import { decodeSignedTx } from "../crypto/secp256k1.ts";
import { reject } from "./errors.ts";
import { bytesToHex } from "./hex.ts";
import type { AccessListItem, ExecTx, Hex, TxType } from "./types.ts";

interface TxFields {
  type: number;
  nonce: bigint;
  gasLimit: bigint;
  value: bigint;
  data: Uint8Array;
  to?: { bytes: Uint8Array } | undefined;
  gasPrice?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  accessList?: [Uint8Array, Uint8Array[]][];
  common: Common;
  hash(): Uint8Array;
  serialize(): Uint8Array;
  v?: bigint;
}

/**
 * Turns a decoded @ethereumjs/tx transaction plus its recovered sender into our plain `ExecTx`.
 * `raw` is the signed serialization when the caller already has it (saves re-serializing).
 */
export function toExecTx(tx: TypedTransaction, sender: string, raw?: Uint8Array): ExecTx {
  const t = tx as unknown as TxFields;
  if (t.type !== 0 && t.type !== 1 && t.type !== 2) throw reject("TYPE_NOT_SUPPORTED", { type: t.type });
  const type = t.type as TxType;
  const accessList: AccessListItem[] = [];
  for (const [address, keys] of t.accessList ?? []) {
    accessList.push({ address: bytesToHex(address), storageKeys: keys.map((k) => bytesToHex(k)) });
  }
  let chainId: bigint | undefined;
  if (type === 0) {
    // A legacy tx carries a chain id only when its v says so (EIP-155).
    const v = t.v ?? 0n;
    chainId = v === 27n || v === 28n ? undefined : (v - 35n) / 2n;
  } else {
    chainId = (tx as unknown as { chainId: bigint }).chainId;
  }
  const gasPrice = t.gasPrice ?? 0n;
  const bytes = raw ?? t.serialize();
  return {
    type,
    chainId,
    nonce: t.nonce,
    gasLimit: t.gasLimit,
    to: t.to === undefined ? undefined : bytesToHex(t.to.bytes),
    value: t.value,
    data: t.data,
    accessList,
    maxFeePerGas: type === 2 ? (t.maxFeePerGas as bigint) : gasPrice,
    maxPriorityFeePerGas: type === 2 ? (t.maxPriorityFeePerGas as bigint) : gasPrice,
    sender: sender.toLowerCase() as Hex,
    hash: bytesToHex(t.hash()),
    size: bytes.length,
    raw: bytes,
  };
}

/** Decodes a signed serialized tx, recovers its sender natively, and returns the ExecTx. */
export function decodeExecTx(raw: Uint8Array, common: Common): ExecTx {
  const { tx, sender } = decodeSignedTx(raw, common);
  return toExecTx(tx, sender.toString(), raw);
}
