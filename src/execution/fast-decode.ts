import { RLP } from "@ethereumjs/rlp";
import native from "secp256k1";
import { keccak256 } from "../crypto/keccak.ts";
import { CodedError } from "../util/coded-error.ts";
import { bytesToHex } from "./hex.ts";
import type { AccessListItem, ExecTx, Hex, TxType } from "./types.ts";

export class TxDecodeError extends CodedError<
  "TX_MALFORMED" | "TX_INVALID_SIGNATURE" | "TYPE_NOT_SUPPORTED"
> {}

const SECP_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = SECP_N / 2n;
const MAX_NONCE = (1n << 64n) - 1n;

type Item = Uint8Array | Item[];

function malformed(message: string): TxDecodeError {
  return new TxDecodeError("TX_MALFORMED", message);
}

function bytes(item: Item | undefined, what: string): Uint8Array {
  if (!(item instanceof Uint8Array)) throw malformed(`${what} must be a byte string`);
  return item;
}

/** A canonical RLP integer: no leading zero byte, at most `maxBytes` bytes. */
function uint(item: Item | undefined, what: string, maxBytes = 32): bigint {
  const b = bytes(item, what);
  if (b.length > maxBytes) throw malformed(`${what} is longer than ${maxBytes} bytes`);
  if (b.length > 0 && b[0] === 0) throw malformed(`${what} has leading zeros`);
  let v = 0n;
  for (let i = 0; i < b.length; i++) v = (v << 8n) | BigInt(b[i]);
  return v;
}

function toAddress(item: Item | undefined): Hex | undefined {
  const b = bytes(item, "to");
  if (b.length === 0) return undefined;
  if (b.length !== 20) throw malformed("to must be 20 bytes");
  return bytesToHex(b);
}

function accessList(item: Item | undefined): AccessListItem[] {
  if (!Array.isArray(item)) throw malformed("access list must be a list");
  return item.map((entry) => {
    if (!Array.isArray(entry) || entry.length !== 2)
      throw malformed("access list entry must be [address, keys]");
    const address = bytes(entry[0], "access list address");
    if (address.length !== 20) throw malformed("access list address must be 20 bytes");
    const keys = entry[1];
    if (!Array.isArray(keys)) throw malformed("access list keys must be a list");
    return {
      address: bytesToHex(address),
      storageKeys: keys.map((k) => {
        const key = bytes(k, "storage key");
        if (key.length !== 32) throw malformed("storage key must be 32 bytes");
        return bytesToHex(key);
      }),
    };
  });
}

function pad32(b: Uint8Array): Uint8Array {
  if (b.length === 32) return b;
  const out = new Uint8Array(32);
  out.set(b, 32 - b.length);
  return out;
}

/** A signature that passed the static checks, waiting for the (expensive) public-key recovery. */
export interface PendingSignature {
  signingHash: Uint8Array;
  /** r || s, 64 bytes. */
  signature: Uint8Array;
  recovery: number;
}

/** EIP-2 and range checks on v/r/s; the recovery itself is `recoverPending`. */
function checkSignature(
  signingHash: Uint8Array,
  recovery: bigint,
  rItem: Item,
  sItem: Item,
): PendingSignature {
  const r = uint(rItem, "r");
  const s = uint(sItem, "s");
  if (recovery !== 0n && recovery !== 1n)
    throw new TxDecodeError("TX_INVALID_SIGNATURE", "invalid signature v value");
  if (r === 0n || s === 0n || r >= SECP_N || s > HALF_N) {
    throw new TxDecodeError("TX_INVALID_SIGNATURE", "invalid signature r or s (EIP-2 low-s)");
  }
  const signature = new Uint8Array(64);
  signature.set(pad32(rItem as Uint8Array), 0);
  signature.set(pad32(sItem as Uint8Array), 32);
  return { signingHash, signature, recovery: Number(recovery) };
}

/** The sender address of a checked signature (native secp256k1 recovery + keccak). */
export function recoverPending(pending: PendingSignature): Hex {
  let pub: Uint8Array;
  try {
    pub = native.ecdsaRecover(pending.signature, pending.recovery, pending.signingHash, false);
  } catch {
    throw new TxDecodeError("TX_INVALID_SIGNATURE", "signature does not recover a public key");
  }
  return bytesToHex(keccak256(pub.subarray(1)).subarray(12));
}

function withPrefix(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = type;
  out.set(body, 1);
  return out;
}

/**
 * Decodes a signed legacy / EIP-2930 / EIP-1559 transaction and recovers its sender with native
 * secp256k1, without building @ethereumjs/tx objects (whose constructor copies the Common and
 * rebuilds its parameters for every tx). Checked against the TransactionTests vectors.
 */
