/**
 * The pieces of one consensus core, one concern each, wired to each other. They call across
 * (a vote may form a QC, which commits, which may end the epoch, which enters a round, which may
 * propose...), so each receives this object and reaches the others through it at handle() time;
 * none calls another while being built.
 */

import { CatchUp } from "./catch-up.ts";
import { Certificates } from "./certificates.ts";
import { Commits } from "./commits.ts";
import type { CoreState } from "./core-state.ts";
import { EpochChange } from "./epoch-change.ts";
import { ProposalIntake } from "./proposal-intake.ts";
import { Proposer } from "./proposer.ts";
import { RoundPacer } from "./round-pacer.ts";
import { SafetyWrites } from "./safety-writes.ts";
import { TimeoutIntake } from "./timeout-intake.ts";
import { VoteIntake } from "./vote-intake.ts";
import { Voter } from "./voter.ts";

export class CoreParts {
  readonly writes: SafetyWrites;
  readonly rounds: RoundPacer;
  readonly certificates: Certificates;
  readonly commits: Commits;
  readonly epochs: EpochChange;
  readonly proposalIntake: ProposalIntake;
  readonly voter: Voter;
  readonly voteIntake: VoteIntake;
  readonly timeoutIntake: TimeoutIntake;
  readonly proposer: Proposer;
  readonly catchUp: CatchUp;

  constructor(state: CoreState) {
    this.writes = new SafetyWrites(state);
    this.rounds = new RoundPacer(state, this);
    this.certificates = new Certificates(state, this);
    this.commits = new Commits(state, this);
    this.epochs = new EpochChange(state, this);
    this.proposalIntake = new ProposalIntake(state, this);
    this.voter = new Voter(state, this);
    this.voteIntake = new VoteIntake(state, this);
    this.timeoutIntake = new TimeoutIntake(state, this);
    this.proposer = new Proposer(state, this);
    this.catchUp = new CatchUp(state, this);
  }
}
