/** Hex encoding as Ethereum JSON-RPC wants it: quantities without leading zeros, data as even-length bytes. */

export type Hex = `0x${string}`;

/** A QUANTITY: `0x0`, `0x1a`, never `0x01a` or `0x`. */
export function toQuantity(value: bigint | number): Hex {
  const v = typeof value === "number" ? BigInt(value) : value;
  if (v < 0n) throw new RangeError(`quantity must be non-negative, got ${v}`);
  return `0x${v.toString(16)}`;
}

export function bytesToHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

export function hexToBytes(hex: string): Uint8Array {
  const body = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  return new Uint8Array(Buffer.from(body.length % 2 === 1 ? `0${body}` : body, "hex"));
}

/** Left-pads a value to `bytes` bytes of DATA. */
export function toFixedData(value: bigint, bytes: number): Hex {
  return `0x${value.toString(16).padStart(bytes * 2, "0")}`;
}

export function lowerHex(hex: string): Hex {
  return hex.toLowerCase() as Hex;
}
