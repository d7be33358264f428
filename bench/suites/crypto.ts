import { Common, Hardfork, Mainnet } from "@ethereumjs/common";
import { createFeeMarket1559Tx, createTxFromRLP, type TypedTransaction } from "@ethereumjs/tx";
import { keccak_256 } from "@noble/hashes/sha3.js";
import secp256k1 from "secp256k1";
import {
  aggregateSignatures,
  BlsPublicKey,
  type BlsVerifier,
  BlsWorkerPool,
  decodeSignedTx,
  fastAggregateVerify,
  keccak256,
  nativeCustomCrypto,
  publicKeyFromSecretKey,
  SenderRecoveryPool,
  type SignatureSet,
  SyncBlsVerifier,
  secretKeyFromSeed,
  sign,
  verify,
  verifyBatch,
} from "../../src/crypto/index.ts";
import { BatchTxDecoder } from "../../src/execution/batch-decoder.ts";
import { fastDecodeUnrecovered } from "../../src/execution/fast-decode.ts";
import { type BenchResult, progress, secondsPerOp } from "../harness.ts";

/**
 * `npm run bench -- crypto`: BLS (sign, verify, aggregates, batch, worker pool), sender recovery
 * through @ethereumjs/tx with native secp256k1, keccak. Ratios compare within this one run.
 */
const SIZES = [4, 16, 64, 100];
const round = (x: number, digits = 3): number => Number(x.toPrecision(digits));

function blsKeys(n: number): { sk: Uint8Array; pk: BlsPublicKey }[] {
  return Array.from({ length: n }, (_, i) => {
    const seed = new Uint8Array(32);
    seed.fill(1);
    seed[0] = i & 0xff;
    seed[1] = i >> 8;
    const sk = secretKeyFromSeed(seed);
    return { sk, pk: BlsPublicKey.fromBytes(publicKeyFromSecretKey(sk)) };
  });
}

async function benchBls(metrics: Record<string, number>, ratios: Record<string, number>): Promise<void> {
  const keys = blsKeys(100);
  const message = new TextEncoder().encode("megaseq bench signing root 0123456789abcdef");
  const sig = sign(keys[0].sk, message);

  const signS = await secondsPerOp(() => sign(keys[0].sk, message), { iterations: 100 });
  const verifyS = await secondsPerOp(() => verify(keys[0].pk, message, sig), { iterations: 100 });
  metrics.bls_sign_ms = round(signS * 1e3);
  metrics.bls_verify_ms = round(verifyS * 1e3);
  metrics.bls_verify_per_s = Math.round(1 / verifyS);
  progress(`sign ${metrics.bls_sign_ms} ms, verify ${metrics.bls_verify_ms} ms`);

  const sigs = keys.map((k) => sign(k.sk, message));
  for (const n of SIZES) {
    const subset = sigs.slice(0, n);
    const agg = aggregateSignatures(subset);
    const pks = keys.slice(0, n).map((k) => k.pk);
    const aggS = await secondsPerOp(() => aggregateSignatures(subset), { iterations: 10 });
    const favS = await secondsPerOp(() => fastAggregateVerify(pks, message, agg), { iterations: 20 });
    metrics[`bls_aggregate_${n}_ms`] = round(aggS * 1e3);
    metrics[`bls_fast_aggregate_verify_${n}_ms`] = round(favS * 1e3);
    progress(
      `n=${n}: aggregate ${metrics[`bls_aggregate_${n}_ms`]} ms, fastAggregateVerify ${metrics[`bls_fast_aggregate_verify_${n}_ms`]} ms`,
    );
  }

  // 64 votes for one proposal (what a leader collects for a QC: one signing root, 64 signers):
  // one batch vs 64 single verifies. Then the same with 64 distinct messages (timeouts, mixed traffic).
  const blockRoot = new TextEncoder().encode("vote epoch 1 round 7 block 0x1234");
  const votes = keys
    .slice(0, 64)
    .map((k) => ({ publicKey: k.pk, message: blockRoot, signature: sign(k.sk, blockRoot) }));
  const distinct = keys.slice(0, 64).map((k, i) => {
    const m = new TextEncoder().encode(`timeout round 7 validator ${i}`);
    return { publicKey: k.pk, message: m, signature: sign(k.sk, m) };
  });
  const singles = (items: typeof votes) => (): void => {
    for (const v of items) if (!verify(v.publicKey, v.message, v.signature)) throw new Error("bad vote");
  };
  const batch = (items: typeof votes) => (): void => {
    if (!verifyBatch(items)) throw new Error("bad batch");
  };
  const timing = { iterations: 2, samples: 5, warmup: 1 };
  const singleS = await secondsPerOp(singles(votes), timing);
  const batchS = await secondsPerOp(batch(votes), timing);
  const distinctSingleS = await secondsPerOp(singles(distinct), timing);
  const distinctBatchS = await secondsPerOp(batch(distinct), timing);
  metrics.bls_verify_64_single_ms = round(singleS * 1e3);
  metrics.bls_batch_verify_64_ms = round(batchS * 1e3);
  metrics.bls_verify_64_distinct_single_ms = round(distinctSingleS * 1e3);
  metrics.bls_batch_verify_64_distinct_ms = round(distinctBatchS * 1e3);
  ratios.batch_verify_64_vs_single = round(singleS / batchS);
  ratios.batch_verify_64_distinct_vs_single = round(distinctSingleS / distinctBatchS);
  progress(
    `64 votes, one block: singles ${metrics.bls_verify_64_single_ms} ms, batch ${metrics.bls_batch_verify_64_ms} ms (x${ratios.batch_verify_64_vs_single}); distinct messages: singles ${metrics.bls_verify_64_distinct_single_ms} ms, batch ${metrics.bls_batch_verify_64_distinct_ms} ms (x${ratios.batch_verify_64_distinct_vs_single})`,
  );

  // Verifier implementations: 16 callers × 32 distinct-message sets each, all in flight at once.
  const sets: SignatureSet[][] = Array.from({ length: 16 }, (_, c) =>
    distinct.slice(0, 32).map((_v, i) => ({ type: "single", ...distinct[(c + i) % 64] }) as SignatureSet),
  );
  const run = async (verifier: BlsVerifier): Promise<void> => {
    const results = await Promise.all(sets.map((s) => verifier.verifySignatureSets(s)));
    if (!results.every(Boolean)) throw new Error("verifier said false on valid votes");
  };
  const sync = new SyncBlsVerifier();
  const pool = new BlsWorkerPool({ workers: 2, maxSetsPerMessage: 64 });
  const syncS = await secondsPerOp(() => run(sync), { iterations: 1, samples: 5, warmup: 1 });
  const poolS = await secondsPerOp(() => run(pool), { iterations: 1, samples: 5, warmup: 1 });
  await pool.close();
  const total = 16 * 32;
  metrics.verifier_sync_sets_per_s = Math.round(total / syncS);
  metrics.verifier_pool_sets_per_s = Math.round(total / poolS);
  ratios.worker_pool_vs_sync = round(syncS / poolS);
  progress(
    `verifier: sync ${metrics.verifier_sync_sets_per_s}/s, pool(2) ${metrics.verifier_pool_sets_per_s}/s`,
  );
}

