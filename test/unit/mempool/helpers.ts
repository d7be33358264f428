import type { AccountReader, PoolTx } from "../../../src/mempool/index.ts";

export class FakeAccounts implements AccountReader {
  readonly accounts = new Map<string, { nonce: bigint; balance: bigint }>();
  getAccount(address: string): { nonce: bigint; balance: bigint } {
    return this.accounts.get(address) ?? { nonce: 0n, balance: 10n ** 24n };
  }
  set(address: string, nonce: bigint, balance = 10n ** 24n): void {
    this.accounts.set(address, { nonce, balance });
  }
}

let counter = 0;

export function addr(i: number): string {
  return `0x${i.toString(16).padStart(40, "0")}`;
}

export function mkTx(
  sender: string,
  nonce: bigint,
  fee: bigint,
  extra: Partial<PoolTx<string>> = {},
): PoolTx<string> {
  counter++;
  return {
    hash: `0x${counter.toString(16).padStart(64, "0")}`,
    sender,
    nonce,
    gasLimit: 21_000n,
    maxFeePerGas: fee,
    maxPriorityFeePerGas: fee,
    value: 0n,
    intrinsicGas: 21_000n,
    size: 110,
    chainId: 1n,
    payload: "",
    ...extra,
  };
}
