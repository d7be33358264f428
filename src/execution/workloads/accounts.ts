import native from "secp256k1";
import { keccak256 } from "../../crypto/keccak.ts";
import { bytesToHex } from "../hex.ts";
import type { Hex } from "../types.ts";

export interface TestAccount {
  privateKey: Uint8Array;
  address: Hex;
}

/** Address of a secp256k1 private key: last 20 bytes of keccak(uncompressed pubkey without 0x04). */
export function addressOf(privateKey: Uint8Array): Hex {
  const pub = native.publicKeyCreate(privateKey, false);
  return bytesToHex(keccak256(pub.subarray(1)).subarray(12));
}

/** `count` deterministic accounts; key i = keccak256("megaseq-workload" || seed || i). */
export function deriveAccounts(count: number, seed = 0): TestAccount[] {
  const accounts: TestAccount[] = [];
  const prefix = new TextEncoder().encode("megaseq-workload");
  for (let i = 0; i < count; i++) {
    const input = new Uint8Array(prefix.length + 8);
    input.set(prefix);
    const view = new DataView(input.buffer);
    view.setUint32(prefix.length, seed >>> 0);
    view.setUint32(prefix.length + 4, i >>> 0);
    const privateKey = keccak256(input);
    accounts.push({ privateKey, address: addressOf(privateKey) });
  }
  return accounts;
}

/** Small seeded PRNG (mulberry32): workloads and property tests must be reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
