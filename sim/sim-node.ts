import type { ConsensusCore, CoreSnapshot, SafetyData } from "../src/consensus/index.ts";
import type { Behaviour } from "./scenario.ts";

/** What survives a crash of one simulated node: only what its disk acknowledged. */
export interface Durable {
  safety: SafetyData | null;
  snapshot: CoreSnapshot | undefined;
}

/**
 * One running instance of the real core. A validator has one, or two (Twins) sharing its key.
 * `incarnation` grows at every crash so that timers and acks of a dead incarnation are ignored.
 */
export interface SimNode {
  id: number;
  validator: number;
  /** 0, or 0/1 for the two instances of a Twins validator. */
  instance: number;
  label: string;
  behaviour: Behaviour;
  dual: boolean;
  /** Single-instance validators: which half of them an equivocator instance reaches (0 or 1). */
  half: number;
  core: ConsensusCore;
  up: boolean;
  pausedUntil: number;
  incarnation: number;
  durable: Durable;
  clock: { offsetMs: number; drift: number };
  /** Blocks (root hex) this node has, for answering catch-up requests. */
  known: Set<string>;
  /** Highest round known to have a block of this node; for toRoot-less fetches. */
  bestKnown: string | undefined;
  bestKnownRound: number;
  committed: Set<string>;
  commitLog: string[];
  height: number;
  round: number;
  heightSeries: [number, number][];
}
