import type { BlockData, RpcBackend } from "./backend.ts";
import { RpcError } from "./errors.ts";
import type { BlockSelector, BlockTag } from "./params.ts";

/**
 * Block tags on megaseq: `latest` and `pending` are the newest mini-block's block (the
 * preconfirmed head, as MegaETH documents), `safe` is the committed head, `finalized` the head
 * checkpointed to L1, `earliest` genesis.
 */
export function tagToNumber(backend: RpcBackend, tag: BlockTag): bigint {
  const heads = backend.heads();
  switch (tag) {
    case "latest":
    case "pending":
      return heads.preconfirmed;
    case "safe":
      return heads.committed;
    case "finalized":
      return heads.checkpointed;
    case "earliest":
      return 0n;
  }
}

/** The block a state query runs at; geth's "header not found" when it does not exist. */
export async function resolveStateBlock(
  backend: RpcBackend,
  selector: BlockSelector | undefined,
): Promise<bigint> {
  const sel = selector ?? { kind: "tag", tag: "latest" };
  if (sel.kind === "tag") return tagToNumber(backend, sel.tag);
  if (sel.kind === "number") {
    if (sel.number > backend.heads().preconfirmed) throw new RpcError("SERVER_ERROR", "header not found");
    return sel.number;
  }
  const block = await backend.getBlockByHash(sel.hash);
  if (block === null) throw new RpcError("SERVER_ERROR", `header for hash not found`);
  if (sel.requireCanonical) {
    const canonical = await backend.getBlockByNumber(block.number);
    if (canonical?.hash !== block.hash) throw new RpcError("SERVER_ERROR", "hash is not currently canonical");
  }
  return block.number;
}

/** The block a selector names, or null (blocks and receipts answer null for unknown blocks). */
export async function findBlock(backend: RpcBackend, selector: BlockSelector): Promise<BlockData | null> {
  if (selector.kind === "hash") return backend.getBlockByHash(selector.hash);
  const number = selector.kind === "tag" ? tagToNumber(backend, selector.tag) : selector.number;
  return backend.getBlockByNumber(number);
}
