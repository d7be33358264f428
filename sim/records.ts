/** What the simulation records while it runs; the invariants, summary and report read these. */

export type SignedKind = "proposal" | "vote" | "timeout";

/** One signed consensus message as it left a node. */
export interface SignedRecord {
  signer: number;
  instance: number;
  kind: SignedKind;
  epoch: number;
  round: number;
  /** Identifies the signed content: two records with one key and different digests conflict. */
  digest: string;
  atMs: number;
  step: number;
}

export interface CommitRecord {
  node: number;
  instance: number;
  height: number;
  blockId: string;
  parentId: string | undefined;
  round: number;
  atMs: number;
  step: number;
}

export interface EvidenceRecord {
  reporter: number;
  offender: number;
  kind: string;
  round: number;
  atMs: number;
}

/** A time interval drawn as a band in the report: a partition, a crash, a pause. */
export interface Band {
  kind: "partition" | "crash" | "pause" | "loss";
  node?: number;
  label: string;
  fromMs: number;
  toMs: number;
}

export interface TraceLine {
  step: number;
  atMs: number;
  text: string;
}
