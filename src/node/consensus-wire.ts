import type { ConsensusMessage } from "../consensus/index.ts";
import type { TopicKind } from "../p2p/topics.ts";
import {
  type Block,
  Block as BlockType,
  decodeSsz,
  encodeSsz,
  SignedVote,
  TimeoutMessage,
} from "../types/index.ts";
import { CodedError } from "../util/coded-error.ts";

/** The gossip topic each consensus message travels on; the topic names the SSZ type. */
export function topicOf(message: ConsensusMessage): TopicKind {
  return message.kind;
}

/**
 * Gossip payloads are `u64 publish nonce ++ SSZ message`. Gossipsub ids messages by content, and
 * the core re-broadcasts the very same signed timeout every round timeout until a TC forms: with
 * bare content ids those repeats would be dropped as already seen, so a peer that (re)connected
 * after the first copy would never get one. The nonce makes each publish a new gossip message,
 * while every forwarder of one publish still sends identical bytes (deduplicated as usual).
 */
export const GOSSIP_NONCE_BYTES = 8;

export class ConsensusWireError extends CodedError<"SHORT_MESSAGE"> {}

let publishNonce = BigInt(Date.now()) << 16n;

export function encodeConsensusMessage(message: ConsensusMessage): Uint8Array {
  const body = encodeSszMessage(message);
  const out = new Uint8Array(GOSSIP_NONCE_BYTES + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, publishNonce++));
  out.set(body, GOSSIP_NONCE_BYTES);
  return out;
}

function encodeSszMessage(message: ConsensusMessage): Uint8Array {
  switch (message.kind) {
    case "proposal":
      return encodeSsz(BlockType, message.block);
    case "vote":
      return encodeSsz(SignedVote, message.vote);
    case "timeout":
      return encodeSsz(TimeoutMessage, message.timeout);
  }
}

/** Throws a typed error on bytes that are not nonce ++ a canonical encoding of the topic's type. */
export function decodeConsensusMessage(
  kind: "proposal" | "vote" | "timeout",
  data: Uint8Array,
): ConsensusMessage {
  if (data.length <= GOSSIP_NONCE_BYTES) {
    throw new ConsensusWireError("SHORT_MESSAGE", `${kind} message of ${data.length} bytes`);
  }
  const bytes = data.subarray(GOSSIP_NONCE_BYTES);
  switch (kind) {
    case "proposal":
      return { kind, block: decodeSsz(BlockType, bytes, "proposal") };
    case "vote":
      return { kind, vote: decodeSsz(SignedVote, bytes, "vote") };
    case "timeout":
      return { kind, timeout: decodeSsz(TimeoutMessage, bytes, "timeout") };
  }
}

export function encodeBlock(block: Block): Uint8Array {
  return encodeSsz(BlockType, block);
}

export function decodeBlock(bytes: Uint8Array): Block {
  return decodeSsz(BlockType, bytes, "block");
}
