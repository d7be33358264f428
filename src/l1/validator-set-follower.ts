import { type Address, type Chain, createPublicClient, http, type PublicClient, type Transport } from "viem";
import type { ValidatorInfo } from "../consensus/types.ts";
import { g1FromEip2537 } from "../crypto/index.ts";
import type { MegaseqMetrics } from "../metrics/index.ts";
import type { Log } from "../node/logger.ts";
import { CodedError } from "../util/coded-error.ts";
import { StakingManagerAbi } from "./artifacts.ts";
import type { RetryCaps } from "./backoff.ts";
import { PollLoop } from "./poll-loop.ts";

export class ValidatorSetFollowerError extends CodedError<"BAD_OPTIONS" | "BAD_L1_DATA" | "STOPPED"> {}

/** One epoch's validator set as the consensus core takes it. */
export interface EpochValidatorSet {
  epoch: number;
  /** The L1 block the set was read at (the epoch's anchor, or a later one if it was frozen). */
  l1Block: bigint;
  validators: ValidatorInfo[];
}

export interface ValidatorSetFollowerOpts extends Partial<RetryCaps> {
  /** L1 JSON-RPC URL; ignored when modules.publicClient is given. */
  rpcUrl?: string;
  stakingManager: Address;
  /** Blocks below the head a block must be to count (reorgs above it change nothing reported). */
  confirmations: number;
  pollIntervalMs: number;
  /** First epoch to report; default: the confirmed current epoch at the first successful poll. */
  fromEpoch?: number;
  /** Sets kept for `get` (older ones are dropped). Default 4. */
  keepEpochs?: number;
  /** Most epochs reported by one poll, so a far-behind follower yields between batches. Default 16. */
  maxEpochsPerPoll?: number;
}

export interface ValidatorSetFollowerModules {
  log: Log;
  metrics?: MegaseqMetrics["l1"];
  /** Overrides opts.rpcUrl (e.g. a client shared with the rest of the node). */
  publicClient?: PublicClient<Transport, Chain | undefined>;
}

type Listener<T> = (value: T) => void;

/**
 * Follows the StakingManager on L1 and reports each new epoch's validator set once, in order,
 * read at the epoch's L1 anchor block (the first block of the epoch), and only when that block is
 * `confirmations` deep. Reorgs of younger blocks are therefore invisible to it. L1 RPC failures are
 * counted and retried with a deterministic exponential backoff; the loop never throws and resumes
 * at the epoch it was about to report.
 */
export class ValidatorSetFollower {
  readonly #opts: Required<Omit<ValidatorSetFollowerOpts, "rpcUrl" | "fromEpoch">>;
  readonly #log: Log;
  readonly #metrics: MegaseqMetrics["l1"] | undefined;
  readonly #client: PublicClient<Transport, Chain | undefined>;
  readonly #sets = new Map<number, EpochValidatorSet>();
  readonly #epochListeners = new Set<Listener<EpochValidatorSet>>();
  readonly #errorListeners = new Set<Listener<unknown>>();
  readonly #waiters = new Map<number, Array<(set: EpochValidatorSet) => void>>();
  readonly #loop: PollLoop;
  #nextEpoch: number | undefined;

