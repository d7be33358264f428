/** Caps of the L1 retry loops (follower and evidence submitter). */
export interface RetryCaps {
  /** Delay after the first failure. */
  backoffBaseMs: number;
  /** Largest delay between two attempts. */
  backoffMaxMs: number;
}

/**
 * Delay before retry number `failures` (1-based): base, 2·base, 4·base, ... capped. No jitter, so
 * tests and logs are reproducible; each node has its own RPC, so there is no herd to spread.
 */
export function backoffDelayMs(failures: number, caps: RetryCaps): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(caps.backoffBaseMs * 2 ** exponent, caps.backoffMaxMs);
}
