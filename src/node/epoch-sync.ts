import type { RangeRequest } from "../p2p/sync-codec.ts";
import { type CatchUpAnswer, decodeCatchUpItems } from "./catch-up-wire.ts";
import type { Log } from "./logger.ts";

/** What this needs of the p2p host: peers, their status (epoch), and the two requests. */
export interface EpochSyncP2p {
  peers(): string[];
  /** The status a peer gave at its handshake (undefined if none yet). */
  statusOf(peer: string): { epoch: bigint } | undefined;
  requestStatus(peer: string): Promise<{ epoch: bigint }>;
  requestBlocksByRange(peer: string, req: RangeRequest): Promise<Uint8Array[]>;
}

/** Where the local chain is: the core's epoch, committed round, and whether it waits for L1. */
export interface SyncPoint {
  epoch: number;
  committedRound: number;
  awaitingValidatorSet: boolean;
}

export interface EpochSyncOpts {
  /** Blocks asked for per request (the p2p layer caps answers at 64 items). */
  batch: number;
  /** Least time between two rounds of status requests to peers. */
  statusRefreshMs: number;
}

export interface EpochSyncModules {
  p2p: EpochSyncP2p;
  where: () => SyncPoint;
  /** The validator index of a peer in the current set, if it is one (only steers follow-up fetches). */
  validatorOf: (peer: string) => number | undefined;
  /** Hands a fetched answer to consensus (a blocksFetched input); processed before it returns. */
  deliver: (from: number, answer: CatchUpAnswer) => void;
  log: Log;
  now?: () => number;
}

/**
 * Drives catch-up across epochs for a node that is whole epochs behind (started late, or back from
 * a long outage). The consensus core fetches only when a message of a later epoch arrives, so a
 * node many epochs behind would advance at the pace of the network's gossip, and not at all while
 * the network waits at a boundary for L1. This loop asks a peer whose status is in a later epoch
 * for the rest of the local epoch (blocks, then the QC that ended it) as soon as the previous epoch
 * is entered, and hands the answer to consensus, which checks every block and QC as for any fetch.
 * It stops while the next set is read from L1 (`kick()` again when an epoch is entered), when no
 * peer is ahead, and when no peer that claims to be ahead gives an answer that moves the chain
 * (peers' statuses are claims: one that lies costs a request, never memory or a wrong commit).
 * One request at a time; nothing is kept but the refreshed epoch of each connected peer.
 */
export class EpochSync {
  readonly #opts: EpochSyncOpts;
  readonly #m: EpochSyncModules;
  readonly #now: () => number;
  /** Epochs peers reported since their handshake (only connected peers are kept). */
  readonly #peerEpochs = new Map<string, bigint>();
  #running = false;
  #again = false;
  #stopped = false;
  #lastStatusRefresh = Number.NEGATIVE_INFINITY;

  constructor(opts: EpochSyncOpts, modules: EpochSyncModules) {
    this.#opts = opts;
    this.#m = modules;
    this.#now = modules.now ?? Date.now;
  }

  /** Something changed (epoch entered, peer status): catch up if a peer is in a later epoch. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    void this.#loop().finally(() => {
      this.#running = false;
    });
  }

  /** A peer's status arrived (handshake; p2p keeps it): worth a kick only if it is ahead. */
  onPeerStatus(epoch: bigint): void {
    if (epoch > BigInt(this.#m.where().epoch)) this.kick();
  }

  stop(): void {
    this.#stopped = true;
  }

  /** Whether a run of the loop is under way (tests). */
  get running(): boolean {
    return this.#running;
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      await this.#catchUp();
    } while (this.#again && !this.#stopped);
  }

  async #catchUp(): Promise<void> {
    /** Peers that gave nothing useful at the current sync point. */
    let useless = new Set<string>();
    let at = "";
    while (!this.#stopped) {
      const where = this.#m.where();
      if (where.awaitingValidatorSet) return;
      const key = `${where.epoch}/${where.committedRound}`;
      if (key !== at) {
        at = key;
        useless = new Set();
      }
      let peer = this.#peerAhead(where.epoch, useless);
      if (peer === undefined && (await this.#refreshStatuses())) peer = this.#peerAhead(where.epoch, useless);
      if (peer === undefined) return;
      let answer: CatchUpAnswer;
      try {
        const items = await this.#m.p2p.requestBlocksByRange(peer, {
          epoch: BigInt(where.epoch),
          start: BigInt(where.committedRound),
          count: this.#opts.batch,
        });
        answer = decodeCatchUpItems(items);
      } catch (error) {
        this.#m.log.debug({ peer, epoch: where.epoch, err: String(error) }, "epoch sync request failed");
        useless.add(peer);
        continue;
      }
      if (this.#stopped) return;
      const now = this.#m.where();
      if (now.epoch !== where.epoch || now.committedRound !== where.committedRound) continue; // moved meanwhile
      this.#m.deliver(this.#m.validatorOf(peer) ?? -1, answer);
      const after = this.#m.where();
      if (after.epoch === where.epoch && after.committedRound === where.committedRound) useless.add(peer);
      else
        this.#m.log.debug(
          { epoch: after.epoch, committedRound: after.committedRound, blocks: answer.blocks.length },
          "epoch sync: fetched blocks committed",
        );
    }
  }

  /** A connected peer that reported an epoch above `epoch` and has not failed at this point. */
  #peerAhead(epoch: number, skip: ReadonlySet<string>): string | undefined {
    const connected = new Set(this.#m.p2p.peers());
    for (const peer of this.#peerEpochs.keys()) if (!connected.has(peer)) this.#peerEpochs.delete(peer);
    let best: string | undefined;
    let bestEpoch = BigInt(epoch);
    for (const peer of connected) {
      if (skip.has(peer)) continue;
      const reported = this.#epochOf(peer);
      if (reported !== undefined && reported > bestEpoch) {
        best = peer;
        bestEpoch = reported;
      }
    }
    return best;
  }

  #epochOf(peer: string): bigint | undefined {
    const refreshed = this.#peerEpochs.get(peer);
    const handshake = this.#m.p2p.statusOf(peer)?.epoch;
    if (refreshed === undefined) return handshake;
    if (handshake === undefined) return refreshed;
    return refreshed > handshake ? refreshed : handshake;
  }

  /** Asks every connected peer for its status again (at most once per statusRefreshMs). */
  async #refreshStatuses(): Promise<boolean> {
    const now = this.#now();
    if (now - this.#lastStatusRefresh < this.#opts.statusRefreshMs) return false;
    this.#lastStatusRefresh = now;
    const peers = this.#m.p2p.peers();
    await Promise.all(
      peers.map(async (peer) => {
        try {
          const status = await this.#m.p2p.requestStatus(peer);
          this.#peerEpochs.set(peer, status.epoch);
        } catch {
          // Unreachable or not answering: its old status stands.
        }
      }),
    );
    return true;
  }
}
