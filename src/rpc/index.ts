/** The JSON-RPC layer: a server over a narrow RpcBackend that the node implements. */
export type * from "./backend.ts";
export { DevChain, type DevChainOptions } from "./dev-chain.ts";
export { RpcCode, RpcError, TxRejectedError, type TxRejectionReason } from "./errors.ts";
export { EventHub } from "./event-hub.ts";
export { logsFromExecution, receiptFromExecution, transactionFromExecution } from "./from-execution.ts";
export { DEFAULT_LIMITS, type RpcLimits } from "./limits.ts";
export { type RpcConfigSection, rpcServerOptionsFromConfig } from "./options-from-config.ts";
export { RpcServer, type RpcServerModules, type RpcServerOptions } from "./server.ts";
