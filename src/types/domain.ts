/**
 * Domain separation. Every signature in megaseq is over a 64-byte signing root:
 *   signingRoot = domain(kind, chainId, epoch) ++ hashTreeRoot(message)
 *   domain      = hashTreeRoot(DomainData{domainType: Bytes4, chainId: uint64, epoch: uint64})
 * so a signature for one kind, chain or epoch can never be replayed as another.
 */
import { ContainerType } from "@chainsafe/ssz";
import { BlockHeader, Bytes4, Checkpoint, Timeout, Uint64, Vote } from "./containers.ts";

export const DomainData = new ContainerType(
  { domainType: Bytes4, chainId: Uint64, epoch: Uint64 },
  { typeName: "DomainData" },
);

export type SignedKind = "proposal" | "vote" | "timeout" | "checkpoint";

/** 4-byte domain types; the first three bytes spell "msq" so they never collide with Ethereum's. */
export const DOMAIN_TYPES: Readonly<Record<SignedKind, Uint8Array>> = {
  proposal: Uint8Array.of(0x6d, 0x73, 0x71, 0x01),
  vote: Uint8Array.of(0x6d, 0x73, 0x71, 0x02),
  timeout: Uint8Array.of(0x6d, 0x73, 0x71, 0x03),
  checkpoint: Uint8Array.of(0x6d, 0x73, 0x71, 0x04),
};

const domainCache = new Map<string, Uint8Array>();
const DOMAIN_CACHE_LIMIT = 256;

export function computeDomain(kind: SignedKind, chainId: number, epoch: number): Uint8Array {
  const key = `${kind}/${chainId}/${epoch}`;
  const hit = domainCache.get(key);
  if (hit !== undefined) return hit;
  const domain = DomainData.hashTreeRoot({ domainType: DOMAIN_TYPES[kind], chainId, epoch });
  if (domainCache.size >= DOMAIN_CACHE_LIMIT) domainCache.clear();
  domainCache.set(key, domain);
  return domain;
}

function concat(domain: Uint8Array, root: Uint8Array): Uint8Array {
  const out = new Uint8Array(64);
  out.set(domain, 0);
  out.set(root, 32);
  return out;
}

/** Signing root from an already computed hashTreeRoot of the message (saves re-hashing). */
export function signingRootFromMessageRoot(
  kind: SignedKind,
  chainId: number,
  epoch: number,
  messageRoot: Uint8Array,
): Uint8Array {
  return concat(computeDomain(kind, chainId, epoch), messageRoot);
}

export function signingRootOfHeader(chainId: number, header: BlockHeader): Uint8Array {
  return concat(computeDomain("proposal", chainId, header.epoch), BlockHeader.hashTreeRoot(header));
}

export function signingRootOfVote(chainId: number, vote: Vote): Uint8Array {
  return concat(computeDomain("vote", chainId, vote.epoch), Vote.hashTreeRoot(vote));
}

export function signingRootOfTimeout(chainId: number, timeout: Timeout): Uint8Array {
  return concat(computeDomain("timeout", chainId, timeout.epoch), Timeout.hashTreeRoot(timeout));
}

export function signingRootOfCheckpoint(chainId: number, checkpoint: Checkpoint): Uint8Array {
  return concat(computeDomain("checkpoint", chainId, checkpoint.epoch), Checkpoint.hashTreeRoot(checkpoint));
}
