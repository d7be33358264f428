import * as blst from "@chainsafe/blst";
import { verifyPreparedSets } from "./bls-verify-sets.ts";
import { serveBatches } from "./worker-serve.ts";

/**
 * Worker thread of BlsWorkerPool. Public keys arrive uncompressed (96 B) and were validated by
 * the pool's thread, so decoding them here skips the square root and the subgroup check;
 * signatures arrive compressed and untrusted and are fully checked here (the costly part).
 * All sets of one message are verified together (one batch across callers).
 */
export interface WireSet {
  publicKeys: Uint8Array[];
  messages: Uint8Array[];
  signature: Uint8Array;
}

serveBatches<WireSet, boolean>((sets) =>
  verifyPreparedSets(
    sets.map((set) => ({
      publicKeys: set.publicKeys.map((pk) => blst.PublicKey.fromBytes(pk, false)),
      messages: set.messages,
      signature: set.signature,
    })),
  ),
);
