import * as blst from "@chainsafe/blst";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { describe, expect, it } from "vitest";
import {
  aggregatePublicKeys,
  aggregateSignatures,
  aggregateVerify,
  BLS_POP_DST,
  BLS_SIG_DST,
  BlsPublicKey,
  fastAggregateVerify,
  publicKeyFromSecretKey,
  secretKeyFromSeed,
  sign,
  verify,
} from "../../../src/crypto/bls.ts";
import { verifyBatch } from "../../../src/crypto/bls-batch.ts";
import { popProve, popVerify } from "../../../src/crypto/bls-pop.ts";
import { msg, testKeys } from "./bls-helpers.ts";

const keys = testKeys(8);

describe("BLS keys (EIP-2333)", () => {
  it("derives the EIP-2333 test vector 0 master key", () => {
    // EIP-2333 test case 0: seed → master SK (path "m").
    const seed = Buffer.from(
      "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04",
      "hex",
    );
    const sk = secretKeyFromSeed(seed, "m");
    expect(BigInt(`0x${Buffer.from(sk).toString("hex")}`)).toBe(
      6083874454709270928345386274498605044986640685124978867557563392430687146096n,
    );
    // The EIP-2334 path walks EIP-2333 children: same result as blst's own derivation.
    let node = blst.SecretKey.deriveMasterEip2333(seed);
    for (const index of [12381, 3600, 0, 0, 0]) node = node.deriveChildEip2333(index);
    expect(secretKeyFromSeed(seed, "m/12381/3600/0/0/0")).toEqual(node.toBytes());
  });

  it("is deterministic per seed and path, distinct across paths", () => {
    const seed = new Uint8Array(32).fill(9);
    expect(secretKeyFromSeed(seed)).toEqual(secretKeyFromSeed(seed));
    expect(secretKeyFromSeed(seed, "m/12381/3600/1/0/0")).not.toEqual(secretKeyFromSeed(seed));
    expect(publicKeyFromSecretKey(secretKeyFromSeed(seed))).toHaveLength(48);
  });
});

