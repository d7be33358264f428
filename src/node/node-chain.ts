import { keccak256 } from "../crypto/index.ts";
import { type BatchDecodeResult, BatchTxDecoder } from "../execution/batch-decoder.ts";
import { defaultHeaderFields, encodeHeader, headerHash } from "../execution/block-header.ts";
import { EvmBlockAssembler, type SealedEvmBlock } from "../execution/evm-block-assembler.ts";
import { fastDecodeExecTx, TxDecodeError } from "../execution/fast-decode.ts";
import { FlatState } from "../execution/flat-state.ts";
import { bytesToHex } from "../execution/hex.ts";
import { MiniBlockBuilder, type MiniBlockCaps } from "../execution/mini-block-builder.ts";
import { SequentialExecutor } from "../execution/sequential-executor.ts";
import { StateRootComputer } from "../execution/state-root.ts";
import {
  type BlockEnv,
  EMPTY_TRIE_ROOT,
  type ExecTx,
  type Fork,
  type Hex,
  KECCAK_EMPTY,
  type Receipt,
} from "../execution/types.ts";
import { DecodeQueue } from "../mempool/decode-queue.ts";
import { Mempool, poolTxFromExecTx } from "../mempool/index.ts";
import type { MegaseqMetrics } from "../metrics/index.ts";
import type {
  AdminHooks,
  BlockData,
  CallRequest,
  CallResult,
  ChainHeads,
  ConsensusStatusData,
  FeeHistoryData,
  LogData,
  LogQuery,
  ProofData,
  ReceiptData,
  RpcBackend,
  StateOverrides,
  SubmittedTransaction,
  TransactionData,
  ValidatorSetData,
} from "../rpc/backend.ts";
import { ChainIndex } from "../rpc/chain-index.ts";
import { RpcError, TxRejectedError, type TxRejectionReason } from "../rpc/errors.ts";
import { EventHub } from "../rpc/event-hub.ts";
import { EvmCaller } from "../rpc/evm-call.ts";
import { receiptFromExecution, transactionFromExecution } from "../rpc/from-execution.ts";
import { hop, hopTraceEnabled } from "../rpc/hop-trace.ts";
import { SealedStateView } from "../rpc/sealed-state.ts";
import { signatureFromRaw } from "../rpc/tx-signature.ts";
import type { Block } from "../types/index.ts";
import type { Log } from "./logger.ts";
import { PreconfPipeline } from "./preconf-pipeline.ts";
import { PreconfStore, type PreconfStoreOpts } from "./preconf-store.ts";

/** Arrivals executed into the open mini-block per turn of the execution queue. */
const OFFERS_PER_SLICE = 64;
/** Waited-on transactions kept for this node's next turn to build (see NodeChain.startBuilding). */
const MAX_AWAITED = 4096;

/**
 * The node's mini-block caps. Under load a round costs the 4 nodes far more (BLS, gossip,
 * framing, fsync) than the transactions it carries, so throughput is transactions per round x
 * rounds per second: the builder's defaults (10M gas = 476 transfers, 10 ms of execution = ~25
 * ERC-20 transfers on a loaded machine) capped the mini-block, not the pool. Bounds: 4,096 txs
 * per payload (wire format), 2 MB per proposal message, and the EVM block's 150M gas.
 */
export const NODE_MINI_BLOCK_CAPS: MiniBlockCaps = {
  gas: 50_000_000n,
  bytes: 1024 * 1024,
  count: 4_000,
  intervalMs: 40,
};

/** Most decoded transactions remembered for execution (admitted here, not yet executed). */
const MAX_KNOWN = 65_536;

export interface NodeChainOpts {
  chainId: bigint;
  fork: Fork;
  gasLimit: bigint;
  /** Genesis wall clock in ms: block 0's timestamp. */
  genesisTimestampMs: number;
  alloc: { address: Hex; balance: bigint }[];
  /** EVM block duration in µs. */
  blockTimeUs: bigint;
  /** Address of each validator index (the fee recipient of its mini-blocks). */
  validatorAddresses: readonly Hex[];
  /** Most receipts kept waiting for a submitter at once. */
  maxWaiters?: number;
  /** Sender-recovery worker threads (default 2). */
  recoveryWorkers?: number;
  /** The leader's mini-block caps (defaults: NODE_MINI_BLOCK_CAPS). */
  miniBlockCaps?: Partial<MiniBlockCaps>;
  preconf?: Partial<Omit<PreconfStoreOpts, "maxWaiters">>;
}

/** What the leader asks for when it builds its mini-block. */
export interface BuildRequest {
  /** The proposal's timestamp (µs since the epoch). */
  timestampUs: number;
  /** Validator index of the leader (its address gets the priority fees). */
  proposerIndex: number;
  /** The uncommitted blocks between the committed root and the proposal's parent, oldest first. */
  ancestors: readonly Block[];
}

