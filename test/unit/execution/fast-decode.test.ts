import { createTx } from "@ethereumjs/tx";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evmCommon } from "../../../src/execution/evm-common.ts";
import { decodeExecTx } from "../../../src/execution/exec-tx.ts";
import { fastDecodeExecTx, TxDecodeError } from "../../../src/execution/fast-decode.ts";
import { deriveAccounts } from "../../../src/execution/workloads/accounts.ts";

const SEED = Number(process.env.FC_SEED ?? 5151);
const accounts = deriveAccounts(4, 3);

describe("direct tx decoder", () => {
  it("agrees with @ethereumjs/tx + native recovery on random signed txs of types 0, 1 and 2", () => {
    const common = evmCommon(4242n, "cancun");
    try {
      fc.assert(
        fc.property(
          fc.record({
            type: fc.constantFrom(0, 1, 2),
            signer: fc.integer({ min: 0, max: 3 }),
            nonce: fc.bigInt({ min: 0n, max: 1n << 40n }),
            gas: fc.bigInt({ min: 21_000n, max: 30_000_000n }),
            fee: fc.bigInt({ min: 0n, max: 10n ** 12n }),
            tip: fc.bigInt({ min: 0n, max: 10n ** 6n }),
            value: fc.bigInt({ min: 0n, max: 10n ** 24n }),
            // Up to 320 bytes: unsigned lists with 1- and 2-byte length headers.
            data: fc.uint8Array({ maxLength: 320 }),
            create: fc.boolean(),
            keys: fc.array(fc.constantFrom(`0x${"00".repeat(31)}01`, `0x${"ab".repeat(32)}`), {
              maxLength: 2,
            }),
          }),
          (f) => {
            const to = f.create ? undefined : accounts[(f.signer + 1) % 4].address;
            const base = { nonce: f.nonce, gasLimit: f.gas, to, value: f.value, data: f.data };
            const txData =
              f.type === 0
                ? { ...base, type: 0, gasPrice: f.fee }
                : f.type === 1
                  ? {
                      ...base,
                      type: 1,
                      chainId: 4242n,
                      gasPrice: f.fee,
                      accessList: [{ address: accounts[0].address, storageKeys: f.keys }],
                    }
                  : {
                      ...base,
                      type: 2,
                      chainId: 4242n,
                      maxFeePerGas: f.fee + f.tip,
                      maxPriorityFeePerGas: f.tip,
                      accessList: [],
                    };
            const raw = createTx(txData, { common }).sign(accounts[f.signer].privateKey).serialize();
            const fast = fastDecodeExecTx(raw);
            const reference = decodeExecTx(raw, common);
            expect(fast).toEqual(reference);
            expect(fast.sender).toBe(accounts[f.signer].address);
          },
        ),
        { seed: SEED, numRuns: 60 },
      );
    } catch (err) {
      throw new Error(`decoder property failed with seed ${SEED}: ${String(err)}`);
    }
  });

  it("rejects garbage, unknown types and high-s signatures with typed errors", () => {
    expect(() => fastDecodeExecTx(new Uint8Array(0))).toThrow(TxDecodeError);
    expect(() => fastDecodeExecTx(Uint8Array.of(0x03, 0xc0))).toThrow(/type 3/);
    expect(() => fastDecodeExecTx(Uint8Array.of(0xc1, 0x80))).toThrow(TxDecodeError);
  });
});
