import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKeystore,
  decryptKeystore,
  KeystoreError,
  type KeystoreErrorCode,
  kdfFastInsecure,
  loadKeystoreFile,
  readPasswordFile,
  writeKeystoreFile,
} from "../../../src/crypto/keystore.ts";
import { testKeys } from "./bls-helpers.ts";

const [key, other] = testKeys(2);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "megaseq-keystore-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectCode(promise: Promise<unknown>, code: KeystoreErrorCode): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(KeystoreError);
  await expect(promise).rejects.toMatchObject({ code });
}

describe("EIP-2335 keystores", () => {
  it("encrypts and decrypts a secret key (pbkdf2 and scrypt)", async () => {
    const ks = await createKeystore(key.sk, "correct horse", { kdf: kdfFastInsecure() });
    expect(ks.version).toBe(4);
    expect(ks.pubkey).toBe(Buffer.from(key.pk).toString("hex"));
    expect(ks.path).toBe("m/12381/3600/0/0/0");
    const out = await decryptKeystore(JSON.stringify(ks), "correct horse");
    expect(out.secretKey).toEqual(key.sk);
    expect(out.publicKey).toEqual(key.pk);

    const scrypt = await createKeystore(key.sk, "pw", {
      kdf: { function: "scrypt", params: { dklen: 32, n: 16, r: 8, p: 1, salt: "00".repeat(32) } },
    });
    expect((await decryptKeystore(scrypt, "pw")).secretKey).toEqual(key.sk);
  });

  it("defaults to the strong scrypt KDF (n = 2^18)", async () => {
    // One KDF run (~1 s): creating is the only step done with the default here.
    const ks = await createKeystore(key.sk, "pw");
    expect(ks.crypto.kdf.function).toBe("scrypt");
    expect(ks.crypto.kdf.function === "scrypt" && ks.crypto.kdf.params.n).toBe(262144);
  });

  it("a wrong password is KEYSTORE_WRONG_PASSWORD", async () => {
    const ks = await createKeystore(key.sk, "right", { kdf: kdfFastInsecure() });
    await expectCode(decryptKeystore(ks, "wrong"), "KEYSTORE_WRONG_PASSWORD");
  });

  it("malformed files are KEYSTORE_MALFORMED", async () => {
    const ks = await createKeystore(key.sk, "pw", { kdf: kdfFastInsecure() });
    await expectCode(decryptKeystore("{not json", "pw"), "KEYSTORE_MALFORMED");
    await expectCode(decryptKeystore("{}", "pw"), "KEYSTORE_MALFORMED");
    await expectCode(
      decryptKeystore({ ...ks, crypto: { ...ks.crypto, kdf: { function: "argon2" } } }, "pw"),
      "KEYSTORE_MALFORMED",
    );
    await expectCode(decryptKeystore({ ...ks, version: 3 }, "pw"), "KEYSTORE_MALFORMED");
  });

  it("a keystore whose secret does not match its pubkey is KEYSTORE_PUBKEY_MISMATCH", async () => {
    const ks = await createKeystore(key.sk, "pw", { kdf: kdfFastInsecure() });
    await expectCode(
      decryptKeystore({ ...ks, pubkey: Buffer.from(other.pk).toString("hex") }, "pw"),
      "KEYSTORE_PUBKEY_MISMATCH",
    );
  });

  it("empty passwords are refused", async () => {
    await expectCode(createKeystore(key.sk, ""), "PASSWORD_EMPTY");
  });
});

describe("password files", () => {
  it("trims exactly one trailing newline", async () => {
    const cases: [string, string][] = [
      ["pw\n", "pw"],
      ["pw\r\n", "pw"],
      ["pw", "pw"],
      ["pw\n\n", "pw\n"],
      [" pw \n", " pw "],
    ];
    for (const [i, [content, expected]] of cases.entries()) {
      const file = join(dir, `pw${i}`);
      await writeFile(file, content);
      expect(await readPasswordFile(file)).toBe(expected);
    }
  });

  it("missing or empty password files are typed errors", async () => {
    await expectCode(readPasswordFile(join(dir, "nope")), "PASSWORD_FILE_UNREADABLE");
    const empty = join(dir, "empty");
    await writeFile(empty, "\n");
    await expectCode(readPasswordFile(empty), "PASSWORD_EMPTY");
  });

  it("writes a keystore file (mode 600) and loads it with a password file", async () => {
    const ks = await createKeystore(key.sk, "s3cret", { kdf: kdfFastInsecure() });
    const ksPath = join(dir, "keystore.json");
    const pwPath = join(dir, "password.txt");
    await writeKeystoreFile(ksPath, ks);
    await writeFile(pwPath, "s3cret\n");
    expect((await stat(ksPath)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(ksPath, "utf8")).uuid).toBe(ks.uuid);
    expect((await loadKeystoreFile(ksPath, pwPath)).secretKey).toEqual(key.sk);
    await expectCode(loadKeystoreFile(join(dir, "missing.json"), pwPath), "KEYSTORE_UNREADABLE");
    await writeFile(pwPath, "wrong\n");
    await expectCode(loadKeystoreFile(ksPath, pwPath), "KEYSTORE_WRONG_PASSWORD");
  });
});
