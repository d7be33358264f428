import { type LatencyModel, sampleLatency } from "./latency.ts";
import type { Prng } from "./prng.ts";

/** What one directed link does to a message. */
export interface LinkParams {
  latency: LatencyModel;
  /** Probability that a message is lost. */
  loss: number;
  /** Probability that a message is delivered twice (the copy has its own delay). */
  duplicate: number;
  /** Probability that a message is held back by an extra delay, so later ones overtake it. */
  reorder: number;
  /** Upper bound of that extra delay. */
  reorderDelayMs: number;
}

export interface LinkOverride {
  from: number[];
  to: number[];
  params: Partial<LinkParams>;
}

/**
 * The network model: per-link parameters, partitions (a directed block set) and healing. It
 * decides, for one send, after which delays copies arrive; the simulation schedules them.
 */
export class NetworkModel {
  private defaults: LinkParams;
  private readonly n: number;
  private overrides: LinkOverride[] = [];
  /** blocked[from * n + to]: the directed link drops everything. */
  private readonly blocked: Uint8Array;
  private readonly params: LinkParams[];

  constructor(opts: { validators: number; defaults: LinkParams; overrides?: LinkOverride[] }) {
    this.n = opts.validators;
    this.defaults = opts.defaults;
    this.overrides = opts.overrides ?? [];
    this.blocked = new Uint8Array(this.n * this.n);
    this.params = new Array<LinkParams>(this.n * this.n);
    this.recompute();
  }

  /** Changes the default parameters of every link (e.g. heavy loss until GST, then calm). */
  setDefaults(params: Partial<LinkParams>): void {
    this.defaults = { ...this.defaults, ...params };
    this.recompute();
  }

  addOverride(override: LinkOverride): void {
    this.overrides.push(override);
    this.recompute();
  }

  clearOverrides(): void {
    this.overrides = [];
    this.recompute();
  }

  /**
   * Splits the validators into groups that cannot reach one another. A validator listed in no
   * group is alone. Replaces any earlier partition.
   */
  partition(groups: number[][]): void {
    const groupOf = new Int32Array(this.n).map((_, i) => -1 - i);
    groups.forEach((group, g) => {
      for (const v of group) groupOf[v] = g;
    });
    for (let from = 0; from < this.n; from++) {
      for (let to = 0; to < this.n; to++) {
        this.blocked[from * this.n + to] = from !== to && groupOf[from] !== groupOf[to] ? 1 : 0;
      }
    }
  }

  /** Blocks traffic from `from` to `to` only: the reverse direction still flows. */
  blockOneWay(from: number[], to: number[]): void {
    for (const f of from) for (const t of to) if (f !== t) this.blocked[f * this.n + t] = 1;
  }

  /** Lifts every partition and one-way block. */
  heal(): void {
    this.blocked.fill(0);
  }

  isBlocked(from: number, to: number): boolean {
    return this.blocked[from * this.n + to] === 1;
  }

  /** True when any link is blocked now (the report draws this as a band). */
  anyBlocked(): boolean {
    return this.blocked.some((b) => b === 1);
  }

  link(from: number, to: number): LinkParams {
    return this.params[from * this.n + to];
  }

  /**
   * The delays after which copies of one message sent now from `from` to `to` arrive: none when
   * blocked or lost, two when duplicated. A node talking to itself gets it at once.
   */
  plan(from: number, to: number, rng: Prng): number[] {
    if (from === to) return [0];
    if (this.isBlocked(from, to)) return [];
    const p = this.params[from * this.n + to];
    if (rng.chance(p.loss)) return [];
    const delays = [this.delay(p, rng)];
    if (rng.chance(p.duplicate)) delays.push(this.delay(p, rng));
    return delays;
  }

  private delay(p: LinkParams, rng: Prng): number {
    let d = sampleLatency(p.latency, rng);
    if (rng.chance(p.reorder)) d += rng.next() * p.reorderDelayMs;
    return d;
  }

  private recompute(): void {
    for (let from = 0; from < this.n; from++) {
      for (let to = 0; to < this.n; to++) {
        let p = this.defaults;
        for (const o of this.overrides) {
          if (o.from.includes(from) && o.to.includes(to)) p = { ...p, ...o.params };
        }
        this.params[from * this.n + to] = p;
      }
    }
  }
}
