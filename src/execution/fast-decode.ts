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
  return bigEndian(b);
}

/** Big-endian bytes to a bigint: a Number below 2^48, else 64-bit limbs (no per-byte BigInt). */
function bigEndian(b: Uint8Array): bigint {
  const n = b.length;
  if (n <= 6) {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + b[i];
    return BigInt(v);
  }
  const view = new DataView(b.buffer, b.byteOffset, n);
  let v = 0n;
  let i = 0;
  const head = n % 8;
  for (; i < head; i++) v = (v << 8n) | BigInt(b[i]);
  for (; i < n; i += 8) v = (v << 64n) | view.getBigUint64(i);
  return v;
}

/** Length of the RLP encoding of a byte string. */
function encodedLength(b: Uint8Array): number {
  if (b.length === 1 && b[0] < 0x80) return 1;
  if (b.length <= 55) return 1 + b.length;
  let lengthBytes = 0;
  for (let l = b.length; l > 0; l = Math.floor(l / 256)) lengthBytes++;
  return 1 + lengthBytes + b.length;
}

/**
 * The signing preimage of a typed tx, `type || rlp([fields without yParity, r, s])`, cut from the
 * raw bytes: a canonical list's items are the raw bytes of its fields, so the unsigned list's
 * payload is the signed list's payload minus the encodings of the last three fields.
 */
function typedSigningPreimage(
  raw: Uint8Array,
  yParity: Uint8Array,
  r: Uint8Array,
  s: Uint8Array,
): Uint8Array {
  const prefix = raw[1];
  const header = prefix <= 0xf7 ? 1 : 1 + prefix - 0xf7;
  const payloadStart = 1 + header;
  const unsignedLength =
    raw.length - payloadStart - encodedLength(yParity) - encodedLength(r) - encodedLength(s);
  let lengthBytes = 0;
  if (unsignedLength > 55) for (let l = unsignedLength; l > 0; l = Math.floor(l / 256)) lengthBytes++;
  const out = new Uint8Array(1 + 1 + lengthBytes + unsignedLength);
  out[0] = raw[0];
  if (lengthBytes === 0) out[1] = 0xc0 + unsignedLength;
  else {
    out[1] = 0xf7 + lengthBytes;
    for (let i = lengthBytes, l = unsignedLength; i >= 1; i--, l = Math.floor(l / 256)) out[1 + i] = l % 256;
  }
  out.set(raw.subarray(payloadStart, payloadStart + unsignedLength), 2 + lengthBytes);
  return out;
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
  const yParityI = decoded[i++];
  const yParity = uint(yParityI, "yParity", 1);
  const rI = decoded[i++];
  const sI = decoded[i++];
  const signingHash = keccak256(
    typedSigningPreimage(raw, yParityI as Uint8Array, bytes(rI, "r"), bytes(sI, "s")),
  );
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
