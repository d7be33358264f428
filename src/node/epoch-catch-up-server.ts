import type { RangeRequest } from "../p2p/sync-codec.ts";
import type { ChainStore } from "../storage/index.ts";
import type { Block, QuorumCertificate } from "../types/index.ts";
import {
  type CatchUpAnswer,
  decodeCatchUpItems,
  encodeCatchUpItems,
  packItems,
  unpackItems,
} from "./catch-up-wire.ts";
import type { CommitLog } from "./commit-log.ts";
import type { Log } from "./logger.ts";

/** Consensus-record key prefix of an ended epoch's tail and final QC (see keep). */
export const EPOCH_END_KEY = "epochEnd/";

/** What answering needs of the consensus core (ConsensusCore has it). */
export interface CatchUpCore {
  status(): { epoch: number; committedRound: number };
  /** Uncommitted blocks of `epoch` after `afterRound` (the tail of the epoch just ended too). */
  blocksForFetch(epoch: number, afterRound: number, toRoot: Uint8Array | null): Block[];
  /** The high QC of the current epoch, or the QC that ended the previous one; null otherwise. */
  fetchQc(epoch: number): QuorumCertificate | null;
}

export interface EpochCatchUpServerModules {
  core: CatchUpCore;
  commitLog: CommitLog;
  store: ChainStore;
  log: Log;
}

/**
 * Answers blocks-by-range requests (`/blocks_by_range/2`) for any epoch this node has seen, and
 * keeps what that takes. The committed blocks of every epoch are in the commit log; what a peer
 * still behind in an ended epoch needs besides them (the blocks past its boundary, and the QC that
 * committed the boundary) the core holds only for the epoch just before the current one and not
 * across a restart, so `keep` writes it to LevelDB when an epoch ends and answers read it there.
 */
export class EpochCatchUpServer {
  readonly #m: EpochCatchUpServerModules;

  constructor(opts: Record<string, never>, modules: EpochCatchUpServerModules) {
    void opts;
    this.#m = modules;
  }

  /**
   * The answer for `req.epoch`: its committed blocks after round `req.start`, then the uncommitted
   * ones (for an ended epoch: the blocks past its boundary), then the QC this node holds for it
   * when the answer reaches the newest block, so that the asker can commit them.
   */
  async answer(req: RangeRequest): Promise<Uint8Array[]> {
    const { core, commitLog } = this.#m;
    const { epoch: current, committedRound } = core.status();
    if (req.start > BigInt(Number.MAX_SAFE_INTEGER) || req.epoch > BigInt(current)) return [];
    const epoch = Number(req.epoch);
    const after = Number(req.start);
    const ended = epoch < current ? this.ended(epoch) : undefined;
    const committedUpTo = epoch < current ? Number.MAX_SAFE_INTEGER : committedRound;
    const committed = after < committedUpTo ? await commitLog.blocksAfterRound(epoch, after, req.count) : [];
    const lastRound = committed.length > 0 ? committed[committed.length - 1].header.round : after;
    const from = Math.max(lastRound, epoch < current ? lastRound : committedRound);
    const tail = ended
      ? ended.blocks.filter((b) => b.header.round > from)
      : core.blocksForFetch(epoch, from, null);
    const blocks = [...committed, ...tail];
    const qc = ended ? ended.qc : core.fetchQc(epoch);
    // The QC certifies the newest block: send it only with the whole rest of the epoch.
    if (blocks.length < req.count) return encodeCatchUpItems({ blocks, qc });
    return encodeCatchUpItems({ blocks: blocks.slice(0, req.count), qc: null });
  }

  /**
   * Epoch `epoch` just ended (the core switched past it): keep its tail and final QC on disk.
   * Resolves once written (never rejects: a failed write is logged, and peers ask others).
   */
  keep(epoch: number): Promise<void> {
    const { core, store, log } = this.#m;
    const qc = core.fetchQc(epoch);
    if (epoch < 0 || qc === null) return Promise.resolve();
    const bytes = packItems(encodeCatchUpItems({ blocks: core.blocksForFetch(epoch, 0, null), qc }));
    return store.putConsensus(`${EPOCH_END_KEY}${epoch}`, bytes).catch((error: unknown) => {
      log.error({ err: String(error), epoch }, "could not keep the end of an epoch for catch-up");
    });
  }

  /** The kept end of an ended epoch: from LevelDB, else (not kept yet) from the core's memory. */
  ended(epoch: number): CatchUpAnswer | undefined {
    const { core, store, log } = this.#m;
    const bytes = store.getConsensusSync(`${EPOCH_END_KEY}${epoch}`);
    if (bytes !== undefined) {
      try {
        return decodeCatchUpItems(unpackItems(bytes));
      } catch (error) {
        log.error({ err: String(error), epoch }, "unreadable end-of-epoch record");
      }
    }
    const qc = core.fetchQc(epoch);
    return qc === null ? undefined : { blocks: core.blocksForFetch(epoch, 0, null), qc };
  }
}
