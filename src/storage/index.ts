export {
  type ChainHead,
  ChainStore,
  type EvmBlockRecord,
  type RecoveryReport,
  type TxLocation,
} from "./chain-store.ts";
export { SUBLEVELS } from "./database.ts";
export { StorageError, type StorageErrorCode } from "./errors.ts";
export { StateStore } from "./state-store.ts";
