import type { Account, Address, Chain, PublicClient, Transport, WalletClient } from "viem";
import { StakingManagerAbi } from "../l1/artifacts.ts";
import { type EpochValidatorSet, readValidatorSet } from "../l1/validator-set-follower.ts";
import { CodedError } from "../util/coded-error.ts";
import type { L1Origin } from "./epoch-l1-view.ts";
import type { Log } from "./logger.ts";

/**
 * NOT_READY: L1 has not got there yet (anchor not confirmed here, the epoch's set not frozen):
 * retry at the poll interval. L1_REORG: the anchor's hash is not the confirmed block's (L1
 * reorganized deeper than the confirmation depth): retried, loudly, as no safe set exists.
 */
export class EpochSetError extends CodedError<"NOT_READY" | "L1_REORG"> {}

export interface EpochSetReaderOpts {
  stakingManager: Address;
  confirmations: number;
  /** Least time between two advanceEpoch transactions this node sends. Default 3 s. */
  nudgeIntervalMs?: number;
}

export interface EpochSetReaderModules {
  client: PublicClient<Transport, Chain | undefined>;
  /** An L1 account (the reporter key) that may cross a passed L1 epoch boundary on chain. */
  wallet?: WalletClient<Transport, Chain | undefined, Account>;
  log: Log;
  now?: () => number;
}

const ZERO_HASH = new Uint8Array(32);

/**
 * Reads the validator set of consensus epoch `epoch` from the StakingManager. Consensus epochs
 * ARE StakingManager epochs (the Slashing contract checks evidence of epoch e against
 * `validatorSet(e)`, by index), and a set is used only once frozen on L1, because a frozen set
 * never changes: every node gets the same answer whichever confirmed block it reads.
 *
 * The anchor (the L1 origin of the committed block that ended the previous epoch) must be a
 * confirmed block with the hash consensus agreed on. The set itself is read at this node's
 * confirmed head once it is frozen there: a frozen set never changes (a validator's BLS key is set
 * once, at registration), so that is the set every honest node reads, whenever it reads. Reading
 * state at the head rather than at the anchor matters for a node that joins many epochs late: the
 * anchors of old epochs are far below the head, where an L1 node that is not an archive node has
 * no state any more. When the set is not frozen yet, the node waits until it is; with an L1 key it
 * sends `advanceEpoch()` itself once the L1 epoch has begun.
 */
export class EpochSetReader {
  readonly #opts: Required<EpochSetReaderOpts>;
  readonly #m: EpochSetReaderModules;
  #lastNudgeMs = Number.NEGATIVE_INFINITY;

  constructor(opts: EpochSetReaderOpts, modules: EpochSetReaderModules) {
    this.#opts = { nudgeIntervalMs: 3_000, ...opts };
    this.#m = modules;
  }

  /** One attempt. Throws EpochSetError (NOT_READY, L1_REORG) or an RPC error. */
  async read(epoch: number, anchor: L1Origin): Promise<EpochValidatorSet> {
    const { client } = this.#m;
    const head = await client.getBlockNumber({ cacheTime: 0 });
    const confirmed = head - BigInt(this.#opts.confirmations);
    const anchorBlock = BigInt(anchor.number);
    if (anchorBlock > confirmed) {
      throw new EpochSetError("NOT_READY", `anchor L1 block ${anchor.number} is not confirmed here yet`);
    }
    if (!sameBytes(anchor.hash, ZERO_HASH)) {
      const block = await client.getBlock({ blockNumber: anchorBlock });
      if (block.hash.toLowerCase() !== `0x${Buffer.from(anchor.hash).toString("hex")}`) {
        throw new EpochSetError(
          "L1_REORG",
          `anchor L1 block ${anchor.number} has hash ${block.hash} on L1, not the one consensus agreed on`,
        );
      }
    }
    const sm = { address: this.#opts.stakingManager, abi: StakingManagerAbi } as const;
    const [frozen, current] = await Promise.all([
      client.readContract({ ...sm, functionName: "lastEpoch", blockNumber: confirmed }),
      client.readContract({ ...sm, functionName: "currentEpoch", blockNumber: confirmed }),
    ]);
    if (frozen >= BigInt(epoch)) {
      // Reported at the anchor, which every node agreed on (mega_validatorSet's l1AnchorBlock).
      const set = await readValidatorSet(client, this.#opts.stakingManager, epoch, confirmed);
      return { ...set, l1Block: anchorBlock };
    }
    if (current >= BigInt(epoch)) {
      await this.#nudge(epoch);
      throw new EpochSetError(
        "NOT_READY",
        `L1 epoch ${epoch} has begun but its set is not frozen yet (any StakingManager transaction, or advanceEpoch(), freezes it)`,
      );
    }
    throw new EpochSetError(
      "NOT_READY",
      `L1 epoch ${epoch} has not begun yet (L1 is in epoch ${current} at confirmed block ${confirmed})`,
    );
  }

  /** Crosses the passed L1 epoch boundary on chain, if this node has an L1 key (rate-limited). */
  async #nudge(epoch: number): Promise<void> {
    const { wallet, log } = this.#m;
    const now = (this.#m.now ?? Date.now)();
    if (!wallet || now - this.#lastNudgeMs < this.#opts.nudgeIntervalMs) return;
    this.#lastNudgeMs = now;
    try {
      const hash = await wallet.writeContract({
        address: this.#opts.stakingManager,
        abi: StakingManagerAbi,
        functionName: "advanceEpoch",
        args: [],
        account: wallet.account,
        chain: wallet.chain,
      });
      log.info({ epoch, tx: hash }, "sent advanceEpoch to freeze the next L1 validator set");
    } catch (error) {
      log.warn({ epoch, err: String(error).split("\n")[0] }, "advanceEpoch failed");
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}
