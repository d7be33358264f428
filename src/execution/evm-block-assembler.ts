import { type BaseFeeParams, DEFAULT_BASE_FEE_PARAMS, nextBaseFee } from "./base-fee.ts";
import { defaultHeaderFields, type EvmBlockHeader, headerHash } from "./block-header.ts";
import { BLOOM_BYTES, orBloom } from "./bloom.ts";
import { emptyChangeSet, mergeChangeSets } from "./change-set.ts";
import { bytesToHex } from "./hex.ts";
import { receiptsRoot, transactionsRoot } from "./receipts.ts";
import type { StateRootComputer } from "./state-root.ts";
import type {
  BlockEnv,
  BlockExecutor,
  ExecTx,
  ExecutionState,
  Fork,
  Hex,
  Receipt,
  StateChangeSet,
} from "./types.ts";

/** A committed mini-block, as the execution engine needs it (consensus owns the full type). */
export interface CommittedMiniBlock {
  /** Global, gapless sequence number. */
  sequence: bigint;
  /** Proposal timestamp in microseconds. */
  timestampUs: bigint;
  /** Receives this mini-block's priority fees. */
  feeRecipient: Hex;
  txs: ExecTx[];
}

export interface SealedEvmBlock {
  header: EvmBlockHeader;
  hash: Hex;
  /** Included txs in order (rejected ones are not in the block). */
  txs: ExecTx[];
  receipts: Receipt[];
  /** Mini-block sequence numbers grouped into this block, in order. */
  miniBlocks: bigint[];
  /** What the block changed, for storage write-back. */
  changes: StateChangeSet;
}

export interface AssemblerOpts {
  chainId: bigint;
  fork: Fork;
  /** EVM block duration in microseconds (default 1 s). */
  blockTimeUs?: bigint;
  gasLimit: bigint;
  baseFee?: BaseFeeParams;
  /** Coinbase written into headers (fees go to each mini-block's own fee recipient). */
  coinbase: Hex;
}

export interface AssemblerModules {
  executor: BlockExecutor;
  state: ExecutionState;
  roots: StateRootComputer;
}

export interface ParentInfo {
  hash: Hex;
  number: bigint;
  baseFee: bigint;
  gasUsed: bigint;
  gasLimit: bigint;
}

/**
 * Groups committed mini-blocks into ~1 s EVM blocks, executing each mini-block as it arrives.
 * A mini-block never spans two EVM blocks: the first mini-block whose timestamp is past the
 * current block's window seals the current block and opens the next. The state root is
 * computed once per EVM block, from the block's merged change set.
 *
 * Independent of consensus: feed it the committed mini-blocks in order.
 */
export class EvmBlockAssembler {
  private readonly opts: Required<AssemblerOpts>;
  private readonly modules: AssemblerModules;
  private parent: ParentInfo;
  private openSince: bigint | undefined;
  private pending: {
    txs: ExecTx[];
    receipts: Receipt[];
    miniBlocks: bigint[];
    changes: StateChangeSet;
    gas: bigint;
  };
  private baseFee: bigint;
  private lastTimestampUs = -1n;

  constructor(opts: AssemblerOpts & { parent: ParentInfo }, modules: AssemblerModules) {
    this.opts = {
      chainId: opts.chainId,
      fork: opts.fork,
      blockTimeUs: opts.blockTimeUs ?? 1_000_000n,
      gasLimit: opts.gasLimit,
      baseFee: opts.baseFee ?? DEFAULT_BASE_FEE_PARAMS,
      coinbase: opts.coinbase,
    };
    this.modules = modules;
    this.parent = opts.parent;
    this.baseFee = nextBaseFee(opts.parent, this.opts.baseFee);
    this.pending = this.emptyPending();
  }

  private emptyPending(): typeof this.pending {
    return { txs: [], receipts: [], miniBlocks: [], changes: emptyChangeSet(), gas: 0n };
  }

  /** Base fee every mini-block of the open EVM block pays. */
  currentBaseFee(): bigint {
    return this.baseFee;
  }

  /** Number of the EVM block being filled. */
  currentNumber(): bigint {
    return this.parent.number + 1n;
  }

