import type { AccessListItem, Fork } from "./types.ts";

export const TX_GAS = 21_000n;
export const TX_CREATE_GAS = 53_000n;
export const TX_DATA_ZERO_GAS = 4n;
export const TX_DATA_NONZERO_GAS = 16n;
export const ACCESS_LIST_ADDRESS_GAS = 2_400n;
export const ACCESS_LIST_SLOT_GAS = 1_900n;
export const INITCODE_WORD_GAS = 2n;
/** EIP-3860: twice the EIP-170 code size limit. */
export const MAX_INITCODE_SIZE = 49_152;
/** EIP-7623 (Prague): floor cost per calldata token. */
export const TOTAL_COST_FLOOR_PER_TOKEN = 10n;

function zeroBytes(data: Uint8Array): number {
  let zeros = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === 0) zeros++;
  return zeros;
}

/**
 * Gas charged before any opcode runs (yellow paper g0): base, calldata, creation, EIP-2930
 * access list and EIP-3860 initcode words.
 */
export function intrinsicGas(tx: {
  to: unknown;
  data: Uint8Array;
  accessList: readonly AccessListItem[];
}): bigint {
  const zeros = zeroBytes(tx.data);
  const nonZeros = tx.data.length - zeros;
  let gas = tx.to === undefined ? TX_CREATE_GAS : TX_GAS;
  gas += BigInt(zeros) * TX_DATA_ZERO_GAS + BigInt(nonZeros) * TX_DATA_NONZERO_GAS;
  for (const item of tx.accessList) {
    gas += ACCESS_LIST_ADDRESS_GAS + BigInt(item.storageKeys.length) * ACCESS_LIST_SLOT_GAS;
  }
  if (tx.to === undefined) gas += INITCODE_WORD_GAS * BigInt(Math.ceil(tx.data.length / 32));
  return gas;
}

/** EIP-7623 calldata floor (Prague and later); 0 before Prague. */
export function floorDataGas(data: Uint8Array, fork: Fork): bigint {
  if (fork !== "prague") return 0n;
  const zeros = zeroBytes(data);
  const tokens = BigInt(zeros) + 4n * BigInt(data.length - zeros);
  return TX_GAS + tokens * TOTAL_COST_FLOOR_PER_TOKEN;
}
