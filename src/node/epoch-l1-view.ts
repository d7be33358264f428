import type { Chain, PublicClient, Transport } from "viem";
import type { RetryCaps } from "../l1/backoff.ts";
import { PollLoop } from "../l1/poll-loop.ts";
import { errorLine } from "../l1/validator-set-follower.ts";
import type { MegaseqMetrics } from "../metrics/index.ts";
import { CodedError } from "../util/coded-error.ts";
import type { Log } from "./logger.ts";

export class L1ViewError extends CodedError<"BAD_OPTIONS"> {}

/** An L1 block a mini-block builds on: its number and hash. */
export interface L1Origin {
  number: number;
  hash: Uint8Array;
}

export interface L1BlockViewOpts extends Partial<RetryCaps> {
  /** Blocks below the L1 head a block must be to count as confirmed. */
  confirmations: number;
  pollIntervalMs: number;
  /** Confirmed block hashes kept (older ones are fetched again when asked). Default 1024. */
  keepBlocks?: number;
}

export interface L1BlockViewModules {
  client: PublicClient<Transport, Chain | undefined>;
  log: Log;
  metrics?: MegaseqMetrics["l1"];
}

/** At most this many newly confirmed blocks are fetched per poll (a far-behind view jumps). */
const MAX_FETCH_PER_POLL = 32;

/**
 * This node's view of confirmed L1 blocks: the latest confirmed block (head minus
 * `confirmations`) and the hashes of recent confirmed blocks. Blocks younger than the depth are
 * never looked at, so an L1 reorg of unconfirmed blocks changes nothing here. The poll loop never
 * throws: an L1 RPC outage is logged, counted and retried with capped exponential backoff, while
 * the last known confirmed block stays valid.
 */
export class L1BlockView {
  readonly #opts: Required<L1BlockViewOpts>;
  readonly #m: L1BlockViewModules;
  readonly #hashes = new Map<number, Uint8Array>();
  readonly #listeners = new Set<(latest: L1Origin) => void>();
  readonly #loop: PollLoop;
  #latest: L1Origin | undefined;

  constructor(opts: L1BlockViewOpts, modules: L1BlockViewModules) {
    if (!Number.isInteger(opts.confirmations) || opts.confirmations < 0) {
      throw new L1ViewError("BAD_OPTIONS", "confirmations must be a whole number >= 0");
    }
    if (!(opts.pollIntervalMs > 0)) throw new L1ViewError("BAD_OPTIONS", "pollIntervalMs must be > 0");
    this.#opts = {
      confirmations: opts.confirmations,
      pollIntervalMs: opts.pollIntervalMs,
      keepBlocks: Math.max(MAX_FETCH_PER_POLL, opts.keepBlocks ?? 1024),
      backoffBaseMs: opts.backoffBaseMs ?? 250,
      backoffMaxMs: opts.backoffMaxMs ?? 10_000,
    };
    this.#m = modules;
    this.#loop = new PollLoop(this.#opts, {
      poll: async () => {
        await this.pollOnce();
        return false;
      },
      onFailure: (error, failures, retryInMs) => {
        this.#m.metrics?.rpcErrors.inc();
        this.#m.log.warn(
          { failures, retryInMs, err: errorLine(error) },
          "L1 poll failed; retrying (consensus goes on with the last confirmed block)",
        );
      },
    });
  }

  get confirmations(): number {
    return this.#opts.confirmations;
  }

  /** The latest confirmed L1 block seen (undefined before the first successful poll). */
  latest(): L1Origin | undefined {
    return this.#latest;
  }

  /** The hash of confirmed block `n` if this view holds it. */
  hashOf(n: number): Uint8Array | undefined {
    return this.#hashes.get(n);
  }

  /** Consecutive failed polls (0 when the last one worked). */
  get consecutiveFailures(): number {
    return this.#loop.failures;
  }

  /** Called after each poll that moved the confirmed block forward. */
  onAdvance(listener: (latest: L1Origin) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Polls at once instead of at the next interval (e.g. a proposal names a block not seen yet). */
  pollSoon(): void {
    // Not while backing off from an outage: that would hammer a failing RPC.
    if (this.#loop.failures === 0) this.#loop.wakeNow();
  }

  /** Fetches and keeps the hash of block `n` if it is confirmed; undefined if it is not (yet). */
  async fetch(n: number): Promise<Uint8Array | undefined> {
    const known = this.#hashes.get(n);
    if (known) return known;
    const latest = this.#latest;
    if (latest === undefined || n > latest.number || n < 0) return undefined;
    const block = await this.#m.client.getBlock({ blockNumber: BigInt(n) });
    const hash = hexBytes(block.hash);
    this.#remember(n, hash);
    return hash;
  }

  /** One poll: reads the head, fetches the newly confirmed blocks. Throws on RPC failure. */
  async pollOnce(): Promise<L1Origin | undefined> {
    const { client, metrics } = this.#m;
    const head = Number(await client.getBlockNumber({ cacheTime: 0 }));
    metrics?.headBlock.set(head);
    const confirmed = head - this.#opts.confirmations;
    if (confirmed < 0) return this.#latest;
    const from = Math.max((this.#latest?.number ?? -1) + 1, confirmed - MAX_FETCH_PER_POLL + 1);
    let advanced = false;
    for (let n = from; n <= confirmed; n++) {
      const block = await client.getBlock({ blockNumber: BigInt(n) });
      const hash = hexBytes(block.hash);
      const older = this.#hashes.get(n);
      if (older && !Buffer.from(older).equals(Buffer.from(hash))) {
        this.#m.log.error(
          { l1Block: n, confirmations: this.#opts.confirmations },
          "a confirmed L1 block changed: L1 reorganized deeper than the confirmation depth",
        );
      }
      this.#remember(n, hash);
      this.#latest = { number: n, hash };
      advanced = true;
    }
    metrics?.followerLag.set(head - (this.#latest?.number ?? 0));
    const ended = this.#loop.succeeded();
    if (ended > 0) this.#m.log.info({ after: ended }, "L1 RPC reachable again");
    const latest = this.#latest;
    if (advanced && latest) {
      for (const listener of this.#listeners) {
        try {
          listener(latest);
        } catch (error) {
          this.#m.log.error({ err: String(error) }, "L1 view listener threw");
        }
      }
    }
    return latest;
  }

  #remember(n: number, hash: Uint8Array): void {
    this.#hashes.set(n, hash);
    if (this.#hashes.size <= this.#opts.keepBlocks) return;
    // Drop the lowest numbers first (a Map iterates in insertion order, which is mostly ascending).
    const sorted = [...this.#hashes.keys()].sort((a, b) => a - b);
    for (const old of sorted.slice(0, this.#hashes.size - this.#opts.keepBlocks)) this.#hashes.delete(old);
  }
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}