export interface NodeChainModules {
  /** Gossips a transaction this node admitted from RPC to the other validators. */
  broadcastTx?: (raw: Uint8Array) => void;
  /**
   * Someone waits for this tx's preconfirmation here: send it to the leaders, whose answer comes
   * back through `acceptPreconfirmation` (absent: only this node's own builds preconfirm).
   */
  requestPreconfirmation?: (raw: Uint8Array, hash: Hex) => void;
  consensusStatus?: () => ConsensusStatusData;
  validatorSet?: (epoch: bigint | undefined) => ValidatorSetData | null;
  /** The admin_ namespace's hooks (served only when the RPC server enables admin). */
  admin?: AdminHooks;
  metrics?: MegaseqMetrics;
  log?: Log;
  /** Wall clock in ms (preconfirmation expiry). */
  now?: () => number;
  /**
   * This validator's index and whether it "leads": builds the next proposal. While it does,
   * admitted transactions execute at once into its open mini-block (preconfirmed on arrival), the
   * one it proposes when its round starts.
   */
  leader?: { selfIndex: () => number; leading: () => boolean };
}

const ZERO_HASH = `0x${"00".repeat(32)}` as Hex;

const REASONS: Partial<Record<string, TxRejectionReason>> = {
  WRONG_CHAIN_ID: "WRONG_CHAIN_ID",
  INVALID_CHAIN_ID: "WRONG_CHAIN_ID",
  TYPE_NOT_SUPPORTED: "UNSUPPORTED_TYPE",
  NONCE_TOO_LOW: "NONCE_TOO_LOW",
  NONCE_TOO_HIGH: "NONCE_TOO_HIGH",
  INTRINSIC_GAS_TOO_LOW: "INTRINSIC_GAS_TOO_LOW",
  GAS_LIMIT_EXCEEDS_BLOCK: "GAS_LIMIT_EXCEEDED",
  EXCEEDS_BLOCK_GAS_LIMIT: "GAS_LIMIT_EXCEEDED",
  FEE_CAP_BELOW_BASE_FEE: "UNDERPRICED",
  REPLACEMENT_UNDERPRICED: "REPLACEMENT_UNDERPRICED",
  TIP_ABOVE_FEE_CAP: "UNDERPRICED",
  UNDERPRICED: "UNDERPRICED",
  TXPOOL_FULL: "POOL_FULL",
  ACCOUNT_LIMIT_EXCEEDED: "POOL_FULL",
  INSUFFICIENT_FUNDS: "INSUFFICIENT_FUNDS",
  OVERSIZED_DATA: "OVERSIZED",
  ALREADY_KNOWN: "ALREADY_KNOWN",
};

/**
 * The node's chain: executes committed mini-blocks in order (every validator does, with the same
 * result), groups them into ~1 s EVM blocks, keeps the mempool, builds the leader's mini-block by
 * executing transactions as it takes them (publishing each receipt at once as a preconfirmation),
 * and serves all of it as the JSON-RPC backend. State and blocks live in memory; on restart the
 * node re-executes the committed mini-blocks from its commit log, which rebuilds the same chain.
 *
 * Each transaction is decoded once per node: admission (RPC or gossip) parses it on the main
 * thread and recovers its sender in batches on worker threads; execution of the committed
 * mini-block reuses that decode (`known`), and only transactions never admitted here are decoded
 * at execution.
 */
export class NodeChain implements RpcBackend {
  readonly events = new EventHub();
  readonly mempool: Mempool<ExecTx>;
  readonly admin: AdminHooks | undefined;
  readonly preconfs: PreconfStore;
  private readonly opts: NodeChainOpts;
  private readonly modules: NodeChainModules;
  private readonly state = new FlatState();
  private readonly roots = new StateRootComputer();
  private readonly executor = new SequentialExecutor();
  private readonly assembler: EvmBlockAssembler;
  private readonly caller: EvmCaller;
  private readonly index = new ChainIndex();
  private readonly sealedState = new SealedStateView();
  private readonly decoder: BatchTxDecoder;
  private readonly decodeQueue: DecodeQueue;
  /** Admitted decodes by hash, for execution (bounded, oldest dropped first). */
  private readonly known = new Map<Hex, ExecTx>();
  /** Senders with transactions in committed mini-blocks queued for execution (count per sender). */
  private readonly committingSenders = new Map<string, number>();
  /** Tx hashes of committed mini-blocks queued for execution, in order. */
  private readonly queuedCommits: Hex[][] = [];
  private readonly blockHashes = new WeakMap<Block, Hex[]>();
  private lastTimestampUs = 0n;
  private openBlockLogs = 0;
  private openBlockMiniBlocks = 0;
  private nextSequence = 0n;
  private executing: Promise<void> = Promise.resolve();
  private pipeline: PreconfPipeline | undefined;
  /** Admitted while leading, waiting to execute into the open mini-block (bounded by the pool). */
  private offers: ExecTx[] = [];
  private readonly urgentOffers: ExecTx[] = [];
  /**
   * Transactions a client waits on that reached this node while it was not building the next
   * proposal: executed first when it starts to (see startBuilding), if no earlier proposal took
   * them. Bounded; the oldest go first.
   */
  private readonly awaited = new Map<Hex, ExecTx>();
  private offersScheduled = false;
  private leadingCache: boolean | undefined;
  private poolGaugeScheduled = false;
  /** The proposal being built: its timestamp and proposer, for a mini-block opened by the build. */
  private building: { timestampUs: bigint; proposerIndex: number } | undefined;

