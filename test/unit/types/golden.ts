/** Computes every golden value from vectors.ts; shared by the test and the generator. */
import { publicKeyFromSecretKey, secretKeyFromSeed, sign } from "../../../src/crypto/index.ts";
import {
  Block,
  BlockHeader,
  Checkpoint,
  computeDomain,
  MiniBlockPayload,
  QuorumCertificate,
  signingRootOfCheckpoint,
  signingRootOfHeader,
  signingRootOfTimeout,
  signingRootOfVote,
  Timeout,
  TimeoutCertificate,
  Vote,
} from "../../../src/types/index.ts";
import * as v from "./vectors.ts";

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString("hex")}`;

export function computeGolden(): Record<string, Record<string, string>> {
  const sk = secretKeyFromSeed(v.EXAMPLE_SEED);
  const signed = (
    kind: string,
    type: { serialize(x: never): Uint8Array; hashTreeRoot(x: never): Uint8Array },
    value: unknown,
    signingRoot: Uint8Array,
    epoch: number,
  ) => ({
    kind,
    ssz: hex(type.serialize(value as never)),
    hashTreeRoot: hex(type.hashTreeRoot(value as never)),
    domain: hex(computeDomain(kind as "vote", v.CHAIN_ID, epoch)),
    signingRoot: hex(signingRoot),
    blsSignature: hex(sign(sk, signingRoot)),
  });
  const plain = (
    type: { serialize(x: never): Uint8Array; hashTreeRoot(x: never): Uint8Array },
    value: unknown,
  ) => ({
    ssz: hex(type.serialize(value as never)),
    hashTreeRoot: hex(type.hashTreeRoot(value as never)),
  });
  return {
    meta: {
      chainId: String(v.CHAIN_ID),
      blsPubkey: hex(publicKeyFromSecretKey(sk)),
      seed: hex(v.EXAMPLE_SEED),
    },
    vote: signed("vote", Vote, v.vote, signingRootOfVote(v.CHAIN_ID, v.vote), v.vote.epoch),
    timeout: signed(
      "timeout",
      Timeout,
      v.timeout,
      signingRootOfTimeout(v.CHAIN_ID, v.timeout),
      v.timeout.epoch,
    ),
    proposal: signed(
      "proposal",
      BlockHeader,
      v.header,
      signingRootOfHeader(v.CHAIN_ID, v.header),
      v.header.epoch,
    ),
    checkpoint: signed(
      "checkpoint",
      Checkpoint,
      v.checkpoint,
      signingRootOfCheckpoint(v.CHAIN_ID, v.checkpoint),
      v.checkpoint.epoch,
    ),
    quorumCertificate: plain(QuorumCertificate, v.qc),
    timeoutCertificate: plain(TimeoutCertificate, v.tc),
    miniBlockPayload: plain(MiniBlockPayload, v.payload),
    block: plain(Block, v.block),
  };
}
