import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Block, QuorumCertificate } from "../../../src/consensus/index.ts";
import { decodeCatchUpItems } from "../../../src/node/catch-up-wire.ts";
import { CommitLog } from "../../../src/node/commit-log.ts";
import {
  type CatchUpCore,
  EPOCH_END_KEY,
  EpochCatchUpServer,
} from "../../../src/node/epoch-catch-up-server.ts";
import { silentLogger } from "../../../src/node/logger.ts";
import { ChainStore } from "../../../src/storage/index.ts";
import { Forge } from "../consensus/forge.ts";

/** Epoch 5: b1..b3 committed (b3 ends it), b4 past the boundary, and the QC on b4 that committed b3. */
const f5 = new Forge([1, 1, 1, 1], 5);
const b1 = f5.block(1, 1, f5.genesisQc());
const b2 = f5.block(2, 2, f5.qc(b1, [0, 1, 2]));
const b3 = f5.block(3, 3, f5.qc(b2, [0, 1, 2]));
const b4 = f5.block(4, 0, f5.qc(b3, [1, 2, 3]));
const endQc = f5.qc(b4, [0, 2, 3]);
/** Epoch 6: one committed block. */
const f6 = new Forge([1, 1, 1, 1], 6);
const c1 = f6.block(1, 1, f6.genesisQc());

/** A core in `epoch` that holds `held` (tail and QC) for the epoch before it, as after a switch. */
function coreIn(
  epoch: number,
  held: { epoch: number; tail: Block[]; qc: QuorumCertificate } | null,
): CatchUpCore {
  return {
    status: () => ({ epoch, committedRound: 1 }),
    blocksForFetch: (e, after) =>
      held !== null && e === held.epoch ? held.tail.filter((b) => b.header.round > after) : [],
    fetchQc: (e) => (held !== null && e === held.epoch ? held.qc : null),
  };
}

const roundsOf = (items: Uint8Array[]): { rounds: number[]; qcRound: number | null } => {
  const { blocks, qc } = decodeCatchUpItems(items);
  return { rounds: blocks.map((b) => b.header.round), qcRound: qc?.round ?? null };
};

describe("EpochCatchUpServer: answers for past epochs come from LevelDB after a restart", () => {
  const dir = mkdtempSync(join(tmpdir(), "megaseq-catch-up-server-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps an ended epoch's tail and final QC, and answers from them once the core has forgotten", async () => {
    const path = join(dir, "db");
    {
      const store = await ChainStore.open({ path });
      const commitLog = new CommitLog({}, { store });
      const snapshot = f6.core(0).snapshot();
      commitLog.append(
        [b1, b2, b3].map((block) => ({ root: f5.root(block), block })),
        snapshot,
      );
      commitLog.append([{ root: f6.root(c1), block: c1 }], snapshot);
      await commitLog.flushed();
      // Just switched to epoch 6: the core still holds epoch 5's tail and QC; it is kept on disk.
      const server = new EpochCatchUpServer(
        {},
        { core: coreIn(6, { epoch: 5, tail: [b4], qc: endQc }), commitLog, store, log: silentLogger },
      );
      await server.keep(5);
      expect(roundsOf(await server.answer({ epoch: 5n, start: 0n, count: 64 }))).toEqual({
        rounds: [1, 2, 3, 4],
        qcRound: 4,
      });
      await store.close();
    }
    // Restarted, two epochs on: the core remembers nothing of epoch 5.
    const store = await ChainStore.open({ path });
    const commitLog = new CommitLog({}, { store });
    const server = new EpochCatchUpServer({}, { core: coreIn(7, null), commitLog, store, log: silentLogger });
    // The rest of epoch 5 from any round: committed blocks, the block past the boundary, the QC.
    expect(roundsOf(await server.answer({ epoch: 5n, start: 0n, count: 64 }))).toEqual({
      rounds: [1, 2, 3, 4],
      qcRound: 4,
    });
    expect(roundsOf(await server.answer({ epoch: 5n, start: 2n, count: 64 }))).toEqual({
      rounds: [3, 4],
      qcRound: 4,
    });
    expect(roundsOf(await server.answer({ epoch: 5n, start: 3n, count: 64 }))).toEqual({
      rounds: [4],
      qcRound: 4,
    });
    // Less than the rest fits: no QC (it certifies the newest block only).
    expect(roundsOf(await server.answer({ epoch: 5n, start: 0n, count: 2 }))).toEqual({
      rounds: [1, 2],
      qcRound: null,
    });
    // Epoch 6 ended too but was never kept here: its committed blocks, no QC to commit the end.
    expect(roundsOf(await server.answer({ epoch: 6n, start: 0n, count: 64 }))).toEqual({
      rounds: [1],
      qcRound: null,
    });
    // A later epoch than this node's, or a start round past any number: nothing.
    expect(await server.answer({ epoch: 8n, start: 0n, count: 64 })).toEqual([]);
    expect(await server.answer({ epoch: 5n, start: 2n ** 60n, count: 64 })).toEqual([]);
    await store.close();
  });

  it("an unreadable record is logged and skipped: the answer goes without it, nothing throws", async () => {
    const store = await ChainStore.open({ path: join(dir, "db-corrupt") });
    const commitLog = new CommitLog({}, { store });
    commitLog.append(
      [b1, b2, b3].map((block) => ({ root: f5.root(block), block })),
      f6.core(0).snapshot(),
    );
    await commitLog.flushed();
    await store.putConsensus(`${EPOCH_END_KEY}5`, Uint8Array.of(0, 0, 0, 9, 1));
    const errors: string[] = [];
    const log = { ...silentLogger, error: (_fields: unknown, msg?: string) => errors.push(String(msg)) };
    const server = new EpochCatchUpServer({}, { core: coreIn(6, null), commitLog, store, log });
    expect(roundsOf(await server.answer({ epoch: 5n, start: 0n, count: 64 }))).toEqual({
      rounds: [1, 2, 3],
      qcRound: null,
    });
    expect(errors).toEqual(["unreadable end-of-epoch record"]);
    await store.close();
  });
});
