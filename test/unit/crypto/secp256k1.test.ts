import { Common, Hardfork, Mainnet } from "@ethereumjs/common";
import { createFeeMarket1559Tx, createLegacyTx } from "@ethereumjs/tx";
import { hexToBytes } from "@ethereumjs/util";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  decodeSignedTx,
  nativeCustomCrypto,
  recoverSender,
  TxCryptoError,
  usesNativeCrypto,
} from "../../../src/crypto/secp256k1.ts";

const KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const ADDRESS = privateKeyToAccount(KEY).address.toLowerCase();

const nativeCommon = new Common({
  chain: Mainnet,
  hardfork: Hardfork.Prague,
  customCrypto: nativeCustomCrypto,
});
const defaultCommon = new Common({ chain: Mainnet, hardfork: Hardfork.Prague });

function signed1559(nonce: number): Uint8Array {
  const tx = createFeeMarket1559Tx(
    {
      nonce,
      maxFeePerGas: 10n ** 9n,
      maxPriorityFeePerGas: 1n,
      gasLimit: 21_000n,
      to: "0x000000000000000000000000000000000000dEaD",
      value: 1n,
      chainId: 1n,
    },
    { common: nativeCommon },
  );
  return tx.sign(hexToBytes(KEY)).serialize();
}

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TxCryptoError);
    expect((err as TxCryptoError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

describe("native secp256k1 through @ethereumjs/tx", () => {
  it("is installed on the common", () => {
    expect(usesNativeCrypto(nativeCommon)).toBe(true);
    expect(usesNativeCrypto(defaultCommon)).toBe(false);
  });

  it("signs (native ecsign) and recovers (native ecrecover) the right sender", () => {
    for (let nonce = 0; nonce < 20; nonce++) {
      const raw = signed1559(nonce);
      const { tx, sender } = decodeSignedTx(raw, nativeCommon);
      expect(sender.toString()).toBe(ADDRESS);
      expect(Number(tx.nonce)).toBe(nonce);
      // The default (noble) path agrees byte for byte.
      expect(decodeSignedTx(raw, defaultCommon).sender.toString()).toBe(ADDRESS);
    }
  });

  it("recovers legacy EIP-155 transactions", () => {
    const tx = createLegacyTx(
      { nonce: 3, gasPrice: 10n ** 9n, gasLimit: 21_000n, to: "0x000000000000000000000000000000000000dEaD" },
      { common: nativeCommon },
    ).sign(hexToBytes(KEY));
    expect([37n, 38n]).toContain(tx.v); // EIP-155: chainId 1 * 2 + 35 + recovery
    const { sender } = decodeSignedTx(tx.serialize(), nativeCommon);
    expect(sender.toString()).toBe(ADDRESS);
  });

  it("rejects garbage bytes with TX_MALFORMED", () => {
    expectCode(() => decodeSignedTx(Uint8Array.of(0x02, 0xff, 0x00), nativeCommon), "TX_MALFORMED");
    expectCode(() => decodeSignedTx(new Uint8Array(0), nativeCommon), "TX_MALFORMED");
  });

  it("rejects an unsigned transaction with TX_UNSIGNED", () => {
    const tx = createFeeMarket1559Tx({ nonce: 0, gasLimit: 21_000n }, { common: nativeCommon });
    expectCode(() => recoverSender(tx), "TX_UNSIGNED");
  });

  it("rejects a signature that does not recover with TX_INVALID_SIGNATURE", () => {
    const tx = createFeeMarket1559Tx({ nonce: 0, gasLimit: 21_000n }, { common: nativeCommon });
    // r = 0 is not a valid ECDSA signature: recovery must fail, not return some address.
    const bad = tx.addSignature(0n, 0n, 1n);
    expectCode(() => recoverSender(bad), "TX_INVALID_SIGNATURE");
  });

  it("a tampered signature recovers someone else", () => {
    const raw = signed1559(1);
    const { tx } = decodeSignedTx(raw, nativeCommon);
    const other = tx.addSignature(tx.v!, tx.r! ^ 1n, tx.s!);
    let sender: string | undefined;
    try {
      sender = recoverSender(other).toString();
    } catch (err) {
      expect((err as TxCryptoError).code).toBe("TX_INVALID_SIGNATURE");
    }
    expect(sender).not.toBe(ADDRESS);
  });
});
