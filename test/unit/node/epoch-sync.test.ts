import { describe, expect, it } from "vitest";
import { type CatchUpAnswer, encodeCatchUpItems } from "../../../src/node/catch-up-wire.ts";
import { EpochSync, type EpochSyncP2p, type SyncPoint } from "../../../src/node/epoch-sync.ts";
import { silentLogger } from "../../../src/node/logger.ts";
import type { RangeRequest } from "../../../src/p2p/sync-codec.ts";
import { Forge } from "../consensus/forge.ts";

const f = new Forge([1, 1, 1, 1]);
const b1 = f.block(1, 1, f.genesisQc());
const b2 = f.block(2, 2, f.qc(b1, [0, 1, 2]));
/** What an honest peer answers for any past epoch: its blocks and the QC that ended it. */
const ENDED_EPOCH = encodeCatchUpItems({ blocks: [b1, b2], qc: f.qc(b2, [1, 2, 3]) });

interface Peer {
  epoch: bigint;
  /** What it answers: the honest end of an epoch, nothing, or a failure. */
  serves: "epoch-end" | "nothing" | "fails" | "in-parts";
}

/**
 * A node's side of catch-up in miniature: `deliver` stands for the consensus core (an answer with
 * the QC ending the epoch commits its boundary, then the node waits for the next set from L1), and
 * `readNextSet` for the L1 read that enters the next epoch.
 */
function world(peers: Record<string, Peer>, start: SyncPoint = at(10)) {
  const point = { ...start };
  const requests: { peer: string; req: RangeRequest }[] = [];
  const statusAsks: string[] = [];
  const delivered: { from: number; answer: CatchUpAnswer }[] = [];
  let nowMs = 0;
  const p2p: EpochSyncP2p = {
    peers: () => Object.keys(peers),
    statusOf: (peer) => (peers[peer] ? { epoch: peers[peer].epoch } : undefined),
    requestStatus: async (peer) => {
      statusAsks.push(peer);
      return { epoch: peers[peer].epoch };
    },
    requestBlocksByRange: async (peer, req) => {
      requests.push({ peer, req });
      const serves = peers[peer].serves;
      if (serves === "fails") throw new Error("stream reset");
      if (serves === "in-parts" && req.start < 8n) return encodeCatchUpItems({ blocks: [b1, b2], qc: null });
      return serves === "nothing" ? [] : ENDED_EPOCH;
    },
  };
  const sync = new EpochSync(
    { batch: 64, statusRefreshMs: 1_000 },
    {
      p2p,
      where: () => ({ ...point }),
      validatorOf: (peer) => (peer === "v1" ? 1 : undefined),
      deliver: (from, answer) => {
        delivered.push({ from, answer });
        if (answer.qc !== null) {
          point.committedRound = 12;
          point.awaitingValidatorSet = true;
        } else if (answer.blocks.length > 0) {
          point.committedRound = 8; // a long epoch: the first part commits, the rest is asked for
        }
      },
      log: silentLogger,
      now: () => nowMs,
    },
  );
  const readNextSet = (): void => {
    point.epoch += 1;
    point.committedRound = 0;
    point.awaitingValidatorSet = false;
    sync.kick();
  };
  return {
    sync,
    point,
    requests,
    statusAsks,
    delivered,
    readNextSet,
    advanceClock: (ms: number) => {
      nowMs += ms;
    },
  };
}

function at(epoch: number, committedRound = 3): SyncPoint {
  return { epoch, committedRound, awaitingValidatorSet: false };
}

/** Lets the loop's promise chain run out (no wall clock: only already-resolved promises). */
async function settled(sync: EpochSync): Promise<void> {
  for (let i = 0; i < 1_000 && sync.running; i++) await new Promise((resolve) => setImmediate(resolve));
  expect(sync.running).toBe(false);
}

