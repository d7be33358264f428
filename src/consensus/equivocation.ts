/**
 * First-seen signed message per (kind, signer, round), to spot two different signed messages of
 * one kind for one round by one validator: equivocation. Honest cores sign at most one of each
 * (see safety data), so any conflict is evidence. Records are kept for a window of rounds and
 * capped in number; each piece of evidence is emitted once.
 */
export type SignedKindKey = "vote" | "proposal" | "timeout";

export interface SeenRecord<M> {
  rootHex: string;
  message: M;
  signature: Uint8Array;
  /** Whether the signature was checked (records may be stored before aggregate checks). */
  verified: boolean;
}

export type SeenResult<M> =
  | { kind: "first" }
  | { kind: "same"; record: SeenRecord<M> }
  | { kind: "conflict"; record: SeenRecord<M> }
  | { kind: "full" };

export class EquivocationDetector<M> {
  private readonly records = new Map<string, { round: number; record: SeenRecord<M> }>();
  private readonly emitted = new Map<string, number>();
  private readonly maxRecords: number;

  constructor(maxRecords: number) {
    this.maxRecords = maxRecords;
  }

  private key(signer: number, round: number): string {
    return `${signer}/${round}`;
  }

  observe(signer: number, round: number, record: SeenRecord<M>): SeenResult<M> {
    const key = this.key(signer, round);
    const prev = this.records.get(key);
    if (prev === undefined) {
      if (this.records.size >= this.maxRecords) return { kind: "full" };
      this.records.set(key, { round, record });
      return { kind: "first" };
    }
    return prev.record.rootHex === record.rootHex
      ? { kind: "same", record: prev.record }
      : { kind: "conflict", record: prev.record };
  }

  /** Replaces a first-seen record whose signature turned out to be bad. */
  replace(signer: number, round: number, record: SeenRecord<M>): void {
    this.records.set(this.key(signer, round), { round, record });
  }

  forget(signer: number, round: number): void {
    this.records.delete(this.key(signer, round));
  }

  wasEmitted(signer: number, round: number): boolean {
    return this.emitted.has(this.key(signer, round));
  }

  /** True the first time evidence for (signer, round) is reported. */
  markEmitted(signer: number, round: number): boolean {
    const key = this.key(signer, round);
    if (this.emitted.has(key)) return false;
    if (this.emitted.size >= this.maxRecords) this.pruneEmitted();
    this.emitted.set(key, round);
    return true;
  }

  private pruneEmitted(): void {
    const rounds = [...this.emitted.values()].sort((a, b) => a - b);
    const cutoff = rounds[Math.floor(rounds.length / 2)];
    for (const [k, r] of this.emitted) if (r <= cutoff) this.emitted.delete(k);
  }

  /** Drops everything below `minRound`. */
  pruneBelow(minRound: number): void {
    for (const [k, v] of this.records) if (v.round < minRound) this.records.delete(k);
    for (const [k, r] of this.emitted) if (r < minRound) this.emitted.delete(k);
  }

  get size(): number {
    return this.records.size;
  }
}
