import { expand_message_xmd, hash_to_field } from "@noble/curves/abstract/hash-to-curve.js";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { createPublicClient, type Hex, http, type PublicClient, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  aggregatePublicKeys,
  aggregateSignatures,
  BLS_POP_DST,
  BLS_SIG_DST,
  sign,
} from "../../../src/crypto/bls.ts";
import { popProve } from "../../../src/crypto/bls-pop.ts";
import {
  EIP2537_PRECOMPILES,
  fp2ToEip2537,
  g1FromEip2537,
  g1ToEip2537,
  g2FromEip2537,
  g2ToEip2537,
  hashToG2ForEip2537,
  pairingCheckInput,
} from "../../../src/crypto/eip2537.ts";
import { BLS12_381_P, expandMessageXmd, hashToFieldFp2 } from "../../../src/crypto/hash-to-field.ts";
import { type AnvilHandle, startAnvil } from "../../../src/l1/anvil.ts";
import { expectBlsError, G1_NOT_IN_SUBGROUP, msg, testKeys } from "./bls-helpers.ts";

const keys = testKeys(4);
// @noble/curves types its hash parameter against its own @noble/hashes copy; same function at runtime.
const nobleSha256 = sha256 as unknown as Parameters<typeof expand_message_xmd>[3];
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("EIP-2537 encodings", () => {
  it("G1 generator encodes to the known EIP-2537 bytes", () => {
    const g1 = bls12_381.G1.Point.BASE.toAffine();
    const enc = g1ToEip2537(bls12_381.G1.Point.BASE.toBytes(true));
    expect(hex(enc.subarray(0, 16))).toBe("00".repeat(16));
    expect(BigInt(`0x${hex(enc.subarray(0, 64))}`)).toBe(g1.x);
    expect(BigInt(`0x${hex(enc.subarray(64))}`)).toBe(g1.y);
    expect(hex(enc.subarray(16, 20))).toBe("17f1d3a7");
  });

  it("G2 puts c0 before c1 (blst/zcash compressed bytes put c1 first)", () => {
    const sig = sign(keys[0].sk, msg("order"));
    const enc = g2ToEip2537(sig);
    const p = bls12_381.longSignatures.Signature.fromBytes(sig).toAffine();
    const fp = (i: number): bigint => BigInt(`0x${hex(enc.subarray(i * 64, (i + 1) * 64))}`);
    expect([fp(0), fp(1), fp(2), fp(3)]).toEqual([p.x.c0, p.x.c1, p.y.c0, p.y.c1]);
  });

  it("round-trips public keys and signatures", () => {
    for (const k of keys) {
      expect(g1FromEip2537(g1ToEip2537(k.pk))).toEqual(k.pk);
      const sig = sign(k.sk, msg("rt"));
      expect(g2FromEip2537(g2ToEip2537(sig))).toEqual(sig);
    }
  });

  it("rejects bad EIP-2537 bytes with typed errors", () => {
    const enc = g1ToEip2537(keys[0].pk);
    expectBlsError(() => g1FromEip2537(enc.subarray(1)), "EIP2537_BAD_ENCODING");
    const dirtyPad = Uint8Array.from(enc);
    dirtyPad[0] = 1;
    expectBlsError(() => g1FromEip2537(dirtyPad), "EIP2537_BAD_ENCODING");
    expectBlsError(() => g1FromEip2537(new Uint8Array(128)), "PUBKEY_IS_INFINITY");
    const offCurve = Uint8Array.from(enc);
    offCurve[127] ^= 1;
    expectBlsError(() => g1FromEip2537(offCurve), "PUBKEY_NOT_ON_CURVE");
    expectBlsError(() => g2FromEip2537(new Uint8Array(256)), "SIGNATURE_IS_INFINITY");
    expectBlsError(() => g2FromEip2537(new Uint8Array(255)), "EIP2537_BAD_ENCODING");
    expectBlsError(() => g1ToEip2537(G1_NOT_IN_SUBGROUP), "PUBKEY_NOT_IN_SUBGROUP");
  });
});

describe("hash_to_field (RFC 9380, expand_message_xmd SHA-256)", () => {
  it("matches the RFC 9380 expand_message_xmd test vectors", () => {
    const dst = "QUUX-V01-CS02-with-expander-SHA256-128";
    expect(hex(expandMessageXmd(msg(""), dst, 0x20))).toBe(
      "68a985b87eb6b46952128911f2a4412bbc302a9d759667f87f7a21d803f07235",
    );
    expect(hex(expandMessageXmd(msg("abc"), dst, 0x20))).toBe(
      "d8ccab23b5985ccea865c6c97b6e5b8350e794e603b4b97902f53a8a0d605615",
    );
  });

  it("agrees with @noble/curves on many messages and both DSTs, long DSTs included", () => {
    const longDst = "X".repeat(300);
    for (const dst of [BLS_SIG_DST, BLS_POP_DST, longDst]) {
      for (let i = 0; i < 20; i++) {
        const m = Uint8Array.from({ length: i * 13 }, (_, j) => (j * 31 + i) & 0xff);
        expect(hex(expandMessageXmd(m, dst, 256))).toBe(hex(expand_message_xmd(m, dst, 256, nobleSha256)));
        const ours = hashToFieldFp2(m, dst);
        const theirs = hash_to_field(m, 2, {
          DST: dst,
          p: BLS12_381_P,
          m: 2,
          k: 128,
          expand: "xmd",
          hash: nobleSha256,
        });
        expect(ours.map((u) => [u.c0, u.c1])).toEqual(theirs);
      }
    }
  });
});

