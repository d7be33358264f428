import type { TypedTransaction } from "@ethereumjs/tx";
import { decodeSignedTx, keccak256, TxCryptoError } from "../crypto/index.ts";
import { defaultHeaderFields, encodeHeader, headerHash } from "../execution/block-header.ts";
import { TxRejectedError as ExecRejectedError } from "../execution/errors.ts";
import { EvmBlockAssembler, type SealedEvmBlock } from "../execution/evm-block-assembler.ts";
import { evmCommon } from "../execution/evm-common.ts";
import { toExecTx } from "../execution/exec-tx.ts";
import { FlatState } from "../execution/flat-state.ts";
import { bytesToHex } from "../execution/hex.ts";
import { intrinsicGas } from "../execution/intrinsic-gas.ts";
import { SequentialExecutor } from "../execution/sequential-executor.ts";
import { StateRootComputer } from "../execution/state-root.ts";
import {
  type BlockEnv,
  EMPTY_TRIE_ROOT,
  type ExecTx,
  type Fork,
  type Hex,
  KECCAK_EMPTY,
} from "../execution/types.ts";
import { Mempool, type PoolTx } from "../mempool/index.ts";
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
import type { Block } from "../types/index.ts";

/** A transaction as the node carries it: decoded once, sender recovered once. */
export interface NodeTx {
  exec: ExecTx;
  signed: TypedTransaction;
}

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
}

export interface NodeChainModules {
  /** Gossips a transaction this node admitted from RPC to the other validators. */
  broadcastTx?: (raw: Uint8Array) => void;
  consensusStatus?: () => ConsensusStatusData;
  validatorSet?: (epoch: bigint | undefined) => ValidatorSetData | null;
  /** The admin_ namespace's hooks (served only when the RPC server enables admin). */
  admin?: AdminHooks;
  metrics?: MegaseqMetrics;
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
 * result), groups them into ~1 s EVM blocks, keeps the mempool, and serves all of it as the
 * JSON-RPC backend. State and blocks live in memory; on restart the node re-executes the
 * committed mini-blocks from its commit log, which rebuilds exactly the same chain.
 */
export class NodeChain implements RpcBackend {
  readonly events = new EventHub();
  readonly mempool: Mempool<NodeTx>;
  readonly admin: AdminHooks | undefined;
  private readonly opts: NodeChainOpts;
  private readonly modules: NodeChainModules;
  private readonly state = new FlatState();
  private readonly roots = new StateRootComputer();
  private readonly executor = new SequentialExecutor();
  private readonly assembler: EvmBlockAssembler;
  private readonly caller: EvmCaller;
  private readonly index = new ChainIndex();
  private readonly signedByHash = new Map<Hex, TypedTransaction>();
  private readonly waiters = new Map<
    Hex,
    { resolve: (r: ReceiptData) => void; reject: (e: Error) => void }
  >();
  private lastTimestampUs = 0n;
  private executing: Promise<void> = Promise.resolve();

