export interface RateLimit {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size: how many requests may arrive at once. */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets per key (peer id + protocol). The map is bounded: past `maxKeys` the oldest bucket
 * is dropped, so many peer ids cannot grow memory; the node also forgets a peer on disconnect.
 */
export class RateLimiter {
  private readonly limit: RateLimit;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(opts: { limit: RateLimit; maxKeys?: number }, modules: { now?: () => number } = {}) {
    this.limit = opts.limit;
    this.maxKeys = opts.maxKeys ?? 4096;
    this.now = modules.now ?? Date.now;
  }

  /** Takes `cost` tokens for `key` if it has them. */
  tryTake(key: string, cost = 1): boolean {
    const t = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      bucket = { tokens: this.limit.burst, at: t };
      this.buckets.set(key, bucket);
    } else {
      const refill = ((t - bucket.at) / 1000) * this.limit.perSecond;
      bucket.tokens = Math.min(this.limit.burst, bucket.tokens + refill);
      bucket.at = t;
    }
    if (bucket.tokens < cost) return false;
    bucket.tokens -= cost;
    return true;
  }

  forget(keyPrefix: string): void {
    for (const key of this.buckets.keys()) if (key.startsWith(keyPrefix)) this.buckets.delete(key);
  }

  get size(): number {
    return this.buckets.size;
  }
}
