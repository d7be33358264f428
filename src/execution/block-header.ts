import { keccak256 } from "../crypto/keccak.ts";
import { bigintToBytes, bytesToHex, hexToBytes } from "./hex.ts";
import { encodeBytes, encodeList } from "./rlp.ts";
import type { Hex } from "./types.ts";
import { EMPTY_TRIE_ROOT } from "./types.ts";

/** keccak256(rlp([])): the ommers hash of every post-merge block. */
export const EMPTY_OMMERS_HASH: Hex = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347";

/** An Ethereum-shaped (Cancun) EVM block header. */
export interface EvmBlockHeader {
  parentHash: Hex;
  ommersHash: Hex;
  coinbase: Hex;
  stateRoot: Hex;
  transactionsRoot: Hex;
  receiptsRoot: Hex;
  logsBloom: Uint8Array;
  difficulty: bigint;
  number: bigint;
  gasLimit: bigint;
  gasUsed: bigint;
  /** Seconds. */
  timestamp: bigint;
  extraData: Uint8Array;
  mixHash: Hex;
  nonce: Uint8Array;
  baseFeePerGas: bigint;
  withdrawalsRoot: Hex;
  blobGasUsed: bigint;
  excessBlobGas: bigint;
  parentBeaconBlockRoot: Hex;
}

export function defaultHeaderFields(): Pick<
  EvmBlockHeader,
  | "ommersHash"
  | "difficulty"
  | "extraData"
  | "nonce"
  | "withdrawalsRoot"
  | "blobGasUsed"
  | "excessBlobGas"
  | "parentBeaconBlockRoot"
> {
  return {
    ommersHash: EMPTY_OMMERS_HASH,
    difficulty: 0n,
    extraData: new Uint8Array(0),
    nonce: new Uint8Array(8),
    withdrawalsRoot: EMPTY_TRIE_ROOT,
    blobGasUsed: 0n,
    excessBlobGas: 0n,
    parentBeaconBlockRoot: `0x${"00".repeat(32)}`,
  };
}

export function encodeHeader(h: EvmBlockHeader): Uint8Array {
  const hex = (v: Hex): Uint8Array => encodeBytes(hexToBytes(v));
  const num = (v: bigint): Uint8Array => encodeBytes(bigintToBytes(v));
  return encodeList([
    hex(h.parentHash),
    hex(h.ommersHash),
    hex(h.coinbase),
    hex(h.stateRoot),
    hex(h.transactionsRoot),
    hex(h.receiptsRoot),
    encodeBytes(h.logsBloom),
    num(h.difficulty),
    num(h.number),
    num(h.gasLimit),
    num(h.gasUsed),
    num(h.timestamp),
    encodeBytes(h.extraData),
    hex(h.mixHash),
    encodeBytes(h.nonce),
    num(h.baseFeePerGas),
    hex(h.withdrawalsRoot),
    num(h.blobGasUsed),
    num(h.excessBlobGas),
    hex(h.parentBeaconBlockRoot),
  ]);
}

export function headerHash(h: EvmBlockHeader): Hex {
  return bytesToHex(keccak256(encodeHeader(h)));
}