/** The precompiles of a real anvil (Prague): the same code path the L1 contracts use. */
describe("signatures checked by the EIP-2537 precompiles on a real anvil", () => {
  let anvil: AnvilHandle;
  let client: PublicClient;

  beforeAll(async () => {
    anvil = await startAnvil();
    client = createPublicClient({ transport: http(anvil.rpcUrl) });
  });
  afterAll(async () => {
    await anvil?.stop();
  });

  async function precompile(address: Hex, input: Uint8Array): Promise<Uint8Array> {
    const { data } = await client.call({ to: address, data: toHex(input) });
    return Uint8Array.from(Buffer.from((data ?? "0x").slice(2), "hex"));
  }

  /** H(m) built exactly as Solidity will: hash_to_field in TS, map and add by precompile. */
  async function hashToG2OnChain(message: Uint8Array, dst: string): Promise<Uint8Array> {
    const [u0, u1] = hashToFieldFp2(message, dst);
    const q0 = await precompile(EIP2537_PRECOMPILES.MAP_FP2_TO_G2, fp2ToEip2537(u0));
    const q1 = await precompile(EIP2537_PRECOMPILES.MAP_FP2_TO_G2, fp2ToEip2537(u1));
    const sum = new Uint8Array(512);
    sum.set(q0, 0);
    sum.set(q1, 256);
    return precompile(EIP2537_PRECOMPILES.G2ADD, sum);
  }

  async function pairing(input: Uint8Array): Promise<boolean> {
    const out = await precompile(EIP2537_PRECOMPILES.PAIRING_CHECK, input);
    expect(out).toHaveLength(32);
    return out[31] === 1;
  }

  it("MAP_FP2_TO_G2(u0) + MAP_FP2_TO_G2(u1) equals H(m): the TS hash_to_field is what Solidity needs", async () => {
    for (const dst of [BLS_SIG_DST, BLS_POP_DST]) {
      const m = msg(`signing root for ${dst}`);
      expect(hex(await hashToG2OnChain(m, dst))).toBe(hex(hashToG2ForEip2537(m, dst)));
    }
  });

  it("PAIRING accepts a TS-made signature (1) and refuses a wrong message or key (0)", async () => {
    const m = msg("megaseq vote epoch 1 round 42");
    const sig = sign(keys[0].sk, m);
    const hm = await hashToG2OnChain(m, BLS_SIG_DST);
    expect(await pairing(pairingCheckInput(keys[0].pk, hm, sig))).toBe(true);
    const wrongMessage = await hashToG2OnChain(msg("megaseq vote epoch 1 round 43"), BLS_SIG_DST);
    expect(await pairing(pairingCheckInput(keys[0].pk, wrongMessage, sig))).toBe(false);
    expect(await pairing(pairingCheckInput(keys[1].pk, hm, sig))).toBe(false);
    expect(await pairing(pairingCheckInput(keys[0].pk, hm, sign(keys[1].sk, m)))).toBe(false);
  });

  it("PAIRING accepts an aggregate QC signature against the aggregate key", async () => {
    const m = msg("block 0x42");
    const agg = aggregateSignatures(keys.map((k) => sign(k.sk, m)));
    const aggPk = aggregatePublicKeys(keys.map((k) => k.pk));
    const hm = hashToG2ForEip2537(m, BLS_SIG_DST);
    expect(await pairing(pairingCheckInput(aggPk, hm, agg))).toBe(true);
    const partialPk = aggregatePublicKeys(keys.slice(1).map((k) => k.pk));
    expect(await pairing(pairingCheckInput(partialPk, hm, agg))).toBe(false);
  });

  it("PAIRING accepts a proof of possession under BLS_POP_DST, and not under the message DST", async () => {
    const binding = msg("pop | chain 31337 | staking 0xabc | sender 0xdef");
    const pop = popProve(keys[2].sk, binding);
    const popHash = await hashToG2OnChain(binding, BLS_POP_DST);
    expect(await pairing(pairingCheckInput(keys[2].pk, popHash, pop))).toBe(true);
    const sigHash = await hashToG2OnChain(binding, BLS_SIG_DST);
    expect(await pairing(pairingCheckInput(keys[2].pk, sigHash, pop))).toBe(false);
  });
});