export function fastDecodeExecTx(raw: Uint8Array): ExecTx {
  const { tx, pending } = fastDecodeUnrecovered(raw);
  tx.sender = recoverPending(pending);
  return tx;
}

/**
 * Everything `fastDecodeExecTx` does except the public-key recovery: the tx (with `sender`
 * "0x") and its checked signature, so recoveries can be batched elsewhere (worker threads).
 * Throws exactly what `fastDecodeExecTx` throws before recovery.
 */
export function fastDecodeUnrecovered(raw: Uint8Array): { tx: ExecTx; pending: PendingSignature } {
  if (raw.length === 0) throw malformed("empty transaction");
  let decoded: Item;
  const first = raw[0];
  const type: TxType = first >= 0xc0 ? 0 : (first as TxType);
  if (first < 0xc0 && first !== 1 && first !== 2) {
    throw new TxDecodeError("TYPE_NOT_SUPPORTED", `transaction type ${first} not supported`);
  }
  try {
    decoded = RLP.decode(type === 0 ? raw : raw.subarray(1)) as Item;
  } catch (err) {
    throw malformed(`bad RLP: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(decoded)) throw malformed("transaction must be an RLP list");
  const hash = bytesToHex(keccak256(raw));
  if (type === 0) {
    if (decoded.length !== 9) throw malformed("legacy transaction must have 9 fields");
    const [nonceI, gasPriceI, gasLimitI, toI, valueI, dataI, vI, rI, sI] = decoded;
    const v = uint(vI, "v");
    let chainId: bigint | undefined;
    let recovery: bigint;
    let unsigned: Item[] = decoded.slice(0, 6);
    if (v === 27n || v === 28n) {
      recovery = v - 27n;
    } else if (v >= 37n) {
      chainId = (v - 35n) / 2n;
      recovery = v - (chainId * 2n + 35n);
      const chainBytes = RLP.decode(RLP.encode(chainId)) as Uint8Array;
      unsigned = [...unsigned, chainBytes, new Uint8Array(0), new Uint8Array(0)];
    } else throw new TxDecodeError("TX_INVALID_SIGNATURE", "invalid legacy v");
    const gasPrice = uint(gasPriceI, "gasPrice");
    const tx: ExecTx = {
      type: 0,
      chainId,
      nonce: uint(nonceI, "nonce", 8),
      gasLimit: uint(gasLimitI, "gasLimit", 8),
      to: toAddress(toI),
      value: uint(valueI, "value"),
      data: bytes(dataI, "data"),
      accessList: [],
      maxFeePerGas: gasPrice,
      maxPriorityFeePerGas: gasPrice,
      sender: "0x",
      hash,
      size: raw.length,
      raw,
    };
    if (tx.nonce >= MAX_NONCE + 1n) throw malformed("nonce too large");
    return { tx, pending: checkSignature(keccak256(RLP.encode(unsigned)), recovery, rI, sI) };
  }
  const fields = type === 1 ? 11 : 12;
  if (decoded.length !== fields) throw malformed(`type ${type} transaction must have ${fields} fields`);
  const chainId = uint(decoded[0], "chainId");
  const nonce = uint(decoded[1], "nonce", 8);
  let maxPriorityFeePerGas: bigint;
  let maxFeePerGas: bigint;
  let i = 2;
  if (type === 1) {
    maxFeePerGas = uint(decoded[i++], "gasPrice");
    maxPriorityFeePerGas = maxFeePerGas;
  } else {
    maxPriorityFeePerGas = uint(decoded[i++], "maxPriorityFeePerGas");
    maxFeePerGas = uint(decoded[i++], "maxFeePerGas");
  }
  const gasLimit = uint(decoded[i++], "gasLimit", 8);
  const to = toAddress(decoded[i++]);
  const value = uint(decoded[i++], "value");
  const data = bytes(decoded[i++], "data");
  const list = accessList(decoded[i++]);
  const yParity = uint(decoded[i++], "yParity", 1);
  const rI = decoded[i++];
  const sI = decoded[i++];
  const signingHash = keccak256(withPrefix(type, RLP.encode(decoded.slice(0, fields - 3) as never)));
  const pending = checkSignature(signingHash, yParity, rI, sI);
  const tx: ExecTx = {
    type,
    chainId,
    nonce,
    gasLimit,
    to,
    value,
    data,
    accessList: list,
    maxFeePerGas,
    maxPriorityFeePerGas,
    sender: "0x",
    hash,
    size: raw.length,
    raw,
  };
  return { tx, pending };
}
