import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { P2pError } from "./errors.ts";

/**
 * Loads the node's libp2p identity (an Ed25519 key, protobuf-encoded, hex in the file), creating it
 * on first start. The peer id must survive restarts: other nodes' static-peer lists name it.
 */
export async function loadOrCreatePeerKey(file: string): Promise<{ key: PrivateKey; created: boolean }> {
  if (existsSync(file)) return { key: readPeerKey(file), created: false };
  const key = await generateKeyPair("Ed25519");
  mkdirSync(dirname(file), { recursive: true });
  // Write then rename, so a crash never leaves a half-written key behind.
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${Buffer.from(privateKeyToProtobuf(key)).toString("hex")}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return { key, created: true };
}

export function readPeerKey(file: string): PrivateKey {
  const text = readFileSync(file, "utf8").trim();
  if (!/^([0-9a-f]{2})+$/i.test(text)) {
    throw new P2pError("BAD_PEER_KEY_FILE", `peer key file ${file}: expected hex-encoded libp2p private key`);
  }
  try {
    return privateKeyFromProtobuf(Buffer.from(text, "hex"));
  } catch (err) {
    throw new P2pError("BAD_PEER_KEY_FILE", `peer key file ${file}: ${(err as Error).message}`);
  }
}
