/**
 * Per-key token bucket (the key is the client IP). The table is bounded: when full, buckets that
 * have refilled completely (idle clients) are dropped, and if none has, the oldest entry goes.
 */
export interface RateLimiterOptions {
  ratePerSecond: number;
  burst: number;
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  lastMs: number;
}

export class RateLimiter {
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxKeys: number;
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(opts: RateLimiterOptions, modules: { now?: () => number } = {}) {
    this.rate = opts.ratePerSecond;
    this.burst = opts.burst;
    this.maxKeys = opts.maxKeys ?? 10_000;
    this.now = modules.now ?? (() => performance.now());
  }

  /** Takes `cost` tokens if available; false means the client is over its rate. */
  tryTake(key: string, cost = 1): boolean {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      this.makeRoom(now);
      bucket = { tokens: this.burst, lastMs: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.lastMs) / 1000) * this.rate);
      bucket.lastMs = now;
    }
    if (bucket.tokens < cost) return false;
    bucket.tokens -= cost;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }

  private makeRoom(now: number): void {
    if (this.buckets.size < this.maxKeys) return;
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.lastMs) / 1000) * this.rate >= this.burst) this.buckets.delete(key);
    }
    if (this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
  }
}
