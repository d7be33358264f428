import { type Address, type Hex, toBytes, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BLS_POP_DST,
  BLS_SIG_DST,
  expandMessageXmd,
  g1ToEip2537,
  g2ToEip2537,
  hashToG2ForEip2537,
  popProve,
  publicKeyFromSecretKey,
  sign,
} from "../../../src/crypto/index.ts";
import { ANVIL_DEV_KEYS, type AnvilHandle, startAnvil } from "../../../src/l1/anvil.ts";
import { BLSHarnessAbi, BYTECODE } from "../../../src/l1/artifacts.ts";
import { connectL1, type L1Clients } from "../../../src/l1/clients.ts";
import { blsSecret } from "./fixture.ts";

// The on-chain BLS library (EIP-2537) against signatures made in TS by blst / @noble/curves.
describe("BLS.sol on anvil", () => {
  let anvil: AnvilHandle;
  let l1: L1Clients;
  let harness: Address;
  const sk = blsSecret(7);
  const otherSk = blsSecret(8);
  const pk = toHex(g1ToEip2537(publicKeyFromSecretKey(sk)));
  const otherPk = toHex(g1ToEip2537(publicKeyFromSecretKey(otherSk)));
  const message = toBytes("megaseq vote bytes");

  const verify = (p: Hex, m: Uint8Array, s: Hex, dst: string): Promise<boolean> =>
    l1.publicClient.readContract({
      address: harness,
      abi: BLSHarnessAbi,
      functionName: "verify",
      args: [p, toHex(m), s, toHex(toBytes(dst))],
    });

  beforeAll(async () => {
    anvil = await startAnvil();
    l1 = await connectL1(anvil.rpcUrl, privateKeyToAccount(ANVIL_DEV_KEYS[0]));
    const hash = await l1.walletClient!.deployContract({ abi: BLSHarnessAbi, bytecode: BYTECODE.BLSHarness });
    const receipt = await l1.publicClient.waitForTransactionReceipt({ hash });
    harness = receipt.contractAddress as Address;
  });
  afterAll(async () => {
    await anvil?.stop();
  });

  it("expand_message_xmd matches the TS implementation", async () => {
    for (const dst of [BLS_SIG_DST, BLS_POP_DST]) {
      const onChain = await l1.publicClient.readContract({
        address: harness,
        abi: BLSHarnessAbi,
        functionName: "expandMessage",
        args: [toHex(message), toHex(toBytes(dst))],
      });
      expect(onChain).toBe(toHex(expandMessageXmd(message, dst, 256)));
    }
  });

  it("hash to G2 matches RFC 9380 as computed in TS, for both DSTs and an empty message", async () => {
    for (const dst of [BLS_SIG_DST, BLS_POP_DST]) {
      for (const m of [message, new Uint8Array(0)]) {
        const onChain = await l1.publicClient.readContract({
          address: harness,
          abi: BLSHarnessAbi,
          functionName: "hashToG2",
          args: [toHex(m), toHex(toBytes(dst))],
        });
        expect(onChain).toBe(toHex(hashToG2ForEip2537(m, dst)));
      }
    }
  });

  it("accepts a blst signature under the message DST and rejects a wrong message, key or DST", async () => {
    const sig = toHex(g2ToEip2537(sign(sk, message)));
    expect(await verify(pk, message, sig, BLS_SIG_DST)).toBe(true);
    expect(await verify(pk, toBytes("another message"), sig, BLS_SIG_DST)).toBe(false);
    expect(await verify(otherPk, message, sig, BLS_SIG_DST)).toBe(false);
    expect(await verify(pk, message, sig, BLS_POP_DST)).toBe(false);
  });

  it("accepts a proof of possession under the PoP DST and rejects it under the message DST", async () => {
    const pop = toHex(g2ToEip2537(popProve(sk, message)));
    expect(await verify(pk, message, pop, BLS_POP_DST)).toBe(true);
    expect(await verify(pk, message, pop, BLS_SIG_DST)).toBe(false);
    const wrongSigner = toHex(g2ToEip2537(popProve(otherSk, message)));
    expect(await verify(pk, message, wrongSigner, BLS_POP_DST)).toBe(false);
  });

  it("refuses the point at infinity as key or signature, and malformed points", async () => {
    const sig = toHex(g2ToEip2537(sign(sk, message)));
    const zeroG1 = toHex(new Uint8Array(128));
    const zeroG2 = toHex(new Uint8Array(256));
    expect(await verify(zeroG1, message, sig, BLS_SIG_DST)).toBe(false);
    expect(await verify(pk, message, zeroG2, BLS_SIG_DST)).toBe(false);
    // Not on the curve: flip the last byte of the key's y.
    const bad = toBytes(pk);
    bad[127] ^= 1;
    expect(await verify(toHex(bad), message, sig, BLS_SIG_DST)).toBe(false);
    // Non-canonical: a nonzero byte in the 16-byte padding.
    const padded = toBytes(pk);
    padded[0] = 1;
    expect(await verify(toHex(padded), message, sig, BLS_SIG_DST)).toBe(false);
    // Wrong lengths are caller bugs: they revert.
    await expect(verify(toHex(toBytes(pk).slice(0, 96)), message, sig, BLS_SIG_DST)).rejects.toThrow();
  });
});
