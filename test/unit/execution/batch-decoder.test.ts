import { afterAll, describe, expect, it } from "vitest";
import { BatchTxDecoder } from "../../../src/execution/batch-decoder.ts";
import {
  fastDecodeExecTx,
  fastDecodeUnrecovered,
  type PendingSignature,
  TxDecodeError,
} from "../../../src/execution/fast-decode.ts";
import { deriveAccounts, seededRandom } from "../../../src/execution/workloads/accounts.ts";
import { NonceBook, signedTransfer } from "../../../src/execution/workloads/generators.ts";

const SEED = 77;

function outcome(raw: Uint8Array): string {
  try {
    const tx = fastDecodeExecTx(raw);
    return `ok ${tx.sender} ${tx.hash} ${tx.nonce} ${tx.to} ${tx.value}`;
  } catch (err) {
    if (err instanceof TxDecodeError) return `err ${err.code}`;
    throw err;
  }
}

describe("batch tx decoder (recovery on 2 workers)", () => {
  const decoder = new BatchTxDecoder({ workers: 2, chunk: 64 });
  afterAll(() => decoder.close());

  it("gives fastDecodeExecTx's result for every tx, valid, corrupted or malformed, in order", async () => {
    const accounts = deriveAccounts(20, 9);
    const random = seededRandom(SEED);
    const nonces = new NonceBook();
    const raws: Uint8Array[] = [];
    for (let i = 0; i < 400; i++) {
      const from = accounts[i % accounts.length];
      const raw = signedTransfer(from, nonces.take(from.address), accounts[(i + 1) % 20].address, BigInt(i));
      // Every 7th: flip a byte (another sender, a bad signature or bad RLP).
      if (i % 7 === 3) raw[1 + Math.floor(random() * (raw.length - 1))] ^= 0xff;
      raws.push(raw);
    }
    raws.push(new Uint8Array(0), Uint8Array.of(0x02, 0xc0), Uint8Array.of(0x05));
    const results = await decoder.decode(raws);
    expect(results.length).toBe(raws.length);
    let errors = 0;
    for (let i = 0; i < raws.length; i++) {
      const r = results[i];
      const got = r.ok
        ? `ok ${r.tx.sender} ${r.tx.hash} ${r.tx.nonce} ${r.tx.to} ${r.tx.value}`
        : `err ${r.error.code}`;
      if (!r.ok) errors++;
      expect(got, `tx ${i} (seed ${SEED})`).toBe(outcome(raws[i]));
    }
    expect(errors).toBeGreaterThanOrEqual(3);
  });

  it("decodeInOrder hands over every chunk once, in order, with decode's results", async () => {
    const accounts = deriveAccounts(12, 3);
    const random = seededRandom(SEED + 1);
    const nonces = new NonceBook();
    const raws: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) {
      const from = accounts[i % accounts.length];
      const raw = signedTransfer(from, nonces.take(from.address), accounts[0].address, BigInt(i));
      if (i % 11 === 5) raw[1 + Math.floor(random() * (raw.length - 1))] ^= 0xff;
      raws.push(raw);
    }
    // A whole chunk of malformed txs (nothing to recover) in the middle.
    raws.splice(130, 0, ...Array.from({ length: 70 }, () => Uint8Array.of(0x05)));
    const expected = (await decoder.decode(raws)).map((r) =>
      r.ok ? `ok ${r.tx.sender}` : `err ${r.error.code}`,
    );
    const seen: string[] = [];
    const starts: number[] = [];
    await decoder.decodeInOrder(raws, async (chunk, first) => {
      starts.push(first);
      expect(first, `seed ${SEED + 1}`).toBe(seen.length);
      await new Promise((resolve) => setImmediate(resolve));
      for (const r of chunk) seen.push(r.ok ? `ok ${r.tx.sender}` : `err ${r.error.code}`);
    });
    expect(seen).toEqual(expected);
    expect(starts.length).toBeGreaterThan(3);
  });

  it("decodeInOrder rejects with the error of a throwing consumer", async () => {
    const accounts = deriveAccounts(2, 5);
    const nonces = new NonceBook();
    const raws = Array.from({ length: 200 }, (_, i) =>
      signedTransfer(accounts[i % 2], nonces.take(accounts[i % 2].address), accounts[0].address, 1n),
    );
    await expect(
      decoder.decodeInOrder(raws, () => {
        throw new Error("consumer failed");
      }),
    ).rejects.toThrow("consumer failed");
  });

  it("recoverSenders gives each checked signature's sender in order, undefined where none recovers", async () => {
    const accounts = deriveAccounts(10, 4);
    const nonces = new NonceBook();
    const raws = Array.from({ length: 300 }, (_, i) =>
      signedTransfer(accounts[i % 10], nonces.take(accounts[i % 10].address), accounts[0].address, 1n),
    );
    const pending: PendingSignature[] = raws.map((raw) => fastDecodeUnrecovered(raw).pending);
    // r above the group order: libsecp256k1 refuses to recover from it.
    const unrecoverable: PendingSignature = {
      ...pending[5],
      signature: Uint8Array.from([
        ...new Uint8Array(31).fill(0xff),
        0x2e,
        ...pending[5].signature.subarray(32),
      ]),
    };
    pending.splice(5, 0, unrecoverable);
    const senders = await decoder.recoverSenders(pending);
    expect(senders[5]).toBeUndefined();
    const expected = raws.map((raw) => fastDecodeExecTx(raw).sender);
    expect(senders.filter((_, i) => i !== 5)).toEqual(expected);
  });
});
