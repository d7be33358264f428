import { createHash } from "node:crypto";

const SEPARATOR = new Uint8Array([0]);

/**
 * Gossipsub message id = sha256(topic ‖ 0x00 ‖ data)[0..20]. Messages are unsigned at the libp2p
 * level (StrictNoSign: they carry their own BLS signatures), so the id must come from the content;
 * the topic is included so that equal bytes on two topics stay two messages.
 */
export function contentMessageId(topic: string, data: Uint8Array): Uint8Array {
  const digest = createHash("sha256").update(topic).update(SEPARATOR).update(data).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, 20);
}
