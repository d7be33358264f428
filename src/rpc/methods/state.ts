import { z } from "zod";
import type { CallResult } from "../backend.ts";
import { resolveStateBlock, tagToNumber } from "../block-resolver.ts";
import { RpcError } from "../errors.ts";
import { formatProof, formatStorageWord } from "../format.ts";
import { type Hex, toQuantity } from "../hex.ts";
import { defineMethod, optionalParam, param } from "../method.ts";
import { address, blockSelector, callRequest, stateOverrides, storageSlot } from "../params.ts";
import { revertError } from "../revert.ts";
import type { MethodDeps, MethodGroup } from "./deps.ts";

const MAX_PROOF_SLOTS = 1024;

/** Account state at a block, calls and gas estimation. Blocks default to `latest`. */
export function stateMethods(deps: MethodDeps): MethodGroup {
  const { backend } = deps;
  const at = optionalParam("block", blockSelector);
  return {
    eth_getBalance: defineMethod([param("address", address), at], async ([addr, sel]) =>
      toQuantity(await backend.getBalance(addr, await resolveStateBlock(backend, sel))),
    ),
    eth_getTransactionCount: defineMethod([param("address", address), at], async ([addr, sel]) => {
      if (sel?.kind === "tag" && sel.tag === "pending") {
        return toQuantity(await backend.getTransactionCount(addr, "pending"));
      }
      return toQuantity(await backend.getTransactionCount(addr, await resolveStateBlock(backend, sel)));
    }),
    eth_getCode: defineMethod([param("address", address), at], async ([addr, sel]) =>
      backend.getCode(addr, await resolveStateBlock(backend, sel)),
    ),
    eth_getStorageAt: defineMethod(
      [param("address", address), param("slot", storageSlot), at],
      async ([addr, slot, sel]) =>
        formatStorageWord(await backend.getStorageAt(addr, slot, await resolveStateBlock(backend, sel))),
    ),
    eth_call: defineMethod(
      [param("transaction", callRequest), at, optionalParam("stateOverrides", stateOverrides)],
      async ([req, sel, overrides]) => {
        const result = await backend.call(req, await resolveStateBlock(backend, sel), overrides);
        return unwrapCall(result).returnData;
      },
    ),
    eth_estimateGas: defineMethod(
      [param("transaction", callRequest), at, optionalParam("stateOverrides", stateOverrides)],
      async ([req, sel, overrides]) => {
        const block =
          sel === undefined ? tagToNumber(backend, "pending") : await resolveStateBlock(backend, sel);
        const result = await backend.estimateGas(req, block, overrides);
        return toQuantity(unwrapCall(result).gasUsed);
      },
    ),
    eth_getProof: defineMethod(
      [param("address", address), param("storageKeys", z.array(storageSlot).max(MAX_PROOF_SLOTS)), at],
      async ([addr, slots, sel]) => {
        if (backend.getProof === undefined) {
          throw new RpcError("METHOD_NOT_SUPPORTED", "eth_getProof is not supported by this node");
        }
        return formatProof(await backend.getProof(addr, slots, await resolveStateBlock(backend, sel)));
      },
    ),
  };
}

/** Success passes through; a revert is geth's code 3 with the revert data; other EVM failures -32000. */
function unwrapCall(result: CallResult): { returnData: Hex; gasUsed: bigint } {
  if (result.status === "success") return result;
  if (result.status === "revert") throw revertError(result.returnData);
  throw new RpcError("SERVER_ERROR", result.error);
}
