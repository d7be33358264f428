import type { SignatureScheme } from "../src/consensus/index.ts";

const MAX_ENTRIES = 200_000;

/**
 * Memoizes a signature scheme's checks for the whole simulated network. Verification is a pure
 * function of (keys, message, signature), so a cache cannot change any result; it only saves
 * N nodes checking the very same QC N times in one process (a real node's verifier cache does
 * the same per node). Keys are named by their committee index when known, so keys stay short.
 */
export class CachedVerifier implements SignatureScheme {
  readonly name: string;
  private readonly inner: SignatureScheme;
  private readonly keyIds = new Map<Uint8Array, number>();
  private readonly results = new Map<string, boolean>();
  hits = 0;
  misses = 0;

  constructor(inner: SignatureScheme, committeeKeys: readonly Uint8Array[]) {
    this.inner = inner;
    this.name = inner.name;
    for (const [i, k] of committeeKeys.entries()) this.keyIds.set(k, i);
  }

  verify(pubkey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    return this.memo(`v${this.keyId(pubkey)}|${hex(message)}|${hex(signature)}`, () =>
      this.inner.verify(pubkey, message, signature),
    );
  }

  fastAggregateVerify(pubkeys: readonly Uint8Array[], message: Uint8Array, signature: Uint8Array): boolean {
    return this.memo(
      `f${pubkeys.map((k) => this.keyId(k)).join(",")}|${hex(message)}|${hex(signature)}`,
      () => this.inner.fastAggregateVerify(pubkeys, message, signature),
    );
  }

  aggregateVerify(
    pubkeys: readonly Uint8Array[],
    messages: readonly Uint8Array[],
    signature: Uint8Array,
  ): boolean {
    return this.memo(
      `a${pubkeys.map((k) => this.keyId(k)).join(",")}|${messages.map(hex).join(",")}|${hex(signature)}`,
      () => this.inner.aggregateVerify(pubkeys, messages, signature),
    );
  }

  aggregate(signatures: readonly Uint8Array[]): Uint8Array {
    return this.inner.aggregate(signatures);
  }

  private keyId(key: Uint8Array): string {
    const id = this.keyIds.get(key);
    return id !== undefined ? String(id) : `x${hex(key)}`;
  }

  private memo(key: string, compute: () => boolean): boolean {
    const hit = this.results.get(key);
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const result = compute();
    if (this.results.size >= MAX_ENTRIES) this.results.clear();
    this.results.set(key, result);
    return result;
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