  private constructor(opts: NodeChainOpts, modules: NodeChainModules, caller: EvmCaller) {
    this.opts = opts;
    this.modules = modules;
    this.admin = modules.admin;
    this.caller = caller;
    this.preconfs = new PreconfStore(
      { ...opts.preconf, maxWaiters: opts.maxWaiters ?? 10_000 },
      modules.now ? { now: modules.now } : {},
    );
    this.decoder = new BatchTxDecoder({ workers: opts.recoveryWorkers ?? 2 });
    this.decodeQueue = new DecodeQueue({}, { decoder: this.decoder });
    for (const a of opts.alloc) {
      this.state.putAccount(a.address.toLowerCase() as Hex, {
        nonce: 0n,
        balance: a.balance,
        codeHash: KECCAK_EMPTY,
      });
    }
    const genesisChanges = this.state.takeChanges();
    const stateRoot = this.roots.apply(genesisChanges, this.state);
    this.sealedState.apply(genesisChanges);
    const genesis = this.indexGenesis(stateRoot);
    this.lastTimestampUs = BigInt(opts.genesisTimestampMs) * 1000n;
    this.assembler = new EvmBlockAssembler(
      {
        chainId: opts.chainId,
        fork: opts.fork,
        blockTimeUs: opts.blockTimeUs,
        gasLimit: opts.gasLimit,
        coinbase: "0x0000000000000000000000000000000000000000",
        parent: {
          hash: genesis.hash,
          number: 0n,
          baseFee: genesis.baseFeePerGas,
          gasUsed: 0n,
          gasLimit: opts.gasLimit,
        },
      },
      { executor: this.executor, state: this.state, roots: this.roots },
    );
    this.mempool = new Mempool<ExecTx>(
      { chainId: opts.chainId, blockGasLimit: opts.gasLimit, baseFee: this.assembler.currentBaseFee() },
      {
        accounts: {
          getAccount: (address) => {
            const account = this.state.getAccount(address as Hex);
            return { nonce: account?.nonce ?? 0n, balance: account?.balance ?? 0n };
          },
        },
      },
    );
  }

  static async create(opts: NodeChainOpts, modules: NodeChainModules = {}): Promise<NodeChain> {
    return new NodeChain(opts, modules, await EvmCaller.create(opts.chainId, opts.fork));
  }

  /** Stops the recovery workers. */
  async close(): Promise<void> {
    await this.decoder.close();
  }

  /** Decodes and recovers raw transactions in one batch; a rejection per bad one. */
  async decodeMany(raws: readonly Uint8Array[]): Promise<(ExecTx | TxRejectedError)[]> {
    const results = await this.decoder.decode(raws);
    return results.map((r) => toTxOrRejection(r));
  }

  /** Decodes one raw transaction (batched with whatever else arrives in the same tick). */
  async decode(raw: Uint8Array): Promise<ExecTx> {
    const r = toTxOrRejection(await this.decodeQueue.decode(raw));
    if (r instanceof TxRejectedError) throw r;
    return r;
  }

  /**
   * Decodes one raw transaction and recovers its sender on this thread, now: for a transaction a
   * client waits on (realtime), where a trip through the recovery workers and back through a busy
   * event loop costs more than the ~0.1 ms recovery.
   */
  decodeNow(raw: Uint8Array): ExecTx {
    let result: BatchDecodeResult;
    try {
      result = { ok: true, tx: fastDecodeExecTx(raw) };
    } catch (error) {
      if (!(error instanceof TxDecodeError)) throw error;
      result = { ok: false, error };
    }
    const r = toTxOrRejection(result);
    if (r instanceof TxRejectedError) throw r;
    return r;
  }

  /** Admits a decoded transaction to the mempool (from RPC or gossip). Throws the rejection. */
  admit(tx: ExecTx): void {
    if (this.index.transaction(tx.hash) || this.preconfs.committedReceipt(tx.hash))
      throw new TxRejectedError("ALREADY_KNOWN");
    const pool = poolTxFromExecTx(tx);
    try {
      this.mempool.add(pool);
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      throw rejection(code, (error as Error).message);
    }
    this.remember(tx);
    this.poolSizeChanged();
    if (this.leadingNow()) {
      this.offers.push(tx);
      this.scheduleOffers();
    }
  }

  /** The pool-size gauge, set once per event-loop turn (per transaction, prom-client's set was ~1% of the main thread). */
  private poolSizeChanged(): void {
    if (this.poolGaugeScheduled || this.modules.metrics === undefined) return;
    this.poolGaugeScheduled = true;
    setImmediate(() => {
      this.poolGaugeScheduled = false;
      this.modules.metrics?.mempool.size.set(this.mempool.size);
    });
  }

