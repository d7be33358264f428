import { type Common, createCustomCommon, Hardfork, Mainnet } from "@ethereumjs/common";
import { nativeCustomCrypto } from "../crypto/secp256k1.ts";
import type { Fork } from "./types.ts";

const HARDFORK: Record<Fork, string> = {
  shanghai: Hardfork.Shanghai,
  cancun: Hardfork.Cancun,
  prague: Hardfork.Prague,
};

const cache = new Map<string, Common>();

/**
 * The ethereumjs Common for a chain id and fork, with native secp256k1 and hash-wasm keccak as
 * its crypto (the ECRECOVER precompile and tx sender recovery use them). Cached: creating one is
 * not free and they are immutable once made.
 */
export function evmCommon(chainId: bigint, fork: Fork): Common {
  const key = `${chainId}:${fork}`;
  let common = cache.get(key);
  if (common === undefined) {
    common = createCustomCommon({ chainId: Number(chainId), name: `megaseq-${chainId}` }, Mainnet, {
      hardfork: HARDFORK[fork],
      customCrypto: nativeCustomCrypto,
    });
    cache.set(key, common);
  }
  return common;
}
