import { describe, expect, it } from "vitest";
import {
  aggregatePublicKeys,
  aggregateSignatures,
  aggregateVerify,
  BlsPublicKey,
  fastAggregateVerify,
  publicKeyFromSecretKey,
  secretKeyFromSeed,
  sign,
  validateSignature,
  verify,
} from "../../../src/crypto/bls.ts";
import { verifyBatch } from "../../../src/crypto/bls-batch.ts";
import { popProve, popVerify } from "../../../src/crypto/bls-pop.ts";
import {
  expectBlsError,
  G1_INFINITY,
  G1_NOT_IN_SUBGROUP,
  G1_NOT_ON_CURVE,
  G2_INFINITY,
  G2_NOT_IN_SUBGROUP,
  G2_NOT_ON_CURVE,
  msg,
  testKeys,
} from "./bls-helpers.ts";

const [a, b] = testKeys(2);
const m = msg("vote");
const sig = sign(a.sk, m);

describe("bad public key bytes end in typed BlsErrors", () => {
  it("wrong length → INVALID_PUBKEY_LENGTH", () => {
    expectBlsError(() => BlsPublicKey.fromBytes(a.pk.subarray(0, 47)), "INVALID_PUBKEY_LENGTH");
    expectBlsError(() => verify(new Uint8Array(49), m, sig), "INVALID_PUBKEY_LENGTH");
    expectBlsError(() => verify(new Uint8Array(0), m, sig), "INVALID_PUBKEY_LENGTH");
  });

  it("not on the curve → PUBKEY_NOT_ON_CURVE", () => {
    expectBlsError(() => BlsPublicKey.fromBytes(G1_NOT_ON_CURVE), "PUBKEY_NOT_ON_CURVE");
    expectBlsError(() => verify(G1_NOT_ON_CURVE, m, sig), "PUBKEY_NOT_ON_CURVE");
  });

  it("on the curve but not in the subgroup → PUBKEY_NOT_IN_SUBGROUP", () => {
    expectBlsError(() => BlsPublicKey.fromBytes(G1_NOT_IN_SUBGROUP), "PUBKEY_NOT_IN_SUBGROUP");
    expectBlsError(() => fastAggregateVerify([a.pk, G1_NOT_IN_SUBGROUP], m, sig), "PUBKEY_NOT_IN_SUBGROUP");
  });

  it("the point at infinity → PUBKEY_IS_INFINITY", () => {
    expectBlsError(() => BlsPublicKey.fromBytes(G1_INFINITY), "PUBKEY_IS_INFINITY");
    expectBlsError(() => verify(G1_INFINITY, m, sig), "PUBKEY_IS_INFINITY");
    expectBlsError(() => aggregatePublicKeys([a.pk, G1_INFINITY]), "PUBKEY_IS_INFINITY");
  });

  it("bad compression flags or x ≥ p → PUBKEY_BAD_ENCODING", () => {
    const noCompressionFlag = Uint8Array.from(a.pk);
    noCompressionFlag[0] &= 0x7f;
    expectBlsError(() => BlsPublicKey.fromBytes(noCompressionFlag), "PUBKEY_BAD_ENCODING");
    expectBlsError(() => BlsPublicKey.fromBytes(new Uint8Array(48)), "PUBKEY_BAD_ENCODING");
    const xTooBig = new Uint8Array(48).fill(0xff);
    xTooBig[0] = 0x9f;
    expectBlsError(() => BlsPublicKey.fromBytes(xTooBig), "PUBKEY_BAD_ENCODING");
  });
});

