import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { type Hex, isHex, toHex } from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import {
  createKeystore,
  g1ToEip2537,
  kdfFastInsecure,
  loadKeystoreFile,
  parseKeystore,
  readPasswordFile,
  secretKeyFromSeed,
  writeKeystoreFile,
} from "../crypto/index.ts";
import { CodedError } from "../util/coded-error.ts";

export class KeyFileError extends CodedError<
  "KEY_FILE_EXISTS" | "KEY_FILE_UNREADABLE" | "KEY_FILE_MALFORMED"
> {}

/**
 * Key files. L1 (secp256k1) keys live in a JSON file `{type, address, privateKey}` readable by
 * its owner only (a file holding just the 0x-hex private key is accepted too, so an anvil dev key
 * can be used as is). BLS validator keys live in EIP-2335 keystores (src/crypto/keystore.ts).
 * Keys are never taken from the command line, where they would land in shell history and `ps`.
 */
export const L1_KEY_TYPE = "megaseq-l1-key";

export interface L1KeyFile {
  type: typeof L1_KEY_TYPE;
  address: Hex;
  privateKey: Hex;
}

function refuseOverwrite(path: string): void {
  if (existsSync(path))
    throw new KeyFileError("KEY_FILE_EXISTS", `${path} exists; refusing to overwrite a key`);
}

export function newL1KeyFile(path: string): { address: Hex } {
  refuseOverwrite(path);
  const privateKey = generatePrivateKey();
  const { address } = privateKeyToAccount(privateKey);
  const file: L1KeyFile = { type: L1_KEY_TYPE, address, privateKey };
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  return { address };
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new KeyFileError(
      "KEY_FILE_UNREADABLE",
      `cannot read key file ${path}: ${(error as Error).message}`,
    );
  }
}

/** Loads an L1 account from a key file (JSON as written by `keys new-l1`, or one hex line). */
export function loadL1Account(path: string): PrivateKeyAccount {
  const text = readText(path).trim();
  let privateKey: unknown = text;
  if (text.startsWith("{")) {
    try {
      privateKey = (JSON.parse(text) as { privateKey?: unknown }).privateKey;
    } catch {
      throw new KeyFileError("KEY_FILE_MALFORMED", `${path} is not valid JSON`);
    }
  }
  if (typeof privateKey !== "string" || !isHex(privateKey) || privateKey.length !== 66) {
    throw new KeyFileError("KEY_FILE_MALFORMED", `${path} holds no 32-byte 0x-hex private key`);
  }
  try {
    return privateKeyToAccount(privateKey as Hex);
  } catch {
    throw new KeyFileError("KEY_FILE_MALFORMED", `${path} holds an invalid secp256k1 private key`);
  }
}

export interface NewBlsKeyOptions {
  /** Cheap KDF for tests and throwaway devnets (never for real keys). */
  insecureFastKdf?: boolean;
}

/** Generates a BLS key from 32 random bytes (EIP-2333) and writes it as an EIP-2335 keystore. */
export async function newBlsKeystore(
  path: string,
  passwordFile: string,
  opts: NewBlsKeyOptions = {},
): Promise<{ pubkey: Hex; pubkeyEip2537: Hex }> {
  refuseOverwrite(path);
  const password = await readPasswordFile(passwordFile);
  const secret = secretKeyFromSeed(randomBytes(32));
  const keystore = await createKeystore(
    secret,
    password,
    opts.insecureFastKdf ? { kdf: kdfFastInsecure() } : {},
  );
  await writeKeystoreFile(path, keystore);
  const pubkey = `0x${keystore.pubkey}` as Hex;
  return { pubkey, pubkeyEip2537: toHex(g1ToEip2537(Buffer.from(keystore.pubkey, "hex"))) };
}

/** Decrypts a BLS keystore with its password file. */
export async function loadBlsSecret(path: string, passwordFile: string): Promise<Uint8Array> {
  return (await loadKeystoreFile(path, passwordFile)).secretKey;
}

export type KeyFileInfo =
  | { kind: "bls-keystore"; pubkey: Hex; pubkeyEip2537: Hex; path: string; uuid: string }
  | { kind: "l1-key"; address: Hex };

/** Describes a key file without revealing (or needing) any secret. */
export function describeKeyFile(path: string): KeyFileInfo {
  const text = readText(path).trim();
  if (text.startsWith("{")) {
    let json: { crypto?: unknown; type?: unknown };
    try {
      json = JSON.parse(text) as { crypto?: unknown };
    } catch {
      throw new KeyFileError("KEY_FILE_MALFORMED", `${path} is not valid JSON`);
    }
    if (json.crypto !== undefined) {
      const ks = parseKeystore(json);
      return {
        kind: "bls-keystore",
        pubkey: `0x${ks.pubkey}`,
        pubkeyEip2537: toHex(g1ToEip2537(Buffer.from(ks.pubkey, "hex"))),
        path: ks.path,
        uuid: ks.uuid,
      };
    }
  }
  return { kind: "l1-key", address: loadL1Account(path).address };
}
