import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import {
  create,
  decrypt,
  defaultScryptModule,
  type IKdfModule,
  type IKeystore,
  isValidKeystore,
  verifyPassword,
} from "@chainsafe/bls-keystore";
import { CodedError } from "../util/coded-error.ts";
import { DEFAULT_DERIVATION_PATH, publicKeyFromSecretKey } from "./bls.ts";

/**
 * EIP-2335 keystores (@chainsafe/bls-keystore): the encrypted validator key format operators
 * already use. The default KDF is the strong one (scrypt n = 2^18, ~1 s); tests pass
 * KEYSTORE_KDF_FAST_INSECURE so they stay fast.
 */

export type KeystoreErrorCode =
  | "KEYSTORE_MALFORMED"
  | "KEYSTORE_WRONG_PASSWORD"
  | "KEYSTORE_PUBKEY_MISMATCH"
  | "KEYSTORE_UNREADABLE"
  | "PASSWORD_FILE_UNREADABLE"
  | "PASSWORD_EMPTY";
export class KeystoreError extends CodedError<KeystoreErrorCode> {}

export type { IKeystore as Keystore };

export type KdfSetting = Pick<IKdfModule, "function" | "params">;

/** Cheap pbkdf2 (2 rounds): for tests and throwaway devnets only, never for real keys. */
export function kdfFastInsecure(): KdfSetting {
  return {
    function: "pbkdf2",
    params: { dklen: 32, c: 2, prf: "hmac-sha256", salt: randomBytes(32).toString("hex") },
  };
}

export interface CreateKeystoreOptions {
  /** EIP-2334 path the key came from; recorded in the file. */
  path?: string;
  description?: string;
  /** Defaults to scrypt with EIP-2335's recommended parameters. */
  kdf?: KdfSetting;
}

export interface DecryptedKey {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Encrypts a BLS secret key (its public key is derived and recorded). */
export async function createKeystore(
  secretKey: Uint8Array,
  password: string,
  opts: CreateKeystoreOptions = {},
): Promise<IKeystore> {
  if (password.length === 0) throw new KeystoreError("PASSWORD_EMPTY", "keystore password must not be empty");
  const publicKey = publicKeyFromSecretKey(secretKey);
  return create(
    password,
    secretKey,
    publicKey,
    opts.path ?? DEFAULT_DERIVATION_PATH,
    opts.description ?? "megaseq validator key",
    opts.kdf ?? defaultScryptModule(),
  );
}

/** Parses and schema-checks a keystore from JSON text or an already parsed object. */
export function parseKeystore(input: string | unknown): IKeystore {
  let value: unknown = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new KeystoreError("KEYSTORE_MALFORMED", `keystore is not JSON: ${(err as Error).message}`);
    }
  }
  if (!isValidKeystore(value)) {
    throw new KeystoreError("KEYSTORE_MALFORMED", "keystore does not follow the EIP-2335 schema");
  }
  if (value.version !== 4)
    throw new KeystoreError("KEYSTORE_MALFORMED", `unsupported keystore version ${value.version}`);
  return value;
}

/**
 * Decrypts a keystore; a wrong password is KEYSTORE_WRONG_PASSWORD (checked through the EIP-2335
 * checksum, before any decryption), a secret that does not match the recorded public key is
 * KEYSTORE_PUBKEY_MISMATCH.
 */
export async function decryptKeystore(input: string | unknown, password: string): Promise<DecryptedKey> {
  const keystore = parseKeystore(input);
  let ok: boolean;
  try {
    ok = await verifyPassword(keystore, password);
  } catch (err) {
    throw new KeystoreError(
      "KEYSTORE_MALFORMED",
      `keystore parameters are unusable: ${(err as Error).message}`,
    );
  }
  if (!ok) throw new KeystoreError("KEYSTORE_WRONG_PASSWORD", "wrong keystore password");
  let secretKey: Uint8Array;
  try {
    secretKey = await decrypt(keystore, password);
  } catch (err) {
    throw new KeystoreError("KEYSTORE_MALFORMED", `cannot decrypt keystore: ${(err as Error).message}`);
  }
  let publicKey: Uint8Array;
  try {
    publicKey = publicKeyFromSecretKey(secretKey);
  } catch (err) {
    throw new KeystoreError(
      "KEYSTORE_MALFORMED",
      `keystore holds no valid BLS secret key: ${(err as Error).message}`,
    );
  }
  if (
    keystore.pubkey !== "" &&
    Buffer.from(publicKey).toString("hex") !== keystore.pubkey.replace(/^0x/, "")
  ) {
    throw new KeystoreError("KEYSTORE_PUBKEY_MISMATCH", "decrypted key does not match the keystore's pubkey");
  }
  return { secretKey, publicKey };
}

/** Reads a password file; exactly one trailing newline (\n or \r\n) is removed, nothing else. */
export async function readPasswordFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new KeystoreError(
      "PASSWORD_FILE_UNREADABLE",
      `cannot read password file ${path}: ${(err as Error).message}`,
    );
  }
  const password = text.endsWith("\r\n") ? text.slice(0, -2) : text.endsWith("\n") ? text.slice(0, -1) : text;
  if (password.length === 0) throw new KeystoreError("PASSWORD_EMPTY", `password file ${path} is empty`);
  return password;
}

/** Reads a keystore file and decrypts it with the password in `passwordFile`. */
export async function loadKeystoreFile(keystorePath: string, passwordFile: string): Promise<DecryptedKey> {
  let text: string;
  try {
    text = await readFile(keystorePath, "utf8");
  } catch (err) {
    throw new KeystoreError(
      "KEYSTORE_UNREADABLE",
      `cannot read keystore ${keystorePath}: ${(err as Error).message}`,
    );
  }
  return decryptKeystore(text, await readPasswordFile(passwordFile));
}

/** Writes a keystore as JSON, readable by its owner only. */
export async function writeKeystoreFile(path: string, keystore: IKeystore): Promise<void> {
  await writeFile(path, `${JSON.stringify(keystore, null, 2)}\n`, { mode: 0o600 });
}
