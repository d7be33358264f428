import { RpcError } from "./errors.ts";
import type { RpcServerOptions } from "./server.ts";

/** The `[rpc]` section of the node config (src/node/config.ts), as the node has parsed it. */
export interface RpcConfigSection {
  /** "host:port"; IPv6 as "[::1]:9545". */
  address: string;
  maxBodyBytes: number;
  maxBatch: number;
  maxConnections: number;
  adminEnabled: boolean;
}

/** Server options from the node config, so the node mounts the server in one line. */
export function rpcServerOptionsFromConfig(c: RpcConfigSection, clientVersion?: string): RpcServerOptions {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(c.address);
  const port = m === null ? Number.NaN : Number(m[3]);
  if (m === null || port > 65535) {
    throw new RpcError("INVALID_PARAMS", `rpc.address must be "host:port", got "${c.address}"`);
  }
  const opts: RpcServerOptions = {
    host: m[1] ?? m[2],
    port,
    enableAdmin: c.adminEnabled,
    limits: { maxBodyBytes: c.maxBodyBytes, maxBatchLength: c.maxBatch, maxConnections: c.maxConnections },
  };
  if (clientVersion !== undefined) opts.clientVersion = clientVersion;
  return opts;
}
