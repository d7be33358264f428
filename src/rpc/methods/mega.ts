import type { BlockData } from "../backend.ts";
import { formatConsensusStatus, formatValidatorSet, type Json } from "../format.ts";
import { toQuantity } from "../hex.ts";
import { defineMethod, optionalParam } from "../method.ts";
import { quantityOrNumber } from "../params.ts";
import type { MethodDeps, MethodGroup } from "./deps.ts";

/**
 * megaseq's own namespace. mega_syncStatus has the shape of optimism_syncStatus for the L2 heads
 * (unsafe = preconfirmed, safe = committed, finalized = checkpointed to L1), plus the three
 * heads by their megaseq names.
 */
export function megaMethods(deps: MethodDeps): MethodGroup {
  const { backend } = deps;
  async function ref(number: bigint): Promise<Json> {
    const block: BlockData | null = await backend.getBlockByNumber(number);
    if (block === null) return null;
    return {
      hash: block.hash,
      number: Number(block.number),
      parentHash: block.parentHash,
      timestamp: Number(block.timestamp),
    };
  }
  return {
    mega_syncStatus: defineMethod([], async () => {
      const heads = backend.heads();
      return {
        unsafe_l2: await ref(heads.preconfirmed),
        safe_l2: await ref(heads.committed),
        finalized_l2: await ref(heads.checkpointed),
        preconfirmed: toQuantity(heads.preconfirmed),
        committed: toQuantity(heads.committed),
        checkpointed: toQuantity(heads.checkpointed),
        syncing: backend.syncing() !== false,
      };
    }),
    mega_consensusStatus: defineMethod([], async () =>
      formatConsensusStatus(await backend.consensusStatus()),
    ),
    mega_validatorSet: defineMethod([optionalParam("epoch", quantityOrNumber)], async ([epoch]) => {
      const set = await backend.validatorSet(epoch);
      return set === null ? null : formatValidatorSet(set);
    }),
  };
}