  /** The block environment a mini-block with these fields executes under. */
  envFor(mini: { timestampUs: bigint; feeRecipient: Hex }, gasLimit = this.opts.gasLimit): BlockEnv {
    return {
      chainId: this.opts.chainId,
      fork: this.opts.fork,
      number: this.currentNumber(),
      timestamp: mini.timestampUs / 1_000_000n,
      coinbase: mini.feeRecipient,
      baseFee: this.baseFee,
      gasLimit,
      prevRandao: new Uint8Array(32),
    };
  }

  /**
   * Executes one committed mini-block. Returns the EVM block it sealed first, if the mini-block
   * opened a new window, and the mini-block's receipts (indexes within the EVM block).
   */
  async push(mini: CommittedMiniBlock): Promise<{ sealed: SealedEvmBlock | undefined; receipts: Receipt[] }> {
    if (mini.timestampUs < this.lastTimestampUs)
      throw new RangeError("mini-block timestamps must not decrease");
    this.lastTimestampUs = mini.timestampUs;
    let sealed: SealedEvmBlock | undefined;
    if (this.openSince !== undefined && mini.timestampUs >= this.openSince + this.opts.blockTimeUs) {
      sealed = this.seal();
    }
    if (this.openSince === undefined) this.openSince = mini.timestampUs;
    const remainingGas = this.opts.gasLimit - this.pending.gas;
    const env = this.envFor(mini, remainingGas);
    const result = await this.modules.executor.executeBlock(env, mini.txs, this.modules.state);
    const offsetIndex = this.pending.txs.length;
    const offsetGas = this.pending.gas;
    // Position of each tx in the mini-block (a Map: a search per receipt was quadratic).
    const position = new Map<Hex, number>();
    for (let i = mini.txs.length - 1; i >= 0; i--) position.set(mini.txs[i].hash, i);
    const txs: ExecTx[] = [];
    const receipts: Receipt[] = [];
    for (let i = 0; i < result.receipts.length; i++) {
      const r = result.receipts[i];
      const index = position.get(r.txHash) ?? -1;
      if (index >= 0) txs.push(mini.txs[index]);
      receipts.push({
        ...r,
        transactionIndex: offsetIndex + i,
        cumulativeGasUsed: offsetGas + r.cumulativeGasUsed,
        miniBlock: { sequence: mini.sequence, index },
      });
    }
    this.pending.txs.push(...txs);
    this.pending.receipts.push(...receipts);
    this.pending.miniBlocks.push(mini.sequence);
    this.pending.gas += result.gasUsed;
    mergeChangeSets(this.pending.changes, result.changes);
    return { sealed, receipts };
  }

  /** Seals the open EVM block now (also at shutdown); undefined when nothing is open. */
  seal(): SealedEvmBlock | undefined {
    if (this.openSince === undefined) return undefined;
    const pending = this.pending;
    const stateRoot = this.modules.roots.apply(pending.changes, this.modules.state);
    const bloom = new Uint8Array(BLOOM_BYTES);
    for (const r of pending.receipts) orBloom(bloom, r.logsBloom);
    const raws = pending.txs.map((tx) => {
      if (tx.raw === undefined)
        throw new RangeError(`tx ${tx.hash} has no raw bytes for the transactions root`);
      return tx.raw;
    });
    const header: EvmBlockHeader = {
      ...defaultHeaderFields(),
      parentHash: this.parent.hash,
      coinbase: this.opts.coinbase,
      stateRoot,
      transactionsRoot: bytesToHex(transactionsRoot(raws)),
      receiptsRoot: bytesToHex(receiptsRoot(pending.receipts)),
      logsBloom: bloom,
      number: this.parent.number + 1n,
      gasLimit: this.opts.gasLimit,
      gasUsed: pending.gas,
      timestamp: this.openSince / 1_000_000n,
      mixHash: `0x${"00".repeat(32)}`,
      baseFeePerGas: this.baseFee,
    };
    const hash = headerHash(header);
    const block: SealedEvmBlock = {
      header,
      hash,
      txs: pending.txs,
      receipts: pending.receipts,
      miniBlocks: pending.miniBlocks,
      changes: pending.changes,
    };
    this.parent = {
      hash,
      number: header.number,
      baseFee: this.baseFee,
      gasUsed: pending.gas,
      gasLimit: header.gasLimit,
    };
    this.baseFee = nextBaseFee(this.parent, this.opts.baseFee);
    this.pending = this.emptyPending();
    this.openSince = undefined;
    return block;
  }
}
