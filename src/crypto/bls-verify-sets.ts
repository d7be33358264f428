import * as blst from "@chainsafe/blst";
import { decodeSignature } from "./bls.ts";

/**
 * The verification core shared by the synchronous verifier and the worker threads. A prepared set
 * has already-validated public keys (aggregated when they share one message) and raw signature
 * bytes; `publicKeys.length === messages.length`, and a set of length 1 can join a batch.
 */
export interface PreparedSet<Pk> {
  publicKeys: Pk[];
  messages: Uint8Array[];
  signature: Uint8Array;
}

/**
 * Per-set results. Single-message sets are verified together with one random linear combination
 * (blst's verifyMultipleAggregateSignatures); if that batch fails, each is verified alone so one
 * bad set does not hide which ones are good. Undecodable signatures are `false`, never thrown.
 */
export function verifyPreparedSets(sets: readonly PreparedSet<blst.PublicKey>[]): boolean[] {
  const results = new Array<boolean>(sets.length).fill(false);
  const batch: { index: number; set: blst.SignatureSet }[] = [];
  for (let i = 0; i < sets.length; i++) {
    const set = sets[i];
    let sig: blst.Signature;
    try {
      sig = decodeSignature(set.signature);
    } catch {
      continue;
    }
    if (set.publicKeys.length === 1 && set.messages.length === 1) {
      batch.push({ index: i, set: { pk: set.publicKeys[0], msg: set.messages[0], sig } });
    } else if (set.publicKeys.length === set.messages.length && set.publicKeys.length > 0) {
      results[i] = blst.aggregateVerify(set.messages, set.publicKeys, sig, false, false);
    }
  }
  if (
    batch.length >= 2 &&
    blst.verifyMultipleAggregateSignatures(
      batch.map((b) => b.set),
      false,
      false,
    )
  ) {
    for (const b of batch) results[b.index] = true;
    return results;
  }
  for (const b of batch) results[b.index] = blst.verify(b.set.msg, b.set.pk, b.set.sig, false, false);
  return results;
}
