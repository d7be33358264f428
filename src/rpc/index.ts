/** The JSON-RPC layer: a server over a narrow RpcBackend that the node implements. */
export type * from "./backend.ts";
export { RpcCode, RpcError, TxRejectedError, type TxRejectionReason } from "./errors.ts";
export { DEFAULT_LIMITS, type RpcLimits } from "./limits.ts";
export { RpcServer, type RpcServerModules, type RpcServerOptions } from "./server.ts";
