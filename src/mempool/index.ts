export { MEMPOOL_ERROR_MESSAGES, MempoolError, type MempoolErrorCode } from "./errors.ts";
export { accountReaderFromState, poolTxFromExecTx } from "./exec-tx-adapter.ts";
export { effectiveTip, isSufficientBump, upfrontCost } from "./fees.ts";
export { type AddResult, Mempool, type MempoolModules, type SelectLimits } from "./mempool.ts";
export { PendingIterator } from "./pending-iterator.ts";
export type { AccountReader, MempoolOptions, MempoolStats, PoolTx } from "./types.ts";
