import { P2pError } from "./errors.ts";

/** What a node tells a new peer about itself; two nodes talk only if chain id and genesis agree. */
export interface ChainStatus {
  chainId: number;
  genesisHash: Uint8Array;
  epoch: bigint;
  committedHeight: bigint;
  committedHash: Uint8Array;
}

export const STATUS_BYTES = 8 + 32 + 8 + 8 + 32;
const U64_MAX = (1n << 64n) - 1n;

export function encodeStatus(status: ChainStatus): Uint8Array {
  if (status.genesisHash.length !== 32 || status.committedHash.length !== 32) {
    throw new P2pError("BAD_STATUS", "status hashes must be 32 bytes");
  }
  if (
    status.epoch < 0n ||
    status.epoch > U64_MAX ||
    status.committedHeight < 0n ||
    status.committedHeight > U64_MAX
  ) {
    throw new P2pError("BAD_STATUS", "status epoch and height must fit in u64");
  }
  const out = new Uint8Array(STATUS_BYTES);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(status.chainId));
  out.set(status.genesisHash, 8);
  view.setBigUint64(40, status.epoch);
  view.setBigUint64(48, status.committedHeight);
  out.set(status.committedHash, 56);
  return out;
}

export function decodeStatus(bytes: Uint8Array): ChainStatus {
  if (bytes.length !== STATUS_BYTES) {
    throw new P2pError("BAD_STATUS", `status must be ${STATUS_BYTES} bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chainId = view.getBigUint64(0);
  if (chainId > BigInt(Number.MAX_SAFE_INTEGER)) throw new P2pError("BAD_STATUS", "chain id out of range");
  return {
    chainId: Number(chainId),
    genesisHash: bytes.slice(8, 40),
    epoch: view.getBigUint64(40),
    committedHeight: view.getBigUint64(48),
    committedHash: bytes.slice(56, 88),
  };
}

/** Why two nodes cannot talk, or undefined when they can. */
export function incompatibility(
  local: ChainStatus,
  remote: ChainStatus,
): "wrong_chain" | "wrong_genesis" | undefined {
  if (local.chainId !== remote.chainId) return "wrong_chain";
  if (Buffer.compare(local.genesisHash, remote.genesisHash) !== 0) return "wrong_genesis";
  return undefined;
}