/** A signed EIP-1559 transfer of 1 wei to 0x…dEaD on chain 1. */
function signedTransfer(common: Common, key: Uint8Array, nonce: number): Uint8Array {
  const fields = {
    nonce,
    maxFeePerGas: 10n ** 9n,
    maxPriorityFeePerGas: 1n,
    gasLimit: 21_000n,
    to: "0x000000000000000000000000000000000000dEaD" as const,
    value: 1n,
    chainId: 1n,
  };
  return createFeeMarket1559Tx(fields, { common }).sign(key).serialize();
}

async function benchSenderRecovery(
  metrics: Record<string, number>,
  ratios: Record<string, number>,
): Promise<void> {
  const nativeCommon = new Common({
    chain: Mainnet,
    hardfork: Hardfork.Prague,
    customCrypto: nativeCustomCrypto,
  });
  const defaultCommon = new Common({ chain: Mainnet, hardfork: Hardfork.Prague });
  const sk = Uint8Array.from(
    Buffer.from("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", "hex"),
  );
  const raws = Array.from({ length: 500 }, (_, nonce) => signedTransfer(nativeCommon, sk, nonce));
  // Unfrozen txs do not cache their sender: every call below runs a real recovery.
  const decode = (common: Common): TypedTransaction[] =>
    raws.map((r) => createTxFromRLP(r, { common, freeze: false }) as TypedTransaction);
  const nativeTxs = decode(nativeCommon);
  const defaultTxs = decode(defaultCommon);
  let i = 0;
  const nativeS = await secondsPerOp(() => nativeTxs[i++ % 500].getSenderAddress(), { iterations: 2000 });
  const defaultS = await secondsPerOp(() => defaultTxs[i++ % 500].getSenderAddress(), {
    iterations: 100,
    samples: 3,
  });
  const decodeS = await secondsPerOp(() => decodeSignedTx(raws[i++ % 500], nativeCommon), {
    iterations: 1000,
  });
  // Reference: the bare native call, to tell a slow path from a busy machine.
  const h = new Uint8Array(32).fill(3);
  const bare = secp256k1.ecdsaSign(h, sk);
  const bareS = await secondsPerOp(() => secp256k1.ecdsaRecover(bare.signature, bare.recid, h, false), {
    iterations: 2000,
  });
  // Decode + recover on 2 worker threads through the @ethereumjs/tx-based pool, 8 callers × 250 txs.
  const pool = new SenderRecoveryPool({ chainId: 1n, workers: 2, maxTxsPerMessage: 250 });
  const poolS = await secondsPerOp(
    async () => {
      const out = await Promise.all(
        Array.from({ length: 8 }, (_, c) => pool.recoverSenders(raws.slice(c * 50, c * 50 + 250))),
      );
      if (!out.every((r) => r.every((x) => x.ok))) throw new Error("recovery failed");
    },
    { iterations: 1, samples: 5, warmup: 1 },
  );
  await pool.close();
  // The node's path (BatchTxDecoder): the main thread decodes and checks each tx, the public-key
  // recoveries run in batches of 128 on 2 worker threads. 4,000 txs from 200 distinct senders.
  const many = Array.from({ length: 4000 }, (_, n) =>
    signedTransfer(nativeCommon, new Uint8Array(32).fill(1 + (n % 200)), n),
  );
  const pending = many.map((raw) => fastDecodeUnrecovered(raw).pending);
  const decoder = new BatchTxDecoder({ workers: 2 });
  const recoverPoolS = await secondsPerOp(
    async () => {
      const senders = await decoder.recoverSenders(pending);
      if (!senders.every((x) => x !== undefined)) throw new Error("recovery failed");
    },
    { iterations: 1, samples: 7, warmup: 1 },
  );
  const decodePoolS = await secondsPerOp(
    async () => {
      const out = await decoder.decode(many);
      if (!out.every((x) => x.ok)) throw new Error("decode failed");
    },
    { iterations: 1, samples: 7, warmup: 1 },
  );
  await decoder.close();
  // Recoveries per second of the node's recovery pool (2 worker threads on this 2-core machine).
  // One thread cannot reach 15,000/s here: the bare libsecp256k1 call itself runs ~13-14k/s.
  metrics.sender_recover_per_s = Math.round(many.length / recoverPoolS);
  metrics.sender_recover_one_thread_per_s = Math.round(1 / nativeS);
  metrics.secp256k1_bare_recover_per_s = Math.round(1 / bareS);
  metrics.tx_decode_and_recover_node_pool2_per_s = Math.round(many.length / decodePoolS);
  metrics.tx_decode_and_recover_pool2_per_s = Math.round(2000 / poolS);
  metrics.sender_recover_default_per_s = Math.round(1 / defaultS);
  metrics.tx_decode_and_recover_per_s = Math.round(1 / decodeS);
  ratios.sender_recover_native_vs_default = round(defaultS / nativeS);
  ratios.sender_recover_pool2_vs_one_thread = round(nativeS * metrics.sender_recover_per_s);
  progress(
    `sender recovery: node pool (2 workers) ${metrics.sender_recover_per_s}/s; one thread via @ethereumjs/tx ${metrics.sender_recover_one_thread_per_s}/s (bare call ${metrics.secp256k1_bare_recover_per_s}/s), default ${metrics.sender_recover_default_per_s}/s; decode+recover: one thread ${metrics.tx_decode_and_recover_per_s}/s, node pool ${metrics.tx_decode_and_recover_node_pool2_per_s}/s, @ethereumjs pool ${metrics.tx_decode_and_recover_pool2_per_s}/s`,
  );
}

async function benchKeccak(metrics: Record<string, number>, ratios: Record<string, number>): Promise<void> {
  const data = new Uint8Array(32).fill(7);
  const wasmS = await secondsPerOp(() => keccak256(data), { iterations: 20_000 });
  const nobleS = await secondsPerOp(() => keccak_256(data), { iterations: 20_000 });
  metrics.keccak_32b_per_s = Math.round(1 / wasmS);
  metrics.keccak_32b_noble_per_s = Math.round(1 / nobleS);
  ratios.keccak_hashwasm_vs_noble = round(nobleS / wasmS);
  progress(`keccak 32 B: hash-wasm ${metrics.keccak_32b_per_s}/s, noble ${metrics.keccak_32b_noble_per_s}/s`);
}

export async function run(): Promise<BenchResult> {
  const metrics: Record<string, number> = {};
  const ratios: Record<string, number> = {};
  await benchBls(metrics, ratios);
  await benchSenderRecovery(metrics, ratios);
  await benchKeccak(metrics, ratios);
  return { metrics, ratios };
}