  /**
   * Whether this node builds the next proposal, asked once per event-loop turn: the consensus
   * core computes the leader (reputation window) on every call, and admission asks per
   * transaction. A stale answer costs nothing: the build takes what arrivals missed from the
   * pool, and the arrival queue checks again before it executes.
   */
  private leadingNow(): boolean {
    if (this.leadingCache === undefined) {
      this.leadingCache = this.modules.leader?.leading() ?? false;
      setImmediate(() => {
        this.leadingCache = undefined;
      });
    }
    return this.leadingCache;
  }

  /**
   * Someone waits for this tx's preconfirmation (a realtime_ call here or forwarded): execute it
   * ahead of the other arrivals still waiting for the open mini-block.
   */
  expedite(hash: Hex): void {
    const at = this.offers.findIndex((t) => t.hash === hash);
    if (at >= 0) {
      const [tx] = this.offers.splice(at, 1);
      this.urgentOffers.push(tx);
      return;
    }
    const tx = this.known.get(hash);
    if (tx === undefined || !this.mempool.has(hash) || this.leadingNow()) return;
    this.awaited.delete(hash);
    this.awaited.set(hash, tx);
    if (this.awaited.size > MAX_AWAITED) this.awaited.delete(this.awaited.keys().next().value as Hex);
  }

  /**
   * This node now builds the next proposal (its consensus round just moved so that it leads the
   * one after): the transactions clients wait on go into its open mini-block first.
   */
  startBuilding(): void {
    this.leadingCache = undefined;
    if (this.awaited.size === 0) return;
    for (const [hash, tx] of this.awaited) if (this.mempool.has(hash)) this.urgentOffers.push(tx);
    this.awaited.clear();
    this.scheduleOffers();
  }

  /**
   * Arrivals execute into the open mini-block in slices chained with builds and commits, so a
   * burst of arrivals never holds a proposal or a commit back for long; urgent ones go first.
   */
  private scheduleOffers(): void {
    if (this.offersScheduled) return;
    this.offersScheduled = true;
    this.executing = this.executing
      .then(() => this.drainOffers())
      .catch((error: unknown) => this.modules.log?.error({ err: String(error) }, "preconfirmation failed"));
  }

  private async drainOffers(): Promise<void> {
    this.offersScheduled = false;
    if (!this.modules.leader?.leading()) {
      // No longer leading: the next leader takes these from its own pool.
      this.offers = [];
      this.urgentOffers.length = 0;
      return;
    }
    for (let n = 0; n < OFFERS_PER_SLICE; n++) {
      const tx = this.urgentOffers.shift() ?? this.offers.shift();
      if (tx === undefined) return;
      await this.offer(tx);
    }
    if (this.offers.length > 0 || this.urgentOffers.length > 0) this.scheduleOffers();
  }

  /** Executes an arriving tx into the open mini-block of this (leading) node, if it can run now. */
  private async offer(tx: ExecTx): Promise<void> {
    const pipeline = await this.pipelineReady();
    if (!this.mempool.has(tx.hash)) return;
    // nextSequence already counts the committed mini-blocks queued here, which are also layers.
    const sequence = this.nextSequence + BigInt(Math.max(0, pipeline.depth - this.queuedCommits.length));
    const done = await pipeline.offer(tx);
    if (done === undefined) return;
    if (hopTraceEnabled) hop(tx.hash, "arrival.preconfirmed");
    this.preconfs.addPreconfirmed(
      this.receiptData(done.receipt, { number: done.number, sequence, finality: "preconfirmed" }),
    );
  }

  private async pipelineReady(): Promise<PreconfPipeline> {
    if (this.pipeline === undefined) {
      const envelope = await this.executor.envelope(this.opts.chainId, this.opts.fork);
      this.pipeline ??= new PreconfPipeline({
        canonical: this.state,
        builder: new MiniBlockBuilder({ ...NODE_MINI_BLOCK_CAPS, ...this.opts.miniBlockCaps }, { envelope }),
        env: () => {
          const at = this.building?.timestampUs ?? BigInt(Date.now()) * 1000n;
          const timestampUs = at > this.lastTimestampUs ? at : this.lastTimestampUs;
          const proposer = this.building?.proposerIndex ?? this.modules.leader?.selfIndex() ?? -1;
          return this.assembler.envFor({ timestampUs, feeRecipient: this.feeRecipient(proposer) });
        },
      });
    }
    return this.pipeline;
  }

  /** Admits a batch of raw transactions from a peer; returns how many were admitted. */
  async admitRaws(raws: readonly Uint8Array[]): Promise<number> {
    let admitted = 0;
    for (const r of await this.decodeMany(raws)) {
      if (r instanceof TxRejectedError) continue;
      try {
        this.admit(r);
        admitted++;
      } catch {
        // Already known, stale nonce, underpriced...: normal for gossip.
      }
    }
    return admitted;
  }

