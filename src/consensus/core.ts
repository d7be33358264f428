/** Placeholder: the state machine lands in the next commit; the API below is stable. */
import type {
  ConsensusInput,
  ConsensusModules,
  ConsensusOpts,
  CoreSnapshot,
  DropReason,
  Effect,
} from "./types.ts";

export interface CoreStatus {
  epoch: number;
  round: number;
  highQcRound: number;
  committedRound: number;
  committedRoot: Uint8Array;
  leader: number;
  schemeName: string;
  safetyRulesName: string;
}

export class ConsensusCore {
  readonly opts: ConsensusOpts;
  readonly modules: ConsensusModules;

  constructor(opts: ConsensusOpts, modules: ConsensusModules) {
    this.opts = opts;
    this.modules = modules;
  }

  handle(_input: ConsensusInput): Effect[] {
    return [];
  }

  status(): CoreStatus {
    throw new Error("not implemented yet");
  }

  snapshot(): CoreSnapshot {
    throw new Error("not implemented yet");
  }

  dropCounts(): Readonly<Partial<Record<DropReason, number>>> {
    return {};
  }
}
