interface Penalty {
  value: number;
  at: number;
}

/**
 * The application-specific part of a peer's gossipsub score: invalid gossip, bad direct votes,
 * malformed or oversized req/resp traffic. Penalties decay with a half-life so that a peer that
 * behaves recovers; the map is bounded like every structure fed by remote peers.
 */
export class PeerPenalties {
  private readonly halfLifeMs: number;
  private readonly maxPeers: number;
  private readonly now: () => number;
  private readonly penalties = new Map<string, Penalty>();

  constructor(opts: { halfLifeMs?: number; maxPeers?: number } = {}, modules: { now?: () => number } = {}) {
    this.halfLifeMs = opts.halfLifeMs ?? 60_000;
    this.maxPeers = opts.maxPeers ?? 4096;
    this.now = modules.now ?? Date.now;
  }

  /** Adds `amount` to the peer's penalty and returns the new (decayed) total. */
  penalize(peer: string, amount: number): number {
    const current = this.current(peer);
    this.penalties.delete(peer);
    if (this.penalties.size >= this.maxPeers) {
      const oldest = this.penalties.keys().next().value;
      if (oldest !== undefined) this.penalties.delete(oldest);
    }
    const value = current + amount;
    this.penalties.set(peer, { value, at: this.now() });
    return value;
  }

  /** The score contribution: zero or negative. */
  score(peer: string): number {
    const value = this.current(peer);
    return value === 0 ? 0 : -value;
  }

  private current(peer: string): number {
    const entry = this.penalties.get(peer);
    if (entry === undefined) return 0;
    const elapsed = Math.max(0, this.now() - entry.at);
    const value = entry.value * 0.5 ** (elapsed / this.halfLifeMs);
    if (value < 0.01) {
      this.penalties.delete(peer);
      return 0;
    }
    return value;
  }
}
