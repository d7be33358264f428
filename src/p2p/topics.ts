/**
 * Gossip topics are per chain id, so that nodes of two networks that happen to meet never mix
 * messages. `vote` is the fallback path for votes whose direct stream to the next leader failed.
 */
export const TOPIC_KINDS = ["tx", "proposal", "vote", "timeout", "evidence"] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

/** Largest message accepted per topic; anything bigger is dropped before decoding. */
export const DEFAULT_TOPIC_MAX_BYTES: Readonly<Record<TopicKind, number>> = {
  // Many transactions per message (DESIGN §4: never one gossip message per tx).
  tx: 1024 * 1024,
  // One mini-block: ~10 ms of transactions plus header, QC/TC.
  proposal: 2 * 1024 * 1024,
  // A vote is a header reference plus one BLS signature.
  vote: 4 * 1024,
  // A timeout carries its high QC (aggregate signature plus bitmap).
  timeout: 16 * 1024,
  // Two conflicting signed messages.
  evidence: 64 * 1024,
};

export function topicName(chainId: number, kind: TopicKind): string {
  return `/megaseq/${chainId}/${kind}/1`;
}

const TOPIC_RE = /^\/megaseq\/(\d+)\/([a-z]+)\/1$/;

export function parseTopic(topic: string): { chainId: number; kind: TopicKind } | undefined {
  const match = TOPIC_RE.exec(topic);
  if (!match) return undefined;
  const kind = match[2] as TopicKind;
  if (!TOPIC_KINDS.includes(kind)) return undefined;
  return { chainId: Number(match[1]), kind };
}