describe("BLS sign / verify (min-pk, POP ciphersuite)", () => {
  it("exports the two ciphersuite DSTs", () => {
    expect(BLS_SIG_DST).toBe("BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_");
    expect(BLS_POP_DST).toBe("BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_");
  });

  it("signs with BLS_SIG_DST: blst and an independent implementation (noble) give the same bytes", () => {
    const { sk } = keys[0];
    const m = msg("megaseq vote");
    const long = bls12_381.longSignatures;
    const noble = long.Signature.toBytes(long.sign(long.hash(m, BLS_SIG_DST), sk));
    expect(Buffer.from(sign(sk, m)).toString("hex")).toBe(Buffer.from(noble).toString("hex"));
  });

  it("verifies its own signatures and rejects wrong message, key or signature", () => {
    const [a, b] = keys;
    const m = msg("round 7");
    const sig = sign(a.sk, m);
    expect(sig).toHaveLength(96);
    expect(verify(a.pk, m, sig)).toBe(true);
    expect(verify(BlsPublicKey.fromBytes(a.pk), m, sig)).toBe(true);
    expect(verify(a.pk, msg("round 8"), sig)).toBe(false);
    expect(verify(b.pk, m, sig)).toBe(false);
    expect(verify(a.pk, m, sign(b.sk, m))).toBe(false);
  });

  it("aggregates and fast-aggregate-verifies one message (a QC)", () => {
    const m = msg("block 0xabc");
    const sigs = keys.map((k) => sign(k.sk, m));
    const agg = aggregateSignatures(sigs);
    expect(
      fastAggregateVerify(
        keys.map((k) => k.pk),
        m,
        agg,
      ),
    ).toBe(true);
    // The aggregate public key verifies the aggregate signature as a plain signature.
    expect(verify(aggregatePublicKeys(keys.map((k) => k.pk)), m, agg)).toBe(true);
    // Missing one signer → false.
    expect(
      fastAggregateVerify(
        keys.slice(1).map((k) => k.pk),
        m,
        agg,
      ),
    ).toBe(false);
    expect(
      fastAggregateVerify(
        keys.map((k) => k.pk),
        msg("other"),
        agg,
      ),
    ).toBe(false);
  });

  it("aggregate-verifies distinct messages (a TC)", () => {
    const messages = keys.map((_, i) => msg(`timeout round 9 highQc ${i}`));
    const agg = aggregateSignatures(keys.map((k, i) => sign(k.sk, messages[i])));
    expect(
      aggregateVerify(
        keys.map((k) => k.pk),
        messages,
        agg,
      ),
    ).toBe(true);
    const swapped = [messages[1], messages[0], ...messages.slice(2)];
    expect(
      aggregateVerify(
        keys.map((k) => k.pk),
        swapped,
        agg,
      ),
    ).toBe(false);
  });

  it("batch-verifies independent sets and says false when one is bad", () => {
    const items = keys.map((k, i) => ({
      publicKey: k.pk,
      message: msg(`vote ${i}`),
      signature: sign(k.sk, msg(`vote ${i}`)),
    }));
    expect(verifyBatch(items)).toBe(true);
    expect(verifyBatch(items.slice(0, 1))).toBe(true);
    const bad = [...items];
    bad[3] = { ...bad[3], message: msg("forged") };
    expect(verifyBatch(bad)).toBe(false);
    // Two wrong signatures that cancel in a plain sum must not pass the random linear combination.
    const swapped = [...items];
    swapped[0] = { ...items[0], signature: items[1].signature };
    swapped[1] = { ...items[1], signature: items[0].signature };
    expect(verifyBatch(swapped)).toBe(false);
  });

  it("batch-verifies votes on one message (folded with random coefficients), catching cancelling forgeries", () => {
    const m = msg("block 0x77 round 9");
    const items = keys.map((k) => ({ publicKey: k.pk, message: m, signature: sign(k.sk, m) }));
    expect(verifyBatch(items)).toBe(true);
    // Mixed: same-message votes plus distinct messages in one call.
    const mixed = [
      ...items,
      { publicKey: keys[0].pk, message: msg("other"), signature: sign(keys[0].sk, msg("other")) },
    ];
    expect(verifyBatch(mixed)).toBe(true);
    // sig0 + D and sig1 - D: a plain sum still verifies; the random combination must not.
    const G2 = bls12_381.longSignatures.Signature;
    const d = G2.fromBytes(sign(keys[7].sk, msg("offset")));
    const forged = [...items];
    forged[0] = { ...items[0], signature: G2.toBytes(G2.fromBytes(items[0].signature).add(d)) };
    forged[1] = { ...items[1], signature: G2.toBytes(G2.fromBytes(items[1].signature).subtract(d)) };
    expect(
      verify(
        aggregatePublicKeys(keys.map((k) => k.pk)),
        m,
        aggregateSignatures(forged.map((f) => f.signature)),
      ),
    ).toBe(true);
    expect(verifyBatch(forged)).toBe(false);
    // A signature from a key outside the claimed set.
    const wrongSigner = [...items];
    wrongSigner[4] = { ...items[4], signature: items[5].signature };
    expect(verifyBatch(wrongSigner)).toBe(false);
  });

  it("BlsPublicKey.cached returns the validated object for the same bytes", () => {
    const a = BlsPublicKey.cached(keys[0].pk);
    expect(BlsPublicKey.cached(Uint8Array.from(keys[0].pk))).toBe(a);
    expect(a.equals(BlsPublicKey.fromBytes(keys[0].pk))).toBe(true);
    expect(a.toUncompressed()).toHaveLength(96);
  });
});

describe("proof of possession (BLS_POP_DST)", () => {
  it("proves and verifies over a caller-supplied message, and is not a message signature", () => {
    const { sk, pk } = keys[0];
    const binding = msg("megaseq pop | chain 1 | staking 0x00 | sender 0x01");
    const pop = popProve(sk, binding);
    expect(pop).toHaveLength(96);
    expect(popVerify(pk, binding, pop)).toBe(true);
    expect(popVerify(pk, msg("other binding"), pop)).toBe(false);
    expect(popVerify(keys[1].pk, binding, pop)).toBe(false);
    // Domain separation both ways.
    expect(verify(pk, binding, pop)).toBe(false);
    expect(popVerify(pk, binding, sign(sk, binding))).toBe(false);
  });
});
