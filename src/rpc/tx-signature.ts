import { RLP } from "@ethereumjs/rlp";
import type { TxSignature } from "./from-execution.ts";

function toBigInt(item: unknown): bigint {
  if (!(item instanceof Uint8Array)) return 0n;
  let v = 0n;
  for (const b of item) v = (v << 8n) | BigInt(b);
  return v;
}

/**
 * v, r, s of a signed EIP-2718 envelope (legacy: v; typed: yParity), read from its raw bytes only
 * when RPC shows the transaction: the node keeps raw bytes, not @ethereumjs/tx objects, whose
 * construction costs more than the sender recovery. Bytes that do not decode give zeros (they
 * never reach a node's pool: admission decodes the same bytes first).
 */
export function signatureFromRaw(raw: Uint8Array | undefined): TxSignature {
  if (raw === undefined || raw.length === 0) return { v: 0n, r: 0n, s: 0n };
  try {
    const fields = RLP.decode(raw[0] >= 0xc0 ? raw : raw.subarray(1));
    if (!Array.isArray(fields) || fields.length < 3) return { v: 0n, r: 0n, s: 0n };
    const n = fields.length;
    return { v: toBigInt(fields[n - 3]), r: toBigInt(fields[n - 2]), s: toBigInt(fields[n - 1]) };
  } catch {
    return { v: 0n, r: 0n, s: 0n };
  }
}