  private constructor(opts: NodeChainOpts, modules: NodeChainModules, caller: EvmCaller) {
    this.opts = opts;
    this.modules = modules;
    this.admin = modules.admin;
    this.caller = caller;
    for (const a of opts.alloc) {
      this.state.putAccount(a.address.toLowerCase() as Hex, {
        nonce: 0n,
        balance: a.balance,
        codeHash: KECCAK_EMPTY,
      });
    }
    const stateRoot = this.roots.apply(this.state.takeChanges(), this.state);
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
    this.mempool = new Mempool<NodeTx>(
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

  /** Decodes and recovers a raw transaction; throws the RPC rejection on bad bytes. */
  decode(raw: Uint8Array): NodeTx {
    try {
      const decoded = decodeSignedTx(raw, evmCommon(this.opts.chainId, this.opts.fork));
      return { exec: toExecTx(decoded.tx, decoded.sender.toString(), raw), signed: decoded.tx };
    } catch (error) {
      if (error instanceof TxCryptoError) {
        throw new TxRejectedError(error.code === "TX_MALFORMED" ? "INVALID_ENCODING" : "INVALID_SIGNATURE");
      }
      if (error instanceof ExecRejectedError) throw rejection(error.code, error.message);
      throw error;
    }
  }

  /** Admits a decoded transaction to the mempool (from RPC or gossip). Throws the rejection. */
  admit(tx: NodeTx): void {
    if (this.index.transaction(tx.exec.hash)) throw new TxRejectedError("ALREADY_KNOWN");
    const e = tx.exec;
    const pool: PoolTx<NodeTx> = {
      hash: e.hash,
      sender: e.sender,
      nonce: e.nonce,
      gasLimit: e.gasLimit,
      maxFeePerGas: e.maxFeePerGas,
      maxPriorityFeePerGas: e.maxPriorityFeePerGas,
      value: e.value,
      intrinsicGas: intrinsicGas(e),
      size: e.size,
      chainId: e.chainId,
      payload: tx,
    };
    try {
      this.mempool.add(pool);
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      throw rejection(code, (error as Error).message);
    }
    this.modules.metrics?.mempool.size.set(this.mempool.size);
  }

  /** Raw transactions for the leader's next mini-block, best first, within the caps. */
  selectForPayload(caps: { maxTxs: number; maxBytes: number; gas: bigint }): Uint8Array[] {
    return this.mempool
      .select({ gasLimit: caps.gas, maxCount: caps.maxTxs, maxBytes: caps.maxBytes })
      .map((tx) => tx.payload.exec.raw as Uint8Array);
  }

  /**
   * Executes one committed mini-block. Calls are chained so that mini-blocks execute strictly in
   * commit order however they arrive. Transactions that fail to decode or are invalid for the
   * envelope are skipped (and are the same for every node, since all run the same checks).
   */
  applyCommitted(sequence: bigint, block: Block, proposerIndex: number): Promise<void> {
    const run = this.executing.then(() => this.execute(sequence, block, proposerIndex));
    this.executing = run;
    return run;
  }

  /** Resolves once every queued mini-block has executed. */
  async idle(): Promise<void> {
    await this.executing;
  }

  private async execute(sequence: bigint, block: Block, proposerIndex: number): Promise<void> {
    const txs: ExecTx[] = [];
    for (const raw of block.payload.txs) {
      try {
        // Usually admitted here already (RPC or gossip): reuse that decode and sender recovery.
        const tx = this.mempool.get(bytesToHex(keccak256(raw)))?.payload ?? this.decode(raw);
        this.signedByHash.set(tx.exec.hash, tx.signed);
        txs.push(tx.exec);
      } catch {
        // A leader may include bytes that do not decode; every node skips them alike.
      }
    }
    // Mini-block timestamps come from leaders' clocks; never let them run backwards.
    const proposed = BigInt(block.payload.timestampUs);
    const timestampUs = proposed > this.lastTimestampUs ? proposed : this.lastTimestampUs;
    this.lastTimestampUs = timestampUs;
    const feeRecipient =
      this.opts.validatorAddresses[proposerIndex] ?? "0x0000000000000000000000000000000000000000";
    const { sealed } = await this.assembler.push({ sequence, timestampUs, feeRecipient, txs });
    if (sealed) this.indexSealed(sealed);
    if (txs.length > 0) {
      for (const tx of txs) this.mempool.remove(tx.hash);
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
    const txs = sealed.txs.map((tx, i) => {
      const signed = this.signedByHash.get(tx.hash);
      this.signedByHash.delete(tx.hash);
      return transactionFromExecution(tx, signed as TypedTransaction, {
        ...at,
        transactionIndex: i,
        effectiveGasPrice: sealed.receipts[i].effectiveGasPrice,
      });
    });
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
    for (const r of receipts) {
      const waiter = this.waiters.get(r.transactionHash);
      if (waiter) {
        this.waiters.delete(r.transactionHash);
        waiter.resolve(r);
      }
    }
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
    return pending ? transactionFromExecution(pending.payload.exec, pending.payload.signed, null) : null;
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

  async call(request: CallRequest, block: bigint, overrides?: StateOverrides): Promise<CallResult> {
    return this.caller.call(this.env(this.head()), request, this.stateAt(block), overrides);
  }

  async estimateGas(request: CallRequest, block: bigint, overrides?: StateOverrides): Promise<CallResult> {
    return this.caller.estimate(this.env(this.head()), request, this.stateAt(block), overrides);
  }

  async submitTransaction(raw: Uint8Array): Promise<SubmittedTransaction> {
    const tx = this.decode(raw);
    this.admit(tx);
    this.modules.broadcastTx?.(raw);
    this.events.emitPendingTransaction(transactionFromExecution(tx.exec, tx.signed, null));
    const committed = this.waitForReceipt(tx.exec.hash);
    // Until the leader streams preconfirmations, a receipt exists once the block holding it is sealed.
    return { hash: tx.exec.hash, preconfirmed: committed, committed };
  }

  private waitForReceipt(hash: Hex): Promise<ReceiptData> {
    const known = this.index.receipt(hash);
    if (known) return Promise.resolve(known);
    if (this.waiters.size >= (this.opts.maxWaiters ?? 10_000)) {
      return Promise.reject(new RpcError("LIMIT_EXCEEDED", "too many transactions awaiting receipts"));
    }
    return new Promise((resolve, reject) => {
      this.waiters.get(hash)?.reject(new Error("superseded"));
      this.waiters.set(hash, { resolve, reject });
    });
  }

  /** Forgets a waiter the RPC layer gave up on (its own timeout), so waiters stay bounded. */
  abandonWait(hash: Hex): void {
    this.waiters.delete(hash);
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

function rejection(code: string, message: string): TxRejectedError {
  const reason = REASONS[code];
  return reason === undefined
    ? new TxRejectedError("INVALID_ENCODING", message)
    : new TxRejectedError(reason, message);
}
