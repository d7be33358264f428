import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type CommittedBlock,
  type ConsensusCore,
  type ConsensusInput,
  type CoreSnapshot,
  type Effect,
  initialSafetyData,
} from "../../../src/consensus/index.ts";
import { ConsensusHost, type PayloadSource } from "../../../src/node/consensus-host.ts";
import { SafetyFile } from "../../../src/node/safety-file.ts";
import type { P2pHost } from "../../../src/p2p/host.ts";
import type { QuorumCertificate } from "../../../src/types/index.ts";

/**
 * The host's ordering of effects around a safety write, with a scripted core (the real core's
 * rules are tested in test/unit/consensus): a vote released by a write leaves before the commit
 * decided in the same step is applied, commits keep their order, and each carries the snapshot
 * taken when it was decided.
 */
const NEXT_LEADER = 1;
const vote = {
  vote: { epoch: 0, round: 5, blockRoot: new Uint8Array(32).fill(5) },
  signerIndex: 0,
  signature: new Uint8Array(96).fill(1),
};
const qc = {} as QuorumCertificate;

function committed(round: number): CommittedBlock[] {
  return [{ block: { header: { round } } } as unknown as CommittedBlock];
}

/** Plays back `script[input.type]`; its snapshot() tells how many inputs it had handled. */
function scriptedCore(script: Partial<Record<ConsensusInput["type"], Effect[][]>>): {
  core: ConsensusCore;
  inputs: string[];
} {
  const inputs: string[] = [];
  const core = {
    handle(input: ConsensusInput): Effect[] {
      inputs.push(input.type);
      return script[input.type]?.shift() ?? [];
    },
    snapshot(): CoreSnapshot {
      return { handled: inputs.length } as unknown as CoreSnapshot;
    },
    status: () => ({ epoch: 0, round: 5, committedRound: 3, schemeName: "test" }),
  };
  return { core: core as unknown as ConsensusCore, inputs };
}

describe("ConsensusHost", () => {
  let dir: string;
  let safety: SafetyFile;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "host-"));
    safety = new SafetyFile({ path: join(dir, "safety.bin") });
  });
  afterEach(() => {
    safety.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The host's wall clock, and the decision times its commits carried. */
  let clock = 0;
  const decided: number[] = [];

  function hostWith(core: ConsensusCore, log: string[]): ConsensusHost {
    const p2p = {
      sendVote: async (peer: string) => {
        log.push(`vote to ${peer}`);
      },
      publish: async (topic: string) => {
        log.push(`publish ${topic}`);
      },
    } as unknown as P2pHost;
    return new ConsensusHost(
      { selfIndex: 0, validatorPeers: new Map([[NEXT_LEADER, "peer-1"]]) },
      {
        core,
        p2p,
        safety,
        payloads: {} as PayloadSource,
        onCommit: (blocks, _qc, snapshot, decidedAtMs) => {
          const round = blocks[0].block.header.round;
          log.push(`commit ${round} at snapshot ${(snapshot as unknown as { handled: number }).handled}`);
          decided.push(decidedAtMs);
        },
        now: () => clock,
      },
    );
  }

  it("applies a commit decided while a vote waits for its write only after the vote has left", async () => {
    const data = { ...initialSafetyData(0), lastVotedRound: 5 };
    const { core, inputs } = scriptedCore({
      start: [
        [
          { type: "persistSafety", seq: 1, data },
          { type: "commit", epoch: 0, blocks: committed(3), qc },
          { type: "commit", epoch: 0, blocks: committed(4), qc },
          { type: "yield" },
        ],
      ],
      safetyPersisted: [[{ type: "sendTo", to: NEXT_LEADER, message: { kind: "vote", vote } }]],
    });
    const log: string[] = [];
    clock = 1_000;
    decided.length = 0;
    const host = hostWith(core, log);
    host.start();
    // The write is in flight: the step's commits wait, the put-off work (resume) ran already.
    expect(log).toEqual([]);
    expect(inputs).toEqual(["start", "resume"]);
    clock = 1_005;
    await new Promise<void>((resolve) => {
      const poll = (): void => (log.length >= 3 ? resolve() : void setTimeout(poll, 1));
      poll();
    });
    expect(log).toEqual(["vote to peer-1", "commit 3 at snapshot 1", "commit 4 at snapshot 1"]);
    // Applied later, but timed (for the commit latency metric) when they were decided.
    expect(decided).toEqual([1_000, 1_000]);
    expect(safety.load()?.lastVotedRound).toBe(5);
    host.stop();
  });

  it("applies a commit at once when no write is in flight, and hands held ones over on stop", async () => {
    const writes: Promise<void>[] = [];
    const save = safety.saveAsync.bind(safety);
    safety.saveAsync = (data) => {
      const write = save(data);
      writes.push(write);
      return write;
    };
    const { core } = scriptedCore({
      start: [[{ type: "commit", epoch: 0, blocks: committed(3), qc }]],
      timer: [
        [
          { type: "persistSafety", seq: 1, data: initialSafetyData(0) },
          { type: "commit", epoch: 0, blocks: committed(4), qc },
        ],
      ],
    });
    const log: string[] = [];
    const host = hostWith(core, log);
    host.start();
    expect(log).toEqual(["commit 3 at snapshot 1"]);
    host.submit({ type: "timer", nowMs: 0, timer: { epoch: 0, round: 5 } });
    expect(log).toEqual(["commit 3 at snapshot 1"]);
    host.stop();
    expect(log).toEqual(["commit 3 at snapshot 1", "commit 4 at snapshot 2"]);
    await Promise.all(writes);
  });
});
