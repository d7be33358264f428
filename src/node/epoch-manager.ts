import type { Block, ValidatorInfo } from "../consensus/index.ts";
import { backoffDelayMs, type RetryCaps } from "../l1/backoff.ts";
import { type EpochValidatorSet, errorLine } from "../l1/validator-set-follower.ts";
import type { MegaseqMetrics } from "../metrics/index.ts";
import type { L1BlockView, L1Origin } from "./epoch-l1-view.ts";
import { judgeOrigin, stampOrigin } from "./epoch-origin-rule.ts";
import { EpochSetError, type EpochSetReader } from "./epoch-set-reader.ts";
import type { Log } from "./logger.ts";

export interface EpochManagerOpts extends Partial<RetryCaps> {
  /** The first committed block with round >= this ends an epoch. */
  epochLengthRounds: number;
  /** The L1 block the genesis set was read at: the floor of the first mini-block's origin. */
  genesisAnchor: L1Origin;
  /** How long a proposal whose L1 origin this node has not seen confirmed yet is held. */
  originGraceMs: number;
  /** Pause between attempts to read a set L1 has not got to yet. */
  setPollIntervalMs: number;
  /**
   * The leader stamps a confirmed block this many blocks older than the newest it knows (when
   * that still moves forward), so that voters whose L1 view is a poll behind know it already.
   * Default 2.
   */
  stampLagBlocks?: number;
}

export interface EpochManagerModules {
  view: L1BlockView;
  reader: EpochSetReader;
  log: Log;
  metrics?: MegaseqMetrics["l1"];
  /** Uncommitted blocks from the committed root down to `root` (empty if `root` is the root). */
  chainTo: (root: Uint8Array) => Block[];
  /** The consensus epoch the core is in now. */
  currentEpoch: () => number;
  /** Hands a held proposal back to consensus. */
  redeliver: (block: Block) => void;
  /** The next epoch's set, read from L1: feed it to consensus. */
  onSet: (set: EpochValidatorSet) => void;
}

interface Held {
  block: Block;
  timer: ReturnType<typeof setTimeout>;
}

/** Proposals held at once while their L1 origin is "not yet" known here. */
const MAX_HELD = 16;

/**
 * The node's L1 epoch logic: stamps the leader's mini-blocks with an L1 origin, judges the
 * origins of proposals before they are voted on (holding those this node has not seen confirmed
 * yet for a bounded grace), and when a committed block ends an epoch, reads the next epoch's set
 * from the StakingManager at that block's L1 origin, retrying with backoff through L1 outages.
 * Consensus stops at the epoch boundary until that set arrives (the core waits for it).
 */
export class EpochManager {
  readonly #opts: EpochManagerOpts & RetryCaps;
  readonly #m: EpochManagerModules;
  readonly #held = new Map<string, Held>();
  #lastCommitted: L1Origin;
  #reading: number | undefined;
  #stopped = false;
  #unsubscribe: (() => void) | undefined;

  constructor(opts: EpochManagerOpts, modules: EpochManagerModules) {
    this.#opts = { backoffBaseMs: 250, backoffMaxMs: 10_000, ...opts };
    this.#m = modules;
    this.#lastCommitted = opts.genesisAnchor;
  }

  start(): void {
    this.#unsubscribe = this.#m.view.onAdvance(() => this.#recheckHeld());
    this.#m.view.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    for (const held of this.#held.values()) clearTimeout(held.timer);
    this.#held.clear();
    await this.#m.view.stop();
  }

  /** The L1 origin of the latest committed mini-block (the genesis anchor before any). */
  get lastCommittedOrigin(): L1Origin {
    return this.#lastCommitted;
  }

  /** Whether an epoch's next set is being read from L1 (consensus waits at the boundary). */
  get awaitingSetFor(): number | undefined {
    return this.#reading;
  }

  /** After a restart: the last committed block from the commit log. */
  restoreCommitted(block: Block | undefined): void {
    if (block !== undefined) this.#lastCommitted = originOf(block);
  }

  /** After a restart that stopped at an epoch boundary: read the next set again. */
  resumeBoundary(endedEpoch: number): void {
    this.#readSet(endedEpoch + 1, this.#lastCommitted);
  }

  /** What the leader stamps on a mini-block that extends `parentRoot`. */
  stamp(parentRoot: Uint8Array): L1Origin {
    const chain = this.#m.chainTo(parentRoot);
    const parentBlock = chain[chain.length - 1];
    const parent = parentBlock === undefined ? this.#lastCommitted : originOf(parentBlock);
    const latest = this.#m.view.latest();
    const lag = this.#opts.stampLagBlocks ?? 2;
    const lagged = latest === undefined ? undefined : this.#laggedOrigin(latest, lag);
    return stampOrigin(parent, lagged);
  }

