import { createFeeMarket1559Tx } from "@ethereumjs/tx";
import { hexToBytes } from "@ethereumjs/util";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { createNativeCommon, usesNativeCrypto } from "../../../src/crypto/secp256k1.ts";
import { SenderRecoveryPool } from "../../../src/crypto/sender-recovery-pool.ts";

const KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
] as const;
const CHAIN_ID = 6342n;
const common = createNativeCommon(CHAIN_ID);

function signed(keyIndex: number, nonce: number): Uint8Array {
  return createFeeMarket1559Tx(
    { nonce, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 1n, gasLimit: 21_000n, chainId: CHAIN_ID },
    { common },
  )
    .sign(hexToBytes(KEYS[keyIndex]))
    .serialize();
}

const hexOf = (b: Uint8Array): string => `0x${Buffer.from(b).toString("hex")}`;

describe("SenderRecoveryPool", () => {
  const pool = new SenderRecoveryPool({ chainId: CHAIN_ID, workers: 2, maxTxsPerMessage: 16 });
  afterAll(() => pool.close());

  it("createNativeCommon carries the chain id and native crypto", () => {
    expect(common.chainId()).toBe(CHAIN_ID);
    expect(usesNativeCrypto(common)).toBe(true);
  });

  it("recovers senders in order across concurrent callers, and reports bad txs by code", async () => {
    const addresses = KEYS.map((k) => privateKeyToAccount(k).address.toLowerCase());
    const calls = Array.from({ length: 6 }, (_, c) => {
      const raws = Array.from({ length: 10 }, (_, i) => signed((c + i) % 2, c * 10 + i));
      raws.push(Uint8Array.of(0x02, 0xc0)); // a typed envelope with an empty list: malformed
      return pool.recoverSenders(raws).then((results) => ({ c, results }));
    });
    for (const { c, results } of await Promise.all(calls)) {
      expect(results).toHaveLength(11);
      for (let i = 0; i < 10; i++) {
        const r = results[i];
        expect(r.ok && hexOf(r.sender)).toBe(addresses[(c + i) % 2]);
      }
      expect(results[10]).toMatchObject({ ok: false, code: "TX_MALFORMED" });
    }
  });

  it("a tx signed for another chain does not recover as its signer", async () => {
    const other = createNativeCommon(1n);
    const raw = createFeeMarket1559Tx({ nonce: 0, gasLimit: 21_000n, chainId: 1n }, { common: other })
      .sign(hexToBytes(KEYS[0]))
      .serialize();
    const [result] = await pool.recoverSenders([raw]);
    expect(result.ok).toBe(false);
  });

  it("refuses work after close() with POOL_CLOSED", async () => {
    const p = new SenderRecoveryPool({ chainId: CHAIN_ID, workers: 1 });
    await p.close();
    await expect(p.recoverSenders([signed(0, 0)])).rejects.toMatchObject({ code: "POOL_CLOSED" });
  });
});
