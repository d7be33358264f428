import { afterAll, describe, expect, it } from "vitest";
import { aggregateSignatures, BlsPublicKey, sign } from "../../../src/crypto/bls.ts";
import { BlsError } from "../../../src/crypto/bls-error.ts";
import type { BlsVerifier, SignatureSet } from "../../../src/crypto/bls-verifier.ts";
import { SyncBlsVerifier } from "../../../src/crypto/bls-verifier-sync.ts";
import { BlsWorkerPool } from "../../../src/crypto/bls-worker-pool.ts";
import { G1_INFINITY, G2_INFINITY, G2_NOT_IN_SUBGROUP, msg, testKeys } from "./bls-helpers.ts";

const keys = testKeys(6);
const committee = keys.map((k) => BlsPublicKey.fromBytes(k.pk));

type Single = Extract<SignatureSet, { type: "single" }>;
type Aggregate = Extract<SignatureSet, { type: "aggregate" }>;

function vote(i: number, text = `vote ${i}`): Single {
  return {
    type: "single",
    publicKey: committee[i],
    message: msg(text),
    signature: sign(keys[i].sk, msg(text)),
  };
}

function qc(text: string, signers: number[]): Aggregate {
  return {
    type: "aggregate",
    publicKeys: signers.map((i) => committee[i]),
    message: msg(text),
    signature: aggregateSignatures(signers.map((i) => sign(keys[i].sk, msg(text)))),
  };
}

function tc(signers: number[]): SignatureSet {
  const messages = signers.map((i) => msg(`timeout 5 highQc ${i}`));
  return {
    type: "multiMessage",
    publicKeys: signers.map((i) => keys[i].pk), // raw bytes go through the cache
    messages,
    signature: aggregateSignatures(signers.map((i, j) => sign(keys[i].sk, messages[j]))),
  };
}

const made: BlsVerifier[] = [];
afterAll(async () => {
  await Promise.all(made.map((v) => v.close()));
});

describe.each([
  ["SyncBlsVerifier", (): BlsVerifier => new SyncBlsVerifier()],
  ["BlsWorkerPool", (): BlsVerifier => new BlsWorkerPool({ workers: 2, maxSetsPerMessage: 8 })],
])("%s", (_name, create) => {
  const verifier = create();
  made.push(verifier);

  it("accepts valid single, aggregate and multi-message sets", async () => {
    expect(await verifier.verifySignatureSets([vote(0)])).toBe(true);
    expect(
      await verifier.verifySignatureSets([
        vote(0),
        vote(1),
        vote(2),
        qc("block a", [0, 1, 2, 3]),
        tc([1, 2, 4]),
      ]),
    ).toBe(true);
  });

  it("rejects a batch with one bad set and says which one", async () => {
    const sets = [vote(0), vote(1), { ...vote(2), message: msg("forged") }, vote(3), qc("block b", [0, 1])];
    expect(await verifier.verifySignatureSets(sets)).toBe(false);
    expect(await verifier.verifyEach(sets)).toEqual([true, true, false, true, true]);
  });

  it("rejects a QC missing a signer and a TC with swapped messages", async () => {
    const bad = { ...qc("block c", [0, 1, 2]), publicKeys: [committee[0], committee[1]] };
    const t = tc([0, 1]);
    const swapped = { ...t, messages: [...(t.type === "multiMessage" ? t.messages : [])].reverse() };
    expect(await verifier.verifyEach([bad, swapped, vote(5)])).toEqual([false, false, true]);
  });

  it("votes on one block: folded together when good, each one judged when one is bad", async () => {
    const votes = [0, 1, 2, 3, 4, 5].map((i) => vote(i, "block d"));
    expect(await verifier.verifySignatureSets(votes)).toBe(true);
    const withBad = [...votes];
    withBad[2] = { ...votes[2], signature: votes[3].signature };
    withBad[4] = { ...votes[4], signature: G2_INFINITY };
    const distinct = vote(1, "something else");
    expect(await verifier.verifyEach([...withBad, distinct])).toEqual([
      true,
      true,
      false,
      true,
      false,
      true,
      true,
    ]);
    expect(await verifier.verifySignatureSets(withBad)).toBe(false);
  });

  it("malformed signatures make their set false, never true", async () => {
    const sets: SignatureSet[] = [
      { ...vote(0), signature: G2_INFINITY },
      { ...vote(1), signature: G2_NOT_IN_SUBGROUP },
      { ...vote(2), signature: new Uint8Array(10) },
      vote(3),
    ];
    expect(await verifier.verifyEach(sets)).toEqual([false, false, false, true]);
    expect(await verifier.verifySignatureSets(sets)).toBe(false);
  });

  it("malformed public keys and empty input are caller errors (BlsError)", async () => {
    await expect(
      verifier.verifySignatureSets([{ ...vote(0), publicKey: G1_INFINITY }]),
    ).rejects.toMatchObject({
      code: "PUBKEY_IS_INFINITY",
    });
    await expect(verifier.verifySignatureSets([])).rejects.toBeInstanceOf(BlsError);
    await expect(verifier.verifySignatureSets([{ ...qc("x", [0]), publicKeys: [] }])).rejects.toMatchObject({
      code: "EMPTY_AGGREGATE",
    });
  });

  it("answers many concurrent callers correctly (jobs merged into worker messages)", async () => {
    const calls = Array.from({ length: 24 }, (_, i) => {
      const good = i % 5 !== 3;
      const set = good ? vote(i % 6, `v${i}`) : { ...vote(i % 6, `v${i}`), message: msg("bad") };
      return verifier.verifySignatureSets([set, vote((i + 1) % 6, `w${i}`)]).then((r) => [r, good]);
    });
    for (const [result, good] of await Promise.all(calls)) expect(result).toBe(good);
  });
});

describe("BlsWorkerPool lifecycle", () => {
  it("close() terminates workers and refuses new work with VERIFIER_CLOSED", async () => {
    const pool = new BlsWorkerPool({ workers: 1 });
    const pending = expect(pool.verifySignatureSets([vote(0), vote(1)])).rejects.toMatchObject({
      code: "VERIFIER_CLOSED",
    });
    await pool.close();
    await pending;
    await expect(pool.verifySignatureSets([vote(0)])).rejects.toMatchObject({ code: "VERIFIER_CLOSED" });
    await pool.close(); // idempotent
  });
});