  #laggedOrigin(latest: L1Origin, lag: number): L1Origin {
    for (let back = lag; back > 0; back--) {
      const hash = this.#m.view.hashOf(latest.number - back);
      if (hash !== undefined) return { number: latest.number - back, hash };
    }
    return latest;
  }

  /**
   * The consensus core's proposalCheck: null to accept a live proposal, else why not. A proposal
   * whose origin is "not yet" known is held and handed back once the L1 view has caught up.
   */
  check(block: Block, parent: Block | null): string | null {
    const L = this.#opts.epochLengthRounds;
    // Blocks past the epoch boundary only certify it and are never committed: no origin to judge.
    if (L > 0 && block.header.parentRound >= L) return null;
    const parentOrigin = parent === null ? this.#lastCommitted : originOf(parent);
    const verdict = judgeOrigin(originOf(block), parentOrigin, this.#m.view);
    if (verdict.kind === "ok") return null;
    if (verdict.kind === "invalid") return verdict.reason;
    this.#hold(block, verdict.fetch);
    return verdict.reason;
  }

  /** Committed mini-blocks in order: tracks the latest origin, spots the block ending the epoch. */
  onCommitted(blocks: readonly Block[]): void {
    const L = this.#opts.epochLengthRounds;
    for (const block of blocks) {
      this.#lastCommitted = originOf(block);
      if (L > 0 && block.header.round >= L) this.#readSet(block.header.epoch + 1, originOf(block));
    }
  }

  #hold(block: Block, fetch: boolean): void {
    const key = `${block.header.epoch}/${block.header.round}/${block.header.proposerIndex}`;
    if (this.#held.has(key) || this.#held.size >= MAX_HELD) return;
    const timer = setTimeout(() => {
      if (this.#held.delete(key)) {
        this.#m.log.warn(
          { round: block.header.round, l1Origin: block.payload.l1OriginNumber },
          "proposal dropped: its L1 origin was not confirmed here within the grace",
        );
      }
    }, this.#opts.originGraceMs);
    timer.unref?.();
    this.#held.set(key, { block, timer });
    this.#m.log.debug(
      {
        round: block.header.round,
        l1Origin: block.payload.l1OriginNumber,
        latest: this.#m.view.latest()?.number,
      },
      "proposal held: its L1 origin is not confirmed here yet",
    );
    if (fetch) {
      this.#m.view.fetch(block.payload.l1OriginNumber).then(
        () => this.#recheckHeld(),
        (error: unknown) => this.#m.log.debug({ err: errorLine(error) }, "L1 block fetch failed"),
      );
    } else {
      this.#m.view.pollSoon();
    }
  }

  #recheckHeld(): void {
    for (const [key, held] of this.#held) {
      const { block } = held;
      const latest = this.#m.view.latest();
      const known = this.#m.view.hashOf(block.payload.l1OriginNumber) !== undefined;
      if (!known && (latest === undefined || block.payload.l1OriginNumber > latest.number)) continue;
      clearTimeout(held.timer);
      this.#held.delete(key);
      // Consensus judges it again, now with this view: accepted, refused, or fetched first.
      this.#m.redeliver(block);
    }
  }

  #readSet(epoch: number, anchor: L1Origin): void {
    if (this.#reading === epoch) return;
    this.#reading = epoch;
    this.#m.log.info(
      { epoch, anchorL1Block: anchor.number },
      "epoch ended: reading the next validator set from L1 (consensus waits for it)",
    );
    void this.#readLoop(epoch, anchor);
  }

  async #readLoop(epoch: number, anchor: L1Origin): Promise<void> {
    let failures = 0;
    while (!this.#stopped && this.#m.currentEpoch() < epoch) {
      let delay = this.#opts.setPollIntervalMs;
      try {
        const set = await this.#m.reader.read(epoch, anchor);
        if (this.#stopped || this.#m.currentEpoch() >= epoch) break;
        if (set.validators.length === 0) {
          throw new EpochSetError("NOT_READY", `L1 reports an empty validator set for epoch ${epoch}`);
        }
        this.#m.log.info(
          { epoch, l1Block: set.l1Block.toString(), validators: set.validators.length },
          "next validator set read from L1",
        );
        this.#m.onSet(set);
        break;
      } catch (error) {
        if (error instanceof EpochSetError && error.code === "NOT_READY") {
          this.#m.log.debug({ epoch, why: error.message }, "next validator set not available yet");
        } else {
          failures++;
          this.#m.metrics?.rpcErrors.inc();
          delay = backoffDelayMs(failures, this.#opts);
          this.#m.log.warn(
            { epoch, failures, retryInMs: delay, err: errorLine(error) },
            "reading the next validator set failed; retrying",
          );
        }
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    if (this.#reading === epoch) this.#reading = undefined;
  }
}

export function originOf(block: Block): L1Origin {
  return { number: block.payload.l1OriginNumber, hash: block.payload.l1OriginHash };
}

/** libp2p peer ids of a set's validators that genesis names (by BLS key); others use gossip. */
export function peersOfSet(
  validators: readonly ValidatorInfo[],
  knownPeers: ReadonlyMap<string, string>,
): Map<number, string> {
  const out = new Map<number, string>();
  for (const v of validators) {
    const peer = knownPeers.get(Buffer.from(v.pubkey).toString("hex"));
    if (peer !== undefined) out.set(v.index, peer);
  }
  return out;
}

/** The L1 coordinates a node needs for epochs (node config / CLI; the rest is in genesis). */
export interface L1EpochConfig {
  rpcUrl: string;
  stakingManager: `0x${string}`;
  /** L1 blocks below the head a block must be to count as confirmed. */
  confirmations: number;
  pollIntervalMs: number;
  /** Hold for proposals whose L1 origin is not confirmed here yet. Default 10 polls, >= 5 s. */
  originGraceMs?: number;
}
