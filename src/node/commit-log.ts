import type { CommittedBlock, CoreSnapshot } from "../consensus/index.ts";
import type { ChainStore } from "../storage/index.ts";
import type { Block } from "../types/index.ts";
import { decodeBlock, encodeBlock } from "./consensus-wire.ts";
import { decodeCoreSnapshot, encodeCoreSnapshot } from "./core-snapshot-codec.ts";

const SNAPSHOT_KEY = "coreSnapshot";

/**
 * The node's record of committed mini-blocks, in commit order (sequence 0, 1, 2, ...), stored as
 * SSZ blocks through the chain store, plus the consensus core's restart snapshot. Writes are
 * chained so they land in order however fast commits arrive; `flushed()` waits for all of them.
 */
export class CommitLog {
  private readonly store: ChainStore;
  private nextSequence: bigint;
  private writes: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  constructor(opts: Record<string, never>, modules: { store: ChainStore }) {
    void opts;
    this.store = modules.store;
    const last = this.store.lastMiniBlock();
    this.nextSequence = last === undefined ? 0n : last + 1n;
  }

  /** Number of committed mini-blocks recorded (durable or queued). */
  get length(): bigint {
    return this.nextSequence;
  }

  /** Queues the blocks (oldest first) and the snapshot taken right after they committed: one batch. */
  append(blocks: CommittedBlock[], snapshot: CoreSnapshot): { sequence: bigint; block: Block }[] {
    const numbered = blocks.map((b) => ({ sequence: this.nextSequence++, block: b.block }));
    const snapshotBytes = encodeCoreSnapshot(snapshot);
    this.writes = this.writes.then(async () => {
      if (this.failure) return;
      try {
        await this.store.putMiniBlocks(
          numbered.map(({ sequence, block }) => ({ sequence, bytes: encodeBlock(block) })),
          { key: SNAPSHOT_KEY, value: snapshotBytes },
        );
      } catch (error) {
        // Later writes would leave a gap; stop writing and let the node report it.
        this.failure = error as Error;
      }
    });
    return numbered;
  }

  async flushed(): Promise<void> {
    await this.writes;
    if (this.failure) throw this.failure;
  }

  loadSnapshot(): CoreSnapshot | undefined {
    const bytes = this.store.getConsensusSync(SNAPSHOT_KEY);
    return bytes === undefined ? undefined : decodeCoreSnapshot(bytes);
  }

  async blockAt(sequence: bigint): Promise<Block | undefined> {
    const bytes = await this.store.getMiniBlock(sequence);
    return bytes === undefined ? undefined : decodeBlock(bytes);
  }

  /**
   * Up to `count` committed blocks of `epoch` whose round is above `afterRound`, oldest first:
   * what a lagging peer needs before the uncommitted tip. Rounds grow along the committed
   * sequence, so a binary search finds the first one.
   */
  async blocksAfterRound(epoch: number, afterRound: number, count: number): Promise<Block[]> {
    const durable = this.store.lastMiniBlock();
    if (durable === undefined) return [];
    let lo = 0n;
    let hi = durable + 1n;
    while (lo < hi) {
      const mid = (lo + hi) / 2n;
      const block = await this.blockAt(mid);
      if (block === undefined) return [];
      const h = block.header;
      if (h.epoch < epoch || (h.epoch === epoch && h.round <= afterRound)) lo = mid + 1n;
      else hi = mid;
    }
    const out: Block[] = [];
    for (let seq = lo; seq <= durable && out.length < count; seq++) {
      const block = await this.blockAt(seq);
      if (block === undefined || block.header.epoch !== epoch) break;
      out.push(block);
    }
    return out;
  }
}
