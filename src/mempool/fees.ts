import type { PoolTx } from "./types.ts";

type Fees = Pick<PoolTx, "maxFeePerGas" | "maxPriorityFeePerGas">;

/** What the block producer earns per gas at this base fee; negative when the fee cap is below it. */
export function effectiveTip(tx: Fees, baseFee: bigint): bigint {
  const headroom = tx.maxFeePerGas - baseFee;
  return headroom < tx.maxPriorityFeePerGas ? headroom : tx.maxPriorityFeePerGas;
}

/** geth's rule: a replacement must raise BOTH fee fields by at least `bumpPercent`. */
export function isSufficientBump(oldTx: Fees, newTx: Fees, bumpPercent: bigint): boolean {
  const factor = 100n + bumpPercent;
  return (
    newTx.maxFeePerGas * 100n >= oldTx.maxFeePerGas * factor &&
    newTx.maxPriorityFeePerGas * 100n >= oldTx.maxPriorityFeePerGas * factor
  );
}

/** Worst-case up-front cost the sender must be able to pay: gas * fee cap + value. */
export function upfrontCost(tx: Pick<PoolTx, "gasLimit" | "maxFeePerGas" | "value">): bigint {
  return tx.gasLimit * tx.maxFeePerGas + tx.value;
}
