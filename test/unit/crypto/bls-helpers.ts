import { publicKeyFromSecretKey, secretKeyFromSeed } from "../../../src/crypto/bls.ts";
import { BlsError, type BlsErrorCode } from "../../../src/crypto/bls-error.ts";

/** Deterministic keys: seed i → EIP-2333 key. */
export function testKeys(n: number, offset = 0): { sk: Uint8Array; pk: Uint8Array }[] {
  return Array.from({ length: n }, (_, i) => {
    const seed = new Uint8Array(32).fill(i + 1 + offset);
    const sk = secretKeyFromSeed(seed);
    return { sk, pk: publicKeyFromSecretKey(sk) };
  });
}

export const msg = (s: string): Uint8Array => new TextEncoder().encode(s);

export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/^0x/, ""), "hex"));
}

/** A G1 point on the curve (x = 4) but outside the prime-order subgroup, compressed. */
export const G1_NOT_IN_SUBGROUP = fromHex(`80${"00".repeat(46)}04`);
/** A G2 point on the curve (x = 2 + 0i) but outside the prime-order subgroup, compressed (c1 || c0). */
export const G2_NOT_IN_SUBGROUP = fromHex(`a0${"00".repeat(94)}02`);
export const G1_INFINITY = fromHex(`c0${"00".repeat(47)}`);
export const G2_INFINITY = fromHex(`c0${"00".repeat(95)}`);

/** x = 1: x^3 + 4 is not a square mod p, so no G1 point has this x. */
export const G1_NOT_ON_CURVE = fromHex(`80${"00".repeat(46)}01`);
/** x = 1 + 0i: x^3 + 4(1 + i) is not a square in Fp2, so no G2 point has this x. */
export const G2_NOT_ON_CURVE = fromHex(`80${"00".repeat(94)}01`);

export function expectBlsError(fn: () => unknown, code: BlsErrorCode): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  if (!(thrown instanceof BlsError)) throw new Error(`expected BlsError ${code}, got ${String(thrown)}`);
  if (thrown.code !== code)
    throw new Error(`expected BlsError ${code}, got ${thrown.code}: ${thrown.message}`);
}
