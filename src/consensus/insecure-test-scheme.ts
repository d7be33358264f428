/**
 * INSECURE deterministic signature scheme for the simulator and unit tests ONLY.
 * A "signature" is sha256(pubkey ++ message) stretched to 96 bytes, and anyone who knows a
 * public key can forge it: it checks that the core routes the right bytes to the right
 * signer, not that anybody is honest. Aggregation is XOR, which (like BLS) is order-free,
 * so QCs and TCs keep their shapes. Never wire this into a node.
 */
import { createHash } from "node:crypto";
import type { SignatureScheme, Signer, ValidatorInfo } from "./types.ts";

export const INSECURE_TEST_SCHEME_NAME = "insecure-test-hash";

function sha256(data: Uint8Array): Uint8Array {
  return createHash("sha256").update(data).digest();
}

function expand(pubkey: Uint8Array, message: Uint8Array): Uint8Array {
  const out = new Uint8Array(96);
  const input = new Uint8Array(pubkey.length + message.length + 1);
  input.set(pubkey, 0);
  input.set(message, pubkey.length);
  for (let i = 0; i < 3; i++) {
    input[input.length - 1] = i;
    out.set(sha256(input), i * 32);
  }
  return out;
}

function xorInto(acc: Uint8Array, sig: Uint8Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] ^= sig[i];
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export class InsecureTestScheme implements SignatureScheme {
  readonly name: string = INSECURE_TEST_SCHEME_NAME;

  verify(pubkey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    return signature.length === 96 && equal(expand(pubkey, message), signature);
  }

  fastAggregateVerify(pubkeys: readonly Uint8Array[], message: Uint8Array, signature: Uint8Array): boolean {
    if (pubkeys.length === 0 || signature.length !== 96) return false;
    const acc = new Uint8Array(96);
    for (const pk of pubkeys) xorInto(acc, expand(pk, message));
    return equal(acc, signature);
  }

  aggregateVerify(
    pubkeys: readonly Uint8Array[],
    messages: readonly Uint8Array[],
    signature: Uint8Array,
  ): boolean {
    if (pubkeys.length === 0 || pubkeys.length !== messages.length || signature.length !== 96) return false;
    const acc = new Uint8Array(96);
    for (let i = 0; i < pubkeys.length; i++) xorInto(acc, expand(pubkeys[i], messages[i]));
    return equal(acc, signature);
  }

  aggregate(signatures: readonly Uint8Array[]): Uint8Array {
    const acc = new Uint8Array(96);
    for (const s of signatures) xorInto(acc, s);
    return acc;
  }
}

export class InsecureTestSigner implements Signer {
  readonly pubkey: Uint8Array;

  constructor(pubkey: Uint8Array) {
    this.pubkey = pubkey;
  }

  sign(message: Uint8Array): Uint8Array {
    return expand(this.pubkey, message);
  }
}

/** Deterministic 48-byte test "public key" of validator `index` (seeded by `seed`). */
export function insecureTestPubkey(index: number, seed = 0): Uint8Array {
  const tag = new TextEncoder().encode(`megaseq-insecure-test-key/${seed}/${index}`);
  const out = new Uint8Array(48);
  out.set(sha256(tag), 0);
  out.set(sha256(out.subarray(0, 32)).subarray(0, 16), 32);
  return out;
}

/** A committee for tests and the simulator: validator i has power `powers[i]`. */
export function insecureTestCommittee(
  powers: readonly (bigint | number)[],
  seed = 0,
): { validators: ValidatorInfo[]; signers: InsecureTestSigner[] } {
  const validators: ValidatorInfo[] = powers.map((p, index) => ({
    index,
    address: `0x${(index + 1).toString(16).padStart(40, "0")}`,
    pubkey: insecureTestPubkey(index, seed),
    votingPower: BigInt(p),
  }));
  return { validators, signers: validators.map((v) => new InsecureTestSigner(v.pubkey)) };
}
