import type { RpcBackend } from "../backend.ts";
import type { FilterManager } from "../filters.ts";
import type { RpcLimits } from "../limits.ts";
import type { RpcMethod } from "../method.ts";

/** What every method group is built from. */
export interface MethodDeps {
  backend: RpcBackend;
  limits: RpcLimits;
  filters: FilterManager;
  clientVersion: string;
}

export type MethodGroup = Record<string, RpcMethod>;
