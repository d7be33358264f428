/**
 * Decoding of untrusted bytes. SSZ deserialization already rejects wrong lengths, bad offsets and
 * oversize lists by throwing plain Errors; this wraps every failure into a TypesError so callers
 * (gossip validators, req/resp, the L1 watcher) can count and drop the message by code.
 */
import type { Type } from "@chainsafe/ssz";
import { CodedError } from "../util/coded-error.ts";

export type TypesErrorCode = "EMPTY_INPUT" | "OVERSIZE_INPUT" | "MALFORMED_SSZ" | "NON_CANONICAL";

export class TypesError extends CodedError<TypesErrorCode> {}

/** Decodes `bytes` as `type`, rejecting anything that would not re-encode to the same bytes. */
export function decodeSsz<T>(type: Type<T>, bytes: Uint8Array, what: string): T {
  if (bytes.length === 0 && type.minSize > 0) {
    throw new TypesError("EMPTY_INPUT", `${what}: empty input`);
  }
  if (bytes.length > type.maxSize) {
    throw new TypesError("OVERSIZE_INPUT", `${what}: ${bytes.length} bytes > max ${type.maxSize}`, {
      length: bytes.length,
      max: type.maxSize,
    });
  }
  let value: T;
  try {
    value = type.deserialize(bytes);
  } catch (err) {
    throw new TypesError("MALFORMED_SSZ", `${what}: ${(err as Error).message}`);
  }
  // SSZ has exactly one encoding per value; anything else (e.g. dirty padding bits) is rejected
  // so that two different byte strings can never carry the same signed message.
  const again = type.serialize(value);
  if (again.length !== bytes.length || !again.every((b, i) => b === bytes[i])) {
    throw new TypesError("NON_CANONICAL", `${what}: non-canonical encoding`);
  }
  return value;
}

export function encodeSsz<T>(type: Type<T>, value: T): Uint8Array {
  return type.serialize(value);
}