  private remember(tx: ExecTx): void {
    this.known.set(tx.hash, tx);
    if (this.known.size > MAX_KNOWN) this.known.delete(this.known.keys().next().value as Hex);
  }

  /** Hashes of a block's transactions (computed once per block object). */
  private hashesOf(block: Block): Hex[] {
    let hashes = this.blockHashes.get(block);
    if (hashes === undefined) {
      hashes = block.payload.txs.map((raw) => bytesToHex(keccak256(raw)));
      this.blockHashes.set(block, hashes);
    }
    return hashes;
  }

  /** Raw transactions for a mini-block, best first, within the caps, without executing them. */
  selectForPayload(caps: { maxTxs: number; maxBytes: number; gas: bigint }): Uint8Array[] {
    return this.mempool
      .select({ gasLimit: caps.gas, maxCount: caps.maxTxs, maxBytes: caps.maxBytes })
      .map((tx) => tx.payload.raw as Uint8Array);
  }

  /**
   * The leader's mini-block: takes the pool's best transactions one at a time and executes each
   * at once over an overlay of the committed state, publishing its receipt as a preconfirmation
   * before taking the next. Senders with transactions in uncommitted ancestors or in committed
   * mini-blocks not yet executed here are left for a later mini-block, so the overlay starts from
   * the state those senders' transactions will really see. Runs in the execution queue: no
   * committed mini-block changes the state under the build.
   */
  buildPayload(req: BuildRequest): Promise<Uint8Array[]> {
    const run = this.executing.then(() => this.build(req));
    this.executing = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async build(req: BuildRequest): Promise<Uint8Array[]> {
    const pipeline = await this.pipelineReady();
    const ancestorHashes = req.ancestors.map((block) => this.hashesOf(block));
    let exclude: Set<string> | undefined;
    // The speculation must be exactly: committed mini-blocks still queued for execution here
    // (a commit and the next payload request often come from the same consensus step), then the
    // uncommitted ancestors.
    if (!pipeline.matches([...this.queuedCommits, ...ancestorHashes])) {
      // The uncommitted ancestors are not (all) this node's own proposals: their effects are not
      // in the speculation, so build on the committed state and leave their senders out.
      pipeline.reset();
      exclude = new Set<string>(this.committingSenders.keys());
      for (const hashes of ancestorHashes) {
        for (const hash of hashes) {
          const tx = this.known.get(hash);
          if (tx) exclude.add(tx.sender);
        }
      }
    }
    const it = this.mempool.pending(exclude);
    let taken = false;
    const source = {
      next: (): ExecTx | undefined => {
        if (taken) it.shift();
        const tx = it.peek();
        taken = tx !== undefined;
        return tx?.payload;
      },
      skip: (): void => {
        // Did not fit: neither does anything after it from the same sender.
        it.pop();
        taken = false;
      },
    };
    const sequence = this.nextSequence + BigInt(req.ancestors.length);
    const number = this.assembler.currentNumber();
    this.building = { timestampUs: BigInt(req.timestampUs), proposerIndex: req.proposerIndex };
    try {
      const built = await pipeline.build(source, (receipt) => {
        if (hopTraceEnabled) hop(receipt.txHash, "build.preconfirmed");
        this.preconfs.addPreconfirmed(
          this.receiptData(receipt, { number, sequence, finality: "preconfirmed" }),
        );
      });
      return built.txs.map((tx) => tx.raw as Uint8Array);
    } finally {
      this.building = undefined;
    }
  }

  /** A preconfirmation another node (the leader) answered for a tx this node forwarded. */
  acceptPreconfirmation(receipt: ReceiptData): void {
    // Kept as the peer labelled it: "committed" there means the quorum committed it.
    this.preconfs.addPreconfirmed(receipt);
  }

  private receiptData(
    receipt: Receipt,
    at: { number: bigint; sequence: bigint; finality: "preconfirmed" | "committed"; firstLogIndex?: number },
  ): ReceiptData {
    const r = receiptFromExecution(receipt, {
      blockHash: ZERO_HASH,
      blockNumber: at.number,
      firstLogIndex: at.firstLogIndex ?? 0,
      finality: at.finality,
    });
    if (receipt.miniBlock === undefined) {
      r.miniBlockNumber = at.sequence;
      r.miniBlockIndex = receipt.transactionIndex;
    }
    return r;
  }

  private feeRecipient(proposerIndex: number): Hex {
    return this.opts.validatorAddresses[proposerIndex] ?? "0x0000000000000000000000000000000000000000";
  }

  /**
   * Executes one committed mini-block. Calls are chained so that mini-blocks execute strictly in
   * commit order however they arrive. Transactions that fail to decode or are invalid for the
   * envelope are skipped (and are the same for every node, since all run the same checks).
   */
  applyCommitted(sequence: bigint, block: Block, proposerIndex: number): Promise<void> {
    if (sequence >= this.nextSequence) this.nextSequence = sequence + 1n;
    const queued = this.hashesOf(block);
    if (hopTraceEnabled) for (const hash of queued) hop(hash, "commit.in");
    this.queuedCommits.push(queued);
    const senders: string[] = [];
    for (const hash of this.hashesOf(block)) {
      const sender = this.known.get(hash)?.sender;
      if (sender === undefined) continue;
      senders.push(sender);
      this.committingSenders.set(sender, (this.committingSenders.get(sender) ?? 0) + 1);
    }
    const run = this.executing.then(() => this.execute(sequence, block, proposerIndex));
    this.executing = run.finally(() => {
      const at = this.queuedCommits.indexOf(queued);
      if (at >= 0) this.queuedCommits.splice(at, 1);
      for (const sender of senders) {
        const left = (this.committingSenders.get(sender) ?? 1) - 1;
        if (left > 0) this.committingSenders.set(sender, left);
        else this.committingSenders.delete(sender);
      }
    });
    return run;
  }

  /** Resolves once every queued mini-block has executed. */
  async idle(): Promise<void> {
    // Work chained while waiting (a further slice of arrivals) counts too.
    for (let seen = this.executing; ; seen = this.executing) {
      await seen;
      if (seen === this.executing) return;
    }
  }

  private async execute(sequence: bigint, block: Block, proposerIndex: number): Promise<void> {
    const hashes = this.hashesOf(block);
    const raws = block.payload.txs;
    const slots: (ExecTx | undefined)[] = hashes.map((h) => this.known.get(h));
    const missing = slots.flatMap((tx, i) => (tx === undefined ? [i] : []));
    if (missing.length > 0) {
      // Never admitted here (a leader's own pool, gossip that did not reach us): decode now.
      const decoded = await this.decodeMany(missing.map((i) => raws[i]));
      for (let j = 0; j < missing.length; j++) {
        const d = decoded[j];
        // A leader may include bytes that do not decode; every node skips them alike.
        if (!(d instanceof TxRejectedError)) slots[missing[j]] = d;
      }
    }
    const txs = slots.filter((t): t is ExecTx => t !== undefined);
    // Mini-block timestamps come from leaders' clocks; never let them run backwards.
    const proposed = BigInt(block.payload.timestampUs);
    const timestampUs = proposed > this.lastTimestampUs ? proposed : this.lastTimestampUs;
    this.lastTimestampUs = timestampUs;
    const feeRecipient = this.feeRecipient(proposerIndex);
    const { sealed, receipts } = await this.assembler.push({ sequence, timestampUs, feeRecipient, txs });
    this.pipeline?.onCommitted(hashes);
    if (sealed) {
      this.indexSealed(sealed);
      this.openBlockLogs = 0;
      this.openBlockMiniBlocks = 0;
    }
    const indexInBlock = this.openBlockMiniBlocks++;
    const number = this.assembler.currentNumber();
    const out: ReceiptData[] = [];
    for (const receipt of receipts) {
      const r = this.receiptData(receipt, {
        number,
        sequence,
        finality: "committed",
        firstLogIndex: this.openBlockLogs,
      });
      this.openBlockLogs += receipt.logs.length;
      this.preconfs.addCommitted(r);
      out.push(r);
    }
    for (const hash of this.preconfs.sweep()) this.modules.log?.debug({ hash }, "preconfirmation revoked");
    if (this.events.miniBlockListeners > 0) {
      this.events.emitMiniBlock({
        number: sequence,
        blockNumber: number,
        indexInBlock,
        timestampMicros: timestampUs,
        gasUsed: receipts.reduce((g, r) => g + r.gasUsed, 0n),
        transactions: out.map((r) => r.transactionHash),
        receipts: out,
        finality: "committed",
      });
    }
    if (txs.length > 0) {
      // Only included txs leave the pool. One the executor refused stays: refused because the
      // EVM block's gas ran out it is still valid for a later mini-block; stale ones (nonce below
      // the sender's, no longer affordable) are dropped by onCommitted below.
      for (const r of receipts) {
        this.mempool.remove(r.txHash);
        this.known.delete(r.txHash);
      }
      this.mempool.onCommitted(new Set(txs.map((t) => t.sender)));
      this.mempool.setBaseFee(this.assembler.currentBaseFee());
      this.modules.metrics?.mempool.size.set(this.mempool.size);
      this.modules.metrics?.execution.txs.inc(txs.length);
    }
  }

  private indexGenesis(stateRoot: Hex): BlockData {
    const header = {
      ...defaultHeaderFields(),
      parentHash: ZERO_HASH,
      coinbase: "0x0000000000000000000000000000000000000000" as Hex,
      stateRoot,
      transactionsRoot: EMPTY_TRIE_ROOT,
      receiptsRoot: EMPTY_TRIE_ROOT,
      logsBloom: new Uint8Array(256),
      number: 0n,
      gasLimit: this.opts.gasLimit,
      gasUsed: 0n,
      timestamp: BigInt(Math.floor(this.opts.genesisTimestampMs / 1000)),
      mixHash: ZERO_HASH,
      baseFeePerGas: 1_000_000_000n,
    };
    const block: BlockData = {
      number: 0n,
      hash: headerHash(header),
      parentHash: ZERO_HASH,
      timestamp: header.timestamp,
      gasLimit: header.gasLimit,
      gasUsed: 0n,
      baseFeePerGas: header.baseFeePerGas,
      miner: header.coinbase,
      stateRoot,
      transactionsRoot: EMPTY_TRIE_ROOT,
      receiptsRoot: EMPTY_TRIE_ROOT,
      logsBloom: bytesToHex(header.logsBloom),
      extraData: "0x",
      mixHash: ZERO_HASH,
      size: BigInt(encodeHeader(header).length),
      transactions: [],
      miniBlockCount: 0,
      finality: "committed",
    };
    this.index.add(block, []);
    return block;
  }

  private indexSealed(sealed: SealedEvmBlock): void {
    const h = sealed.header;
    const at = { blockHash: sealed.hash, blockNumber: h.number };
    let firstLogIndex = 0;
    const receipts = sealed.receipts.map((r) => {
      const out = receiptFromExecution(r, { ...at, firstLogIndex, finality: "committed" });
      firstLogIndex += r.logs.length;
      return out;
    });
    const txs = sealed.txs.map((tx, i) =>
      transactionFromExecution(tx, signatureFromRaw(tx.raw), {
        ...at,
        transactionIndex: i,
        effectiveGasPrice: sealed.receipts[i].effectiveGasPrice,
      }),
    );
    const block: BlockData = {
      number: h.number,
      hash: sealed.hash,
      parentHash: h.parentHash,
      timestamp: h.timestamp,
      gasLimit: h.gasLimit,
      gasUsed: h.gasUsed,
      baseFeePerGas: h.baseFeePerGas,
      miner: h.coinbase,
      stateRoot: h.stateRoot,
      transactionsRoot: h.transactionsRoot,
      receiptsRoot: h.receiptsRoot,
      logsBloom: bytesToHex(h.logsBloom),
      extraData: bytesToHex(h.extraData),
      mixHash: h.mixHash,
      size: BigInt(encodeHeader(h).length + sealed.txs.reduce((n, t) => n + (t.raw?.length ?? 0), 0)),
      transactions: txs,
      miniBlockCount: sealed.miniBlocks.length,
      finality: "committed",
    };
    this.index.add(block, receipts);
    this.sealedState.apply(sealed.changes);
    this.preconfs.forgetCommitted(receipts.map((r) => r.transactionHash));
    this.modules.metrics?.execution.evmBlockHeight.set(Number(h.number));
    this.events.emitNewHead(block);
    const logs = receipts.flatMap((r) => r.logs);
    if (logs.length > 0) this.events.emitLogs(logs);
  }

  private env(block: BlockData): BlockEnv {
    return {
      chainId: this.opts.chainId,
      fork: this.opts.fork,
      number: block.number,
      timestamp: block.timestamp,
      coinbase: block.miner,
      baseFee: block.baseFeePerGas,
      gasLimit: block.gasLimit,
      prevRandao: new Uint8Array(32),
    };
  }

  private head(): BlockData {
    return this.index.head();
  }

  /**
   * State is kept for the newest block only (the node is not an archive): older block numbers
   * get a clear error instead of a wrong answer.
   */
  private stateAt(block: bigint): FlatState {
    if (block < this.head().number) {
      throw new RpcError(
        "RESOURCE_UNAVAILABLE",
        `state of block ${block} is not kept: this node serves the latest state only`,
      );
    }
    return this.state;
  }

  // ------------------------------------------------------------------ RpcBackend

  chainId(): bigint {
    return this.opts.chainId;
  }

  heads(): ChainHeads {
    const n = this.head().number;
    return { preconfirmed: n, committed: n, checkpointed: 0n };
  }

  syncing(): false {
    return false;
  }

  async getBlockByNumber(number: bigint): Promise<BlockData | null> {
    return this.index.byNumber(number);
  }

  async getBlockByHash(hash: Hex): Promise<BlockData | null> {
    return this.index.byHash(hash);
  }

  async getTransaction(hash: Hex): Promise<TransactionData | null> {
    const included = this.index.transaction(hash);
    if (included) return included;
    const pending = this.mempool.get(hash);
    return pending
      ? transactionFromExecution(pending.payload, signatureFromRaw(pending.payload.raw), null)
      : null;
  }

  async getReceipt(hash: Hex): Promise<ReceiptData | null> {
    return this.index.receipt(hash);
  }

  async getBlockReceipts(number: bigint): Promise<ReceiptData[] | null> {
    return this.index.blockReceipts(number);
  }

  async getLogs(query: LogQuery, limit: number): Promise<LogData[]> {
    return this.index.logs(query, limit);
  }

  async getBalance(address: Hex, block: bigint): Promise<bigint> {
    return this.stateAt(block).getAccount(address)?.balance ?? 0n;
  }

  async getTransactionCount(address: Hex, block: bigint | "pending"): Promise<bigint> {
    if (block === "pending")
      return this.mempool.nextNonce(address, this.state.getAccount(address)?.nonce ?? 0n);
    return this.stateAt(block).getAccount(address)?.nonce ?? 0n;
  }

  async getCode(address: Hex, block: bigint): Promise<Hex> {
    return bytesToHex(this.stateAt(block).getCode(address));
  }

  async getStorageAt(address: Hex, slot: Hex, block: bigint): Promise<Hex> {
    return `0x${this.stateAt(block).getStorage(address, slot).toString(16).padStart(64, "0")}`;
  }

  /**
   * EIP-1186 proofs against the newest sealed EVM block's state root (the node keeps no older
   * state): the tries are rebuilt from that block's state once per sealed block.
   */
  async getProof(address: Hex, slots: Hex[], block: bigint): Promise<ProofData> {
    const head = this.head();
    if (block !== head.number) {
      throw new RpcError(
        "RESOURCE_UNAVAILABLE",
        `proofs are served for the newest sealed block (${head.number}) only, not block ${block}`,
      );
    }
    const root = this.sealedState.stateRoot();
    if (root !== head.stateRoot) {
      throw new RpcError("INTERNAL_ERROR", `proof state root ${root} differs from block ${head.number}'s`);
    }
    return this.sealedState.proof(address.toLowerCase() as Hex, slots);
  }

  async call(request: CallRequest, block: bigint, overrides?: StateOverrides): Promise<CallResult> {
    return this.caller.call(this.env(this.head()), request, this.stateAt(block), overrides);
  }

  async estimateGas(request: CallRequest, block: bigint, overrides?: StateOverrides): Promise<CallResult> {
    return this.caller.estimate(this.env(this.head()), request, this.stateAt(block), overrides);
  }

  async submitTransaction(raw: Uint8Array, opts: { urgent?: boolean } = {}): Promise<SubmittedTransaction> {
    const tx = opts.urgent ? this.decodeNow(raw) : await this.decode(raw);
    this.admit(tx);
    this.modules.broadcastTx?.(raw);
    if (this.events.pendingListeners > 0)
      this.events.emitPendingTransaction(transactionFromExecution(tx, signatureFromRaw(raw), null));
    const cancels: (() => void)[] = [];
    const wait = (kind: "preconfirmed" | "committed"): Promise<ReceiptData> => {
      const w = this.preconfs.wait(tx.hash, kind, this.index.receipt(tx.hash));
      cancels.push(w.cancel);
      return w.promise;
    };
    return {
      hash: tx.hash,
      preconfirmed: () => {
        const promise = wait("preconfirmed");
        // A node building the next proposal preconfirms it itself (on arrival), one that builds
        // later does when its turn comes; the validators are asked too (the next builder first).
        this.expedite(tx.hash);
        this.modules.requestPreconfirmation?.(raw, tx.hash);
        return promise;
      },
      committed: () => wait("committed"),
      abandon: () => {
        for (const cancel of cancels) cancel();
      },
    };
  }

  async gasPrice(): Promise<bigint> {
    return this.assembler.currentBaseFee() + 1_000_000_000n;
  }

  async maxPriorityFeePerGas(): Promise<bigint> {
    return 1_000_000_000n;
  }

  async feeHistory(blockCount: number, newest: bigint, percentiles: number[]): Promise<FeeHistoryData> {
    return this.index.feeHistory(blockCount, newest, percentiles, {
      nextBaseFee: this.assembler.currentBaseFee(),
      priorityFee: 1_000_000_000n,
    });
  }

  async consensusStatus(): Promise<ConsensusStatusData> {
    const status = this.modules.consensusStatus?.();
    if (!status) throw new RpcError("RESOURCE_UNAVAILABLE", "consensus is not running");
    return status;
  }

  async validatorSet(epoch: bigint | undefined): Promise<ValidatorSetData | null> {
    return this.modules.validatorSet?.(epoch) ?? null;
  }
}

const DECODE_REASONS: Record<string, TxRejectionReason> = {
  TX_MALFORMED: "INVALID_ENCODING",
  TX_INVALID_SIGNATURE: "INVALID_SIGNATURE",
  TYPE_NOT_SUPPORTED: "UNSUPPORTED_TYPE",
};

function toTxOrRejection(result: BatchDecodeResult): ExecTx | TxRejectedError {
  if (result.ok) return result.tx;
  return new TxRejectedError(DECODE_REASONS[result.error.code] ?? "INVALID_ENCODING", result.error.message);
}

function rejection(code: string, message: string): TxRejectedError {
  const reason = REASONS[code];
  return reason === undefined
    ? new TxRejectedError("INVALID_ENCODING", message)
    : new TxRejectedError(reason, message);
}