  constructor(opts: ValidatorSetFollowerOpts, modules: ValidatorSetFollowerModules) {
    if (!Number.isInteger(opts.confirmations) || opts.confirmations < 0) {
      throw new ValidatorSetFollowerError("BAD_OPTIONS", "confirmations must be a whole number >= 0");
    }
    if (!(opts.pollIntervalMs > 0)) {
      throw new ValidatorSetFollowerError("BAD_OPTIONS", "pollIntervalMs must be > 0");
    }
    if (opts.fromEpoch !== undefined && (!Number.isSafeInteger(opts.fromEpoch) || opts.fromEpoch < 0)) {
      throw new ValidatorSetFollowerError("BAD_OPTIONS", "fromEpoch must be a whole number >= 0");
    }
    const client =
      modules.publicClient ??
      (opts.rpcUrl
        ? createPublicClient({ transport: http(opts.rpcUrl, { retryCount: 0, timeout: 10_000 }) })
        : undefined);
    if (!client) throw new ValidatorSetFollowerError("BAD_OPTIONS", "give rpcUrl or a publicClient");
    this.#client = client;
    this.#opts = {
      stakingManager: opts.stakingManager,
      confirmations: opts.confirmations,
      pollIntervalMs: opts.pollIntervalMs,
      keepEpochs: Math.max(1, opts.keepEpochs ?? 4),
      maxEpochsPerPoll: Math.max(1, opts.maxEpochsPerPoll ?? 16),
      backoffBaseMs: opts.backoffBaseMs ?? 250,
      backoffMaxMs: opts.backoffMaxMs ?? 30_000,
    };
    this.#nextEpoch = opts.fromEpoch;
    this.#log = modules.log;
    this.#metrics = modules.metrics;
    this.#loop = new PollLoop(this.#opts, {
      // Still behind after a full batch: go on at once.
      poll: async () => (await this.pollOnce()).length === this.#opts.maxEpochsPerPoll,
      onFailure: (error, failures, retryInMs) => {
        this.#metrics?.rpcErrors.inc();
        this.#log.warn(
          { failures, retryInMs, err: errorLine(error) },
          "L1 validator set poll failed; retrying",
        );
        for (const listener of this.#errorListeners) {
          try {
            listener(error);
          } catch {
            // A listener's fault is not the follower's.
          }
        }
      },
    });
  }

  /** Called once per new epoch, in epoch order. Returns an unsubscribe function. */
  onEpoch(listener: Listener<EpochValidatorSet>): () => void {
    this.#epochListeners.add(listener);
    return () => this.#epochListeners.delete(listener);
  }

  /** Called on every failed poll (the follower retries by itself). */
  onError(listener: Listener<unknown>): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /** A recently reported set (the last `keepEpochs`), if any. */
  get(epoch: number): EpochValidatorSet | undefined {
    return this.#sets.get(epoch);
  }

  /** The epoch the follower will report next (undefined before the first successful poll). */
  get nextEpoch(): number | undefined {
    return this.#nextEpoch;
  }

  /** Consecutive failed polls (0 when the last one worked). */
  get consecutiveFailures(): number {
    return this.#loop.failures;
  }

  /** Resolves with `epoch`'s set once reported (at once if it is still kept). */
  waitForEpoch(epoch: number): Promise<EpochValidatorSet> {
    const known = this.#sets.get(epoch);
    if (known) return Promise.resolve(known);
    if (this.#nextEpoch !== undefined && epoch < this.#nextEpoch) {
      return Promise.reject(
        new ValidatorSetFollowerError(
          "BAD_OPTIONS",
          `epoch ${epoch} was reported earlier and is no longer kept`,
        ),
      );
    }
    return new Promise((resolve) => {
      const list = this.#waiters.get(epoch) ?? [];
      list.push(resolve);
      this.#waiters.set(epoch, list);
    });
  }

  start(): void {
    this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /**
   * One poll: reports every epoch whose anchor block is confirmed (at most maxEpochsPerPoll).
   * Returns the sets it reported. Throws on RPC failure (the loop catches and backs off).
   */
  async pollOnce(): Promise<EpochValidatorSet[]> {
    const sm = { address: this.#opts.stakingManager, abi: StakingManagerAbi } as const;
    const head = await this.#client.getBlockNumber({ cacheTime: 0 });
    this.#metrics?.headBlock.set(Number(head));
    const confirmed = head - BigInt(this.#opts.confirmations);
    if (confirmed < 0n) return [];
    const at = { blockNumber: confirmed } as const;
    const [current, lastEpoch, lastStart, epochLength] = await Promise.all([
      this.#client.readContract({ ...sm, functionName: "currentEpoch", ...at }),
      this.#client.readContract({ ...sm, functionName: "lastEpoch", ...at }),
      this.#client.readContract({ ...sm, functionName: "lastEpochStartBlock", ...at }),
      this.#client.readContract({ ...sm, functionName: "epochLength", ...at }),
    ]);
    const ended = this.#loop.succeeded();
    if (ended > 0) this.#log.info({ after: ended }, "L1 RPC reachable again");
    if (this.#nextEpoch === undefined) this.#nextEpoch = Number(current);
    const reported: EpochValidatorSet[] = [];
    while (BigInt(this.#nextEpoch) <= current && reported.length < this.#opts.maxEpochsPerPoll) {
      const epoch = BigInt(this.#nextEpoch);
      // Frozen sets are immutable: read them at the confirmed block. A set not yet frozen on chain
      // is read at the epoch's first block, so every node computes the same one.
      const block = epoch <= lastEpoch ? confirmed : lastStart + (epoch - lastEpoch) * epochLength;
      const set = await this.readSetAt(this.#nextEpoch, block);
      this.#report(set);
      reported.push(set);
    }
    this.#metrics?.followerLag.set(Number(head - confirmed));
    return reported;
  }

  /** `epoch`'s validator set as the StakingManager answers at L1 block `block`. */
  readSetAt(epoch: number, block: bigint): Promise<EpochValidatorSet> {
    return readValidatorSet(this.#client, this.#opts.stakingManager, epoch, block);
  }

  #report(set: EpochValidatorSet): void {
    this.#sets.set(set.epoch, set);
    for (const old of this.#sets.keys()) {
      if (this.#sets.size <= this.#opts.keepEpochs) break;
      this.#sets.delete(old);
    }
    this.#nextEpoch = set.epoch + 1;
    this.#log.info(
      { epoch: set.epoch, l1Block: set.l1Block.toString(), validators: set.validators.length },
      "L1 validator set for a new epoch",
    );
    for (const listener of this.#epochListeners) {
      try {
        listener(set);
      } catch (error) {
        this.#log.error({ epoch: set.epoch, err: String(error) }, "validator set listener threw");
      }
    }
    const waiters = this.#waiters.get(set.epoch);
    this.#waiters.delete(set.epoch);
    for (const resolve of waiters ?? []) resolve(set);
    // Waiters for epochs that can no longer come (skipped by fromEpoch) are not kept forever.
    for (const epoch of this.#waiters.keys()) if (epoch < set.epoch) this.#waiters.delete(epoch);
  }
}

/**
 * `epoch`'s validator set as the StakingManager at `stakingManager` answers at L1 block `block`,
 * in the contract's order (the index is the signer-bitmap bit the Slashing contract checks).
 */
export async function readValidatorSet(
  client: PublicClient<Transport, Chain | undefined>,
  stakingManager: Address,
  epoch: number,
  block: bigint,
): Promise<EpochValidatorSet> {
  const [addresses, pubkeys, powers] = await client.readContract({
    address: stakingManager,
    abi: StakingManagerAbi,
    functionName: "validatorSet",
    args: [BigInt(epoch)],
    blockNumber: block,
  });
  if (addresses.length !== pubkeys.length || addresses.length !== powers.length) {
    throw new ValidatorSetFollowerError(
      "BAD_L1_DATA",
      `epoch ${epoch}: validatorSet arrays differ in length`,
    );
  }
  const validators = addresses.map((address, index): ValidatorInfo => {
    let pubkey: Uint8Array;
    try {
      pubkey = g1FromEip2537(hexBytes(pubkeys[index]));
    } catch (error) {
      throw new ValidatorSetFollowerError(
        "BAD_L1_DATA",
        `epoch ${epoch}: validator ${address} has an unusable BLS key: ${String(error)}`,
      );
    }
    return { index, address, pubkey, votingPower: powers[index] };
  });
  return { epoch, l1Block: block, validators };
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}

export function errorLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0] ?? text;
}
