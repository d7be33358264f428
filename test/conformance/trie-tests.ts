import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { keccak256 } from "../../src/crypto/keccak.ts";
import { bytesToHex, hexToBytes } from "../../src/execution/hex.ts";
import { MerklePatriciaTrie } from "../../src/execution/trie/mpt.ts";
import { errorText, type FolderResult, newResult } from "./report.ts";

interface TrieCase {
  in: [string, string | null][] | Record<string, string | null>;
  root: string;
}

function bytesOf(text: string | null): Uint8Array {
  if (text === null) return new Uint8Array(0);
  return text.startsWith("0x") ? hexToBytes(text) : new TextEncoder().encode(text);
}

/** Runs one TrieTests case: insert (or delete on null/empty) every pair in order, compare roots. */
export function runTrieCase(testCase: TrieCase, secure: boolean): string | undefined {
  const trie = new MerklePatriciaTrie();
  const pairs = Array.isArray(testCase.in) ? testCase.in : Object.entries(testCase.in);
  for (const [key, value] of pairs) {
    const k = bytesOf(key);
    trie.put(secure ? keccak256(k) : k, bytesOf(value));
  }
  const root = bytesToHex(trie.rootHash());
  return root === testCase.root.toLowerCase() ? undefined : `root ${root} != expected ${testCase.root}`;
}

/** TrieTests: every root-checking file; `trietestnextprev.json` tests iteration, which we do not expose. */
export function runTrieTests(dir: string, filter?: (name: string) => boolean): FolderResult {
  const result = newResult("TrieTests");
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const cases = JSON.parse(readFileSync(join(dir, file), "utf8")) as Record<string, TrieCase>;
    const secure = file.includes("secureTrie") || file.startsWith("hex_encoded_securetrie");
    for (const [name, testCase] of Object.entries(cases)) {
      const id = `${file}/${name}`;
      if (filter !== undefined && !filter(id)) continue;
      if (file === "trietestnextprev.json") {
        result.skipped.push({ name: id, reason: "next/prev iteration, not a root test" });
        continue;
      }
      try {
        const failure = runTrieCase(testCase, secure);
        if (failure === undefined) result.passed++;
        else result.failed.push({ name: id, reason: failure });
      } catch (err) {
        result.failed.push({ name: id, reason: errorText(err) });
      }
    }
  }
  return result;
}
