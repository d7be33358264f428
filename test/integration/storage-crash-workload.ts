import type { AccountData, Hex, StateChangeSet } from "../../src/execution/types.ts";
import { KECCAK_EMPTY } from "../../src/execution/types.ts";
import type { EvmBlockRecord } from "../../src/storage/index.ts";

/**
 * A deterministic chain for the crash test: mini-block `seq` and EVM block `n` are pure functions
 * of their numbers, so after a kill the test knows exactly what the state at any head must be.
 * EVM block n (n >= 1) holds mini-blocks (n-1)*M ... n*M-1.
 */
export const MINI_PER_BLOCK = 5;
export const ACCOUNTS = 20;
export const SLOTS = 10;

const hex = (i: number, width: number): Hex => `0x${i.toString(16).padStart(width, "0")}` as Hex;
export const accountAddr = (i: number): Hex => hex(0x1000 + i, 40);
export const C1 = hex(0xc1, 40);
export const C2 = hex(0xc2, 40);
export const D = hex(0xdd, 40);
export const slot = (j: number): Hex => hex(j, 64);
export const C1_CODE = new Uint8Array([0x60, 0x00, 0x60, 0x00, 0xf3]);
export const C1_CODE_HASH = hex(0xc0de, 64);

export function miniBlockBytes(seq: bigint): Uint8Array {
  // Large enough that a kill often lands inside LevelDB's write of it.
  const out = new Uint8Array(2048);
  out.fill(Number(seq % 251n));
  new DataView(out.buffer).setBigUint64(0, seq);
  return out;
}

export function expectedAccount(i: number, n: bigint): AccountData {
  return { nonce: n, balance: n * 1000n + BigInt(i), codeHash: KECCAK_EMPTY };
}

export function expectedC2Slots(n: bigint): Map<Hex, bigint> {
  const base = Number(n % 7n);
  const out = new Map<Hex, bigint>();
  for (let k = 0; k < 4; k++) out.set(slot(base + k), n);
  return out;
}

export function blockHash(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  new DataView(out.buffer).setBigUint64(24, n + 1n);
  return out;
}

export function txHash(n: bigint, k: number): Uint8Array {
  const out = new Uint8Array(32);
  new DataView(out.buffer).setBigUint64(0, n);
  out[31] = k + 1;
  return out;
}

export function evmBlock(n: bigint): EvmBlockRecord {
  const accounts = new Map<Hex, AccountData | null>();
  for (let i = 0; i < ACCOUNTS; i++) accounts.set(accountAddr(i), expectedAccount(i, n));
  accounts.set(D, n % 2n === 1n ? { nonce: 1n, balance: n, codeHash: KECCAK_EMPTY } : null);
  const code = new Map<Hex, Uint8Array>();
  if (n === 1n) {
    code.set(C1_CODE_HASH, C1_CODE);
    accounts.set(C1, { nonce: 1n, balance: 0n, codeHash: C1_CODE_HASH });
  }
  const c1 = new Map<Hex, bigint>();
  for (let j = 0; j < SLOTS; j++) c1.set(slot(j), n * 100n + BigInt(j) + 1n);
  const changes: StateChangeSet = {
    accounts,
    storage: new Map([
      [C1, c1],
      [C2, expectedC2Slots(n)],
    ]),
    clearedStorage: new Set([C2]),
    code,
  };
  const lastMiniBlock = n * BigInt(MINI_PER_BLOCK) - 1n;
  return {
    number: n,
    hash: blockHash(n),
    header: new TextEncoder().encode(`header ${n}`),
    receipts: new TextEncoder().encode(`receipts ${n}`),
    txs: [0, 1, 2].map((k) => ({ hash: txHash(n, k), miniBlock: lastMiniBlock, miniIndex: k })),
    lastMiniBlock,
    changes,
  };
}
