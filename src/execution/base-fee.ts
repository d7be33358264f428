/** EIP-1559 parameters; the floor keeps the L2 base fee from decaying to zero when idle. */
export interface BaseFeeParams {
  /** Lowest base fee the chain ever charges (wei). */
  floor: bigint;
  /** Max change per block is 1/denominator (Ethereum: 8). */
  changeDenominator: bigint;
  /** Target = gasLimit / elasticity (Ethereum: 2). */
  elasticity: bigint;
}

export const DEFAULT_BASE_FEE_PARAMS: BaseFeeParams = {
  floor: 1_000_000n,
  changeDenominator: 8n,
  elasticity: 2n,
};

/** The next EVM block's base fee from its parent's (EIP-1559), never below the floor. */
export function nextBaseFee(
  parent: { baseFee: bigint; gasUsed: bigint; gasLimit: bigint },
  params: BaseFeeParams = DEFAULT_BASE_FEE_PARAMS,
): bigint {
  const target = parent.gasLimit / params.elasticity;
  let next = parent.baseFee;
  if (target > 0n && parent.gasUsed > target) {
    const delta = (parent.baseFee * (parent.gasUsed - target)) / target / params.changeDenominator;
    next = parent.baseFee + (delta > 1n ? delta : 1n);
  } else if (target > 0n && parent.gasUsed < target) {
    next = parent.baseFee - (parent.baseFee * (target - parent.gasUsed)) / target / params.changeDenominator;
  }
  return next < params.floor ? params.floor : next;
}