describe("bad signature bytes end in typed BlsErrors", () => {
  it("wrong length → INVALID_SIGNATURE_LENGTH", () => {
    expectBlsError(() => verify(a.pk, m, sig.subarray(0, 95)), "INVALID_SIGNATURE_LENGTH");
    expectBlsError(() => aggregateSignatures([sig, new Uint8Array(48)]), "INVALID_SIGNATURE_LENGTH");
  });

  it("not on the curve → SIGNATURE_NOT_ON_CURVE", () => {
    expectBlsError(() => validateSignature(G2_NOT_ON_CURVE), "SIGNATURE_NOT_ON_CURVE");
    expectBlsError(() => verify(a.pk, m, G2_NOT_ON_CURVE), "SIGNATURE_NOT_ON_CURVE");
  });

  it("on the curve but not in the subgroup → SIGNATURE_NOT_IN_SUBGROUP", () => {
    expectBlsError(() => verify(a.pk, m, G2_NOT_IN_SUBGROUP), "SIGNATURE_NOT_IN_SUBGROUP");
    expectBlsError(() => aggregateSignatures([sig, G2_NOT_IN_SUBGROUP]), "SIGNATURE_NOT_IN_SUBGROUP");
  });

  it("the point at infinity → SIGNATURE_IS_INFINITY (never a `true`)", () => {
    expectBlsError(() => verify(a.pk, m, G2_INFINITY), "SIGNATURE_IS_INFINITY");
    expectBlsError(() => fastAggregateVerify([a.pk], m, G2_INFINITY), "SIGNATURE_IS_INFINITY");
    expectBlsError(() => aggregateVerify([a.pk], [m], G2_INFINITY), "SIGNATURE_IS_INFINITY");
    expectBlsError(
      () => verifyBatch([{ publicKey: a.pk, message: m, signature: G2_INFINITY }]),
      "SIGNATURE_IS_INFINITY",
    );
  });

  it("bad compression flags → SIGNATURE_BAD_ENCODING", () => {
    expectBlsError(() => verify(a.pk, m, new Uint8Array(96)), "SIGNATURE_BAD_ENCODING");
    const infinityFlagWithData = Uint8Array.from(G2_INFINITY);
    infinityFlagWithData[95] = 1;
    expectBlsError(() => verify(a.pk, m, infinityFlagWithData), "SIGNATURE_BAD_ENCODING");
  });
});

describe("misuse ends in typed BlsErrors", () => {
  it("empty aggregates → EMPTY_AGGREGATE", () => {
    expectBlsError(() => aggregateSignatures([]), "EMPTY_AGGREGATE");
    expectBlsError(() => aggregatePublicKeys([]), "EMPTY_AGGREGATE");
    expectBlsError(() => fastAggregateVerify([], m, sig), "EMPTY_AGGREGATE");
    expectBlsError(() => aggregateVerify([], [], sig), "EMPTY_AGGREGATE");
    expectBlsError(() => verifyBatch([]), "EMPTY_AGGREGATE");
  });

  it("keys and messages of different lengths → LENGTH_MISMATCH", () => {
    expectBlsError(() => aggregateVerify([a.pk, b.pk], [m], sig), "LENGTH_MISMATCH");
  });

  it("bad secret keys → INVALID_SECRET_KEY_LENGTH / INVALID_SECRET_KEY", () => {
    expectBlsError(() => sign(new Uint8Array(31), m), "INVALID_SECRET_KEY_LENGTH");
    expectBlsError(() => publicKeyFromSecretKey(new Uint8Array(32)), "INVALID_SECRET_KEY");
    expectBlsError(() => sign(new Uint8Array(32).fill(0xff), m), "INVALID_SECRET_KEY");
    expectBlsError(() => popProve(new Uint8Array(32), m), "INVALID_SECRET_KEY");
    expectBlsError(() => popProve(new Uint8Array(33), m), "INVALID_SECRET_KEY_LENGTH");
  });

  it("short seed → INVALID_SEED; malformed path → INVALID_DERIVATION_PATH", () => {
    expectBlsError(() => secretKeyFromSeed(new Uint8Array(16)), "INVALID_SEED");
    expectBlsError(() => secretKeyFromSeed(new Uint8Array(32), "12381/3600"), "INVALID_DERIVATION_PATH");
    expectBlsError(() => secretKeyFromSeed(new Uint8Array(32), "m/12381/x"), "INVALID_DERIVATION_PATH");
  });

  it("proof-of-possession checks reject bad bytes the same way", () => {
    expectBlsError(() => popVerify(G1_INFINITY, m, sig), "PUBKEY_IS_INFINITY");
    expectBlsError(() => popVerify(a.pk, m, G2_NOT_IN_SUBGROUP), "SIGNATURE_NOT_IN_SUBGROUP");
    expectBlsError(() => popVerify(a.pk, m, G2_INFINITY), "SIGNATURE_IS_INFINITY");
  });

  it("fuzz: random bytes never verify and only throw BlsError (seeded)", () => {
    const seed = 20261121;
    let x = seed;
    const rand = (): number => {
      x = (x * 1664525 + 1013904223) >>> 0;
      return x >>> 24;
    };
    for (let i = 0; i < 200; i++) {
      const pk = Uint8Array.from({ length: 48 }, rand);
      const s = Uint8Array.from({ length: 96 }, rand);
      if (i % 2 === 0) pk[0] = (pk[0] & 0x1f) | 0x80; // compressed flag: reach the curve checks
      if (i % 3 === 0) s[0] = (s[0] & 0x1f) | 0x80;
      let result: boolean | undefined;
      try {
        result = verify(pk, m, s);
      } catch (err) {
        expect((err as Error).name, `seed ${seed} iteration ${i}`).toBe("BlsError");
      }
      expect(result, `seed ${seed} iteration ${i}`).not.toBe(true);
    }
  });
});
