import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParallelExecutor } from "../../../../src/execution/parallel/index.ts";
import {
  blockEnv,
  buildGenesis,
  cloneState,
  type Genesis,
  makeBlock,
} from "../../../../src/execution/parallel/workload.ts";
import { SequentialExecutor } from "../../../../src/execution/sequential-executor.ts";
import { computeStateRoot } from "../../../../src/execution/state-root.ts";
import type { Hex } from "../../../../src/execution/types.ts";

// Both thread layouts: the main thread executing beside one worker (the default on 2 cores), and
// two workers with the main thread only scheduling and committing.
describe.each([
  { layout: "main lane + 1 worker", workers: 1, mainLane: true },
  { layout: "2 workers, main schedules only", workers: 2, mainLane: false },
])("parallel executor equals the sequential executor ($layout)", ({ workers, mainLane }) => {
  let genesis: Genesis;
  const parallel = new ParallelExecutor({
    workers,
    mainLane,
    minParallelTxs: 1,
    batchSize: 4,
    sequentialBlocksAfterFallback: 1,
  });
  const sequential = new SequentialExecutor();

  beforeAll(async () => {
    genesis = await buildGenesis(24);
  });
  afterAll(async () => {
    await parallel.close();
  });

  it("on random workloads from no contention to full contention (state root, receipts, logs, gas)", async () => {
    const seed = Number(process.env.FC_SEED ?? 0xb10c);
    const totals = { fromWorkers: 0, ranOnMain: 0, reExecuted: 0, fellBack: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          txs: fc.integer({ min: 1, max: 48 }),
          contention: fc.constantFrom(0, 0.1, 0.5, 1),
          activeSenders: fc.constantFrom(1, 2, 6, 24),
          mixed: fc.boolean(),
          blocks: fc.integer({ min: 1, max: 2 }),
        }),
        async (p) => {
          const seqState = cloneState(genesis.state);
          const parState = cloneState(genesis.state);
          const seqNonces = new Map<Hex, bigint>();
          const parNonces = new Map<Hex, bigint>();
          for (let b = 1; b <= p.blocks; b++) {
            const params = { ...p, seed: p.seed + b };
            const txsA = makeBlock(genesis, params, seqNonces);
            const txsB = makeBlock(genesis, params, parNonces).map((tx, i) => ({
              ...tx,
              hash: txsA[i].hash,
            }));
            const env = blockEnv(BigInt(b));
            const expected = await sequential.executeBlock(env, txsA, seqState);
            const actual = await parallel.executeBlock(env, txsB, parState);
            totals.fromWorkers += parallel.lastStats?.fromWorkers ?? 0;
            totals.reExecuted += parallel.lastStats?.reExecuted ?? 0;
            totals.ranOnMain += parallel.lastStats?.ranOnMain ?? 0;
            totals.fellBack += parallel.lastStats?.fellBack === true ? 1 : 0;
            expect(actual.receipts).toEqual(expected.receipts);
            expect(actual.included).toEqual(expected.included);
            expect(actual.rejected).toEqual(expected.rejected);
            expect(actual.logs).toEqual(expected.logs);
            expect(actual.gasUsed).toBe(expected.gasUsed);
            expect(actual.burned).toBe(expected.burned);
            expect(actual.priorityFees).toBe(expected.priorityFees);
            expect(actual.changes).toEqual(expected.changes);
            expect(computeStateRoot(parState)).toBe(computeStateRoot(seqState));
          }
        },
      ),
      { seed, numRuns: 30 },
    );
    // Both paths ran: speculative results committed from workers, and conflicts re-executed.
    expect(totals.fromWorkers).toBeGreaterThan(0);
    expect(totals.reExecuted).toBeGreaterThan(0);
    // ...and the heavy-contention fallback to the sequential path.
    expect(totals.fellBack).toBeGreaterThan(0);
    // With the main lane on, the main thread ran its share of the blocks directly.
    if (mainLane) expect(totals.ranOnMain).toBeGreaterThan(0);
  });
});
