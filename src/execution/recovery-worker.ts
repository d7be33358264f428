import native from "secp256k1";
import { keccak256 } from "../crypto/keccak.ts";
import { serveBatches } from "../crypto/worker-serve.ts";
import { PENDING_BYTES } from "./batch-decoder.ts";

/**
 * Worker of BatchTxDecoder: each item is a chunk of packed checked signatures (hash 32 | r,s 64 |
 * recovery 1); the result is 21 bytes per signature: 1 (recovered) or 0, then the address.
 */
serveBatches<Uint8Array, Uint8Array>((chunks) =>
  chunks.map((chunk) => {
    const count = chunk.length / PENDING_BYTES;
    const out = new Uint8Array(count * 21);
    for (let i = 0; i < count; i++) {
      const at = i * PENDING_BYTES;
      try {
        const pub = native.ecdsaRecover(
          chunk.subarray(at + 32, at + 96),
          chunk[at + 96],
          chunk.subarray(at, at + 32),
          false,
        );
        out[i * 21] = 1;
        out.set(keccak256(pub.subarray(1)).subarray(12), i * 21 + 1);
      } catch {
        out[i * 21] = 0;
      }
    }
    return out;
  }),
);
