/**
 * A small RLP encoder that can splice already-encoded items into a list (trie nodes embed child
 * nodes shorter than 32 bytes as raw RLP). @ethereumjs/rlp is used for decoding.
 */

function lengthPrefix(length: number, offset: number): Uint8Array {
  if (length < 56) return Uint8Array.of(offset + length);
  let hex = length.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const lenBytes = hex.length / 2;
  const out = new Uint8Array(1 + lenBytes);
  out[0] = offset + 55 + lenBytes;
  for (let i = 0; i < lenBytes; i++) out[1 + i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** RLP of a byte string. */
export function encodeBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 1 && bytes[0] < 0x80) return bytes;
  const prefix = lengthPrefix(bytes.length, 0x80);
  const out = new Uint8Array(prefix.length + bytes.length);
  out.set(prefix);
  out.set(bytes, prefix.length);
  return out;
}

/** RLP list whose items are given already encoded. */
export function encodeList(encodedItems: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const item of encodedItems) total += item.length;
  const prefix = lengthPrefix(total, 0xc0);
  const out = new Uint8Array(prefix.length + total);
  out.set(prefix);
  let offset = prefix.length;
  for (const item of encodedItems) {
    out.set(item, offset);
    offset += item.length;
  }
  return out;
}
