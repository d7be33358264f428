/** One named health condition; `ok: false` makes /health answer 503. */
export interface HealthResult {
  ok: boolean;
  detail?: string;
}

export type HealthCheck = () => HealthResult;

export interface HealthReport {
  ok: boolean;
  checks: Record<string, HealthResult>;
}

/** The checks the node registers (peers > 0, round advancing, ...); /health reports them all. */
export class HealthChecks {
  private readonly checks = new Map<string, HealthCheck>();

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  unregister(name: string): void {
    this.checks.delete(name);
  }

  report(): HealthReport {
    const checks: Record<string, HealthResult> = {};
    let ok = true;
    for (const [name, check] of this.checks) {
      let result: HealthResult;
      try {
        result = check();
      } catch (err) {
        result = { ok: false, detail: `check threw: ${(err as Error).message}` };
      }
      checks[name] = result;
      if (!result.ok) ok = false;
    }
    return { ok, checks };
  }
}

/** Healthy while `min` or more peers are connected. */
export function minPeersCheck(getPeers: () => number, min = 1): HealthCheck {
  return () => {
    const peers = getPeers();
    return { ok: peers >= min, detail: `${peers} peers (need ${min})` };
  };
}

/**
 * Healthy while a counter (the consensus round, the committed height) has changed within
 * `maxStallMs`. The clock is injected so tests need no sleeps.
 */
export function progressCheck(
  getValue: () => number,
  maxStallMs: number,
  now: () => number = Date.now,
): HealthCheck {
  let lastValue = getValue();
  let lastChange = now();
  return () => {
    const value = getValue();
    const t = now();
    if (value !== lastValue) {
      lastValue = value;
      lastChange = t;
    }
    const stalled = t - lastChange;
    return { ok: stalled <= maxStallMs, detail: `value ${value}, unchanged for ${stalled} ms` };
  };
}