describe("EpochSync: a node whole epochs behind fetches them without waiting for gossip", () => {
  it("asks a peer ahead for the rest of its epoch, then waits for the next set, then goes on", async () => {
    const w = world({ v1: { epoch: 13n, serves: "epoch-end" } });
    w.sync.kick();
    await settled(w.sync);
    // One request for epoch 10 after the committed round; the answer goes to consensus.
    expect(w.requests).toEqual([{ peer: "v1", req: { epoch: 10n, start: 3n, count: 64 } }]);
    expect(w.delivered).toHaveLength(1);
    expect(w.delivered[0].from).toBe(1);
    expect(w.delivered[0].answer.blocks).toHaveLength(2);
    // Stopped at the boundary: the next set comes from L1, and entering it kicks again.
    expect(w.point.awaitingValidatorSet).toBe(true);
    w.readNextSet();
    await settled(w.sync);
    w.readNextSet();
    await settled(w.sync);
    expect(w.requests.map((r) => [r.req.epoch, r.req.start])).toEqual([
      [10n, 3n],
      [11n, 0n],
      [12n, 0n],
    ]);
    // In the peer's epoch now: nobody is ahead; one round of status requests, then it stops.
    w.readNextSet();
    await settled(w.sync);
    expect(w.point.epoch).toBe(13);
    expect(w.requests).toHaveLength(3);
    expect(w.statusAsks).toEqual(["v1"]);
  });

  it("a peer that claims a later epoch but answers nothing useful costs one request, then another peer is asked", async () => {
    const w = world({
      liar: { epoch: 1_000n, serves: "nothing" },
      broken: { epoch: 500n, serves: "fails" },
      v1: { epoch: 11n, serves: "epoch-end" },
    });
    w.sync.kick();
    await settled(w.sync);
    // Highest claim first; each useless peer once at this sync point; the honest one ends the epoch.
    expect(w.requests.map((r) => r.peer)).toEqual(["liar", "broken", "v1"]);
    expect(w.point.awaitingValidatorSet).toBe(true);
  });

  it("stops when every peer ahead is useless, and asks for statuses at most once per interval", async () => {
    const w = world({ liar: { epoch: 1_000n, serves: "nothing" }, broken: { epoch: 20n, serves: "fails" } });
    w.sync.kick();
    await settled(w.sync);
    expect(w.requests.map((r) => r.peer)).toEqual(["liar", "broken"]);
    expect(w.statusAsks.sort()).toEqual(["broken", "liar"]);
    expect(w.delivered.map((d) => d.answer.blocks.length)).toEqual([0]);
    // Kicked again within the interval: the same two requests, no new status round.
    w.sync.kick();
    await settled(w.sync);
    expect(w.requests).toHaveLength(4);
    expect(w.statusAsks).toHaveLength(2);
    w.advanceClock(1_000);
    w.sync.kick();
    await settled(w.sync);
    expect(w.statusAsks).toHaveLength(4);
  });

  it("an epoch longer than one answer is asked for in parts, each after the new committed round", async () => {
    const w = world({ v1: { epoch: 11n, serves: "in-parts" } });
    w.sync.kick();
    await settled(w.sync);
    expect(w.requests.map((r) => r.req.start)).toEqual([3n, 8n]);
    expect(w.delivered.map((d) => d.answer.qc === null)).toEqual([true, false]);
    expect(w.point.awaitingValidatorSet).toBe(true);
  });

  it("does nothing when no peer is ahead, or while the next set is being read from L1", async () => {
    const even = world({ v1: { epoch: 10n, serves: "epoch-end" } });
    even.sync.onPeerStatus(10n);
    expect(even.sync.running).toBe(false);
    even.sync.kick();
    await settled(even.sync);
    expect(even.requests).toHaveLength(0);

    const waiting = world(
      { v1: { epoch: 12n, serves: "epoch-end" } },
      { ...at(10), awaitingValidatorSet: true },
    );
    waiting.sync.onPeerStatus(12n);
    await settled(waiting.sync);
    expect(waiting.requests).toHaveLength(0);
  });

  it("after stop(), no request leaves", async () => {
    const w = world({ v1: { epoch: 13n, serves: "epoch-end" } });
    w.sync.stop();
    w.sync.kick();
    await settled(w.sync);
    expect(w.requests).toHaveLength(0);
  });
});
