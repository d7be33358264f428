import { z } from "zod";
import { RpcError } from "../errors.ts";
import { defineMethod, param } from "../method.ts";
import type { MethodDeps, MethodGroup } from "./deps.ts";

/** A libp2p peer id (base58btc). */
const peerId = z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{20,128}$/, "expected a base58 libp2p peer id");

/**
 * admin_: drives the node's connection gater for partition tests. Mounted only when the server
 * is started with `enableAdmin`; otherwise these names answer -32601 like any unknown method.
 */
export function adminMethods(deps: MethodDeps): MethodGroup {
  const hooks = (): NonNullable<typeof deps.backend.admin> => {
    const admin = deps.backend.admin;
    if (admin === undefined) throw new RpcError("METHOD_NOT_SUPPORTED", "this node has no admin hooks");
    return admin;
  };
  return {
    admin_peers: defineMethod([], async () => await hooks().peers()),
    admin_blockPeer: defineMethod([param("peerId", peerId)], async ([id]) => {
      await hooks().blockPeer(id);
      return true;
    }),
    admin_unblockPeer: defineMethod([param("peerId", peerId)], async ([id]) => {
      await hooks().unblockPeer(id);
      return true;
    }),
  };
}
