import { RLP } from "@ethereumjs/rlp";
import type { TypedTransaction } from "@ethereumjs/tx";
import { keccak256 } from "../crypto/keccak.ts";
import { decodeSignedTx, TxCryptoError } from "../crypto/secp256k1.ts";
import { orBloom } from "../execution/bloom.ts";
import { TxRejectedError as ExecRejectedError } from "../execution/errors.ts";
import { evmCommon } from "../execution/evm-common.ts";
import { toExecTx } from "../execution/exec-tx.ts";
import { FlatState } from "../execution/flat-state.ts";
import { bytesToHex, hexToBytes } from "../execution/hex.ts";
import { receiptsRoot, transactionsRoot } from "../execution/receipts.ts";
import { SequentialExecutor } from "../execution/sequential-executor.ts";
import { StateRootComputer } from "../execution/state-root.ts";
import type { BlockEnv, ExecTx, Fork, Receipt } from "../execution/types.ts";
import { KECCAK_EMPTY } from "../execution/types.ts";
import type {
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
} from "./backend.ts";
import { ChainIndex } from "./chain-index.ts";
import { TxRejectedError, type TxRejectionReason } from "./errors.ts";
import { EventHub } from "./event-hub.ts";
import { EvmCaller } from "./evm-call.ts";
import { receiptFromExecution, transactionFromExecution } from "./from-execution.ts";
import type { Hex } from "./hex.ts";

/**
 * A single-node dev chain with no consensus: every admitted transaction is executed at once by
 * the execution engine's SequentialExecutor into a new block of one mini-block, which counts as
 * committed immediately. It implements RpcBackend for real (EVM, Ethereum-compatible state root,
 * receipts and transactions roots), so wallets and tools can deploy and call contracts
 * through the RPC server before the validator node exists.
 *
 * Historical state: each block's writes live in a FlatState overlay over its parent's, so any
 * past block can be queried; this keeps every block in memory (a dev chain, not a node).
 */

export interface DevChainOptions {
  chainId: bigint;
  fork?: Fork;
  alloc?: { address: Hex; balance: bigint }[];
  gasLimit?: bigint;
  baseFee?: bigint;
  /** Suggested priority fee. */
  priorityFee?: bigint;
  coinbase?: Hex;
  /** Seconds; defaults to the wall clock. Block timestamps never go backwards. */
  now?: () => bigint;
}

const ZERO_HASH = `0x${"0".repeat(64)}` as Hex;
const EMPTY_UNCLES = hexToBytes("0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347");

const REASONS: Partial<Record<string, TxRejectionReason>> = {
  WRONG_CHAIN_ID: "WRONG_CHAIN_ID",
  TYPE_NOT_SUPPORTED: "UNSUPPORTED_TYPE",
  NONCE_TOO_LOW: "NONCE_TOO_LOW",
  NONCE_TOO_HIGH: "NONCE_TOO_HIGH",
  INTRINSIC_GAS_TOO_LOW: "INTRINSIC_GAS_TOO_LOW",
  GAS_LIMIT_EXCEEDS_BLOCK: "GAS_LIMIT_EXCEEDED",
  BLOCK_GAS_EXHAUSTED: "GAS_LIMIT_EXCEEDED",
  TIP_ABOVE_FEE_CAP: "UNDERPRICED",
  FEE_CAP_BELOW_BASE_FEE: "UNDERPRICED",
  INSUFFICIENT_FUNDS: "INSUFFICIENT_FUNDS",
  INITCODE_TOO_LARGE: "OVERSIZED",
};

export class DevChain implements RpcBackend {
  readonly events = new EventHub();
  private readonly opts: Required<DevChainOptions>;
  private readonly executor = new SequentialExecutor();
  private readonly roots = new StateRootComputer();
  private readonly caller: EvmCaller;
  private readonly states: FlatState[] = [];
  private readonly index = new ChainIndex();
  /** Submissions execute one at a time, in arrival order. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(opts: Required<DevChainOptions>, caller: EvmCaller) {
    this.opts = opts;
    this.caller = caller;
  }

  static async create(opts: DevChainOptions): Promise<DevChain> {
    const full: Required<DevChainOptions> = {
      fork: "prague",
      alloc: [],
      gasLimit: 30_000_000n,
      baseFee: 1_000_000_000n,
      priorityFee: 1_000_000_000n,
      coinbase: "0x0000000000000000000000000000000000000000",
      now: () => BigInt(Math.floor(Date.now() / 1000)),
      ...opts,
    };
    const chain = new DevChain(full, await EvmCaller.create(full.chainId, full.fork));
    chain.genesis();
    return chain;
  }

  private genesis(): void {
    const state = new FlatState();
    for (const a of this.opts.alloc) {
      state.putAccount(a.address.toLowerCase() as Hex, {
        nonce: 0n,
        balance: a.balance,
        codeHash: KECCAK_EMPTY,
      });
    }
    const stateRoot = this.roots.apply(state.takeChanges(), state);
    this.seal(state, stateRoot, [], []);
  }

  private env(number: bigint, timestamp: bigint): BlockEnv {
    return {
      chainId: this.opts.chainId,
      fork: this.opts.fork,
      number,
      timestamp,
      coinbase: this.opts.coinbase,
      baseFee: this.opts.baseFee,
      gasLimit: this.opts.gasLimit,
      prevRandao: new Uint8Array(32),
      blockHash: (n) => {
        const b = this.index.byNumber(n);
        return b === null ? undefined : hexToBytes(b.hash);
      },
    };
  }

  private head(): BlockData {
    return this.index.head();
  }

  private nextTimestamp(): bigint {
    const now = this.opts.now();
    const parent = this.index.length === 0 ? 0n : this.head().timestamp;
    return now > parent ? now : parent + (this.index.length === 0 ? 0n : 1n);
  }

  /** Seals a block over `state` (already executed) and announces it. */
  private seal(
    state: FlatState,
    stateRoot: Hex,
    included: { exec: ExecTx; signed: TypedTransaction; raw: Uint8Array }[],
    execReceipts: Receipt[],
  ): BlockData {
    const number = BigInt(this.index.length);
    const parentHash = this.index.length === 0 ? ZERO_HASH : this.head().hash;
    const timestamp = this.nextTimestamp();
    const bloom = new Uint8Array(256);
    let gasUsed = 0n;
    for (const r of execReceipts) {
      orBloom(bloom, r.logsBloom);
      gasUsed += r.gasUsed;
    }
    const txRoot = transactionsRoot(included.map((t) => t.raw));
    const rcptRoot = receiptsRoot(execReceipts);
    const header = [
      hexToBytes(parentHash),
      EMPTY_UNCLES,
      hexToBytes(this.opts.coinbase),
      hexToBytes(stateRoot),
      txRoot,
      rcptRoot,
      bloom,
      0n,
      number,
      this.opts.gasLimit,
      gasUsed,
      timestamp,
      new Uint8Array(0),
      new Uint8Array(32),
      new Uint8Array(8),
      this.opts.baseFee,
    ];
    const encoded = RLP.encode(header);
    const hash = bytesToHex(keccak256(encoded));
    const sequence = number;
    let firstLogIndex = 0;
    const receipts = execReceipts.map((r) => {
      const out = receiptFromExecution(
        { ...r, miniBlock: r.miniBlock ?? { sequence, index: r.transactionIndex } },
        { blockHash: hash, blockNumber: number, firstLogIndex, finality: "committed" },
      );
      firstLogIndex += r.logs.length;
      return out;
    });
    const txs = included.map((t, i) =>
      transactionFromExecution(t.exec, t.signed, {
        blockHash: hash,
        blockNumber: number,
        transactionIndex: i,
        effectiveGasPrice: execReceipts[i].effectiveGasPrice,
      }),
    );
    const block: BlockData = {
      number,
      hash,
      parentHash,
      timestamp,
      gasLimit: this.opts.gasLimit,
      gasUsed,
      baseFeePerGas: this.opts.baseFee,
      miner: this.opts.coinbase,
      stateRoot,
      transactionsRoot: bytesToHex(txRoot),
      receiptsRoot: bytesToHex(rcptRoot),
      logsBloom: bytesToHex(bloom),
      extraData: "0x",
      mixHash: ZERO_HASH,
      size: BigInt(encoded.length + included.reduce((n, t) => n + t.raw.length, 0)),
      transactions: txs,
      miniBlockCount: 1,
      finality: "committed",
    };
    this.states.push(state);
    this.index.add(block, receipts);
    if (number > 0n) {
      this.events.emitMiniBlock({
        number: sequence,
        blockNumber: number,
        indexInBlock: 0,
        timestampMicros: timestamp * 1_000_000n,
        gasUsed,
        transactions: txs.map((t) => t.hash),
        receipts,
        finality: "committed",
      });
      this.events.emitNewHead(block);
      this.events.emitLogs(receipts.flatMap((r) => r.logs));
    }
    return block;
  }

  private async include(raw: Uint8Array): Promise<ReceiptData> {
    const common = evmCommon(this.opts.chainId, this.opts.fork);
    let signed: TypedTransaction;
    let exec: ExecTx;
    try {
      const decoded = decodeSignedTx(raw, common);
      signed = decoded.tx;
      exec = toExecTx(decoded.tx, decoded.sender.toString(), raw);
    } catch (error) {
      if (error instanceof TxCryptoError) {
        throw new TxRejectedError(error.code === "TX_MALFORMED" ? "INVALID_ENCODING" : "INVALID_SIGNATURE");
      }
      if (error instanceof ExecRejectedError) throw this.rejection(error.code, error.message, undefined);
      throw error;
    }
    if (this.index.transaction(exec.hash)) throw new TxRejectedError("ALREADY_KNOWN");
    const parent = this.states[this.states.length - 1];
    const state = new FlatState({ parent });
    const number = BigInt(this.index.length);
    const result = await this.executor.executeBlock(this.env(number, this.nextTimestamp()), [exec], state, [
      { sequence: number, index: 0 },
    ]);
    const rejected = result.rejected[0];
    if (rejected !== undefined) throw this.rejection(rejected.code, rejected.message, exec.sender);
    this.events.emitPendingTransaction(transactionFromExecution(exec, signed, null));
    const stateRoot = this.roots.apply(result.changes, state);
    this.seal(state, stateRoot, [{ exec, signed, raw }], result.receipts);
    return this.index.receipt(exec.hash) as ReceiptData;
  }

  private rejection(code: string, message: string, sender: Hex | undefined): TxRejectedError {
    const reason = REASONS[code] ?? "INVALID_ENCODING";
    const expected =
      code === "NONCE_TOO_HIGH" && sender !== undefined
        ? (this.states[this.states.length - 1].getAccount(sender)?.nonce ?? 0n)
        : undefined;
    return new TxRejectedError(reason, message, expected);
  }

  private stateAt(block: bigint): FlatState {
    return this.states[Number(block)] ?? this.states[this.states.length - 1];
  }

  // RpcBackend

  chainId(): bigint {
    return this.opts.chainId;
  }

  heads(): ChainHeads {
    const n = BigInt(this.index.length - 1);
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
    return this.index.transaction(hash);
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
    const at = block === "pending" ? BigInt(this.index.length - 1) : block;
    return this.stateAt(at).getAccount(address)?.nonce ?? 0n;
  }

  async getCode(address: Hex, block: bigint): Promise<Hex> {
    return bytesToHex(this.stateAt(block).getCode(address));
  }

  async getStorageAt(address: Hex, slot: Hex, block: bigint): Promise<Hex> {
    return `0x${this.stateAt(block).getStorage(address, slot).toString(16).padStart(64, "0")}`;
  }

  async call(request: CallRequest, block: bigint, overrides?: StateOverrides): Promise<CallResult> {
    const b = this.index.byNumber(block) ?? this.head();
    return this.caller.call(this.env(b.number, b.timestamp), request, this.stateAt(block), overrides);
  }

  async estimateGas(request: CallRequest, block: bigint, overrides?: StateOverrides): Promise<CallResult> {
    const b = this.index.byNumber(block) ?? this.head();
    return this.caller.estimate(this.env(b.number, b.timestamp), request, this.stateAt(block), overrides);
  }

  async submitTransaction(raw: Uint8Array): Promise<SubmittedTransaction> {
    const run = this.queue.then(() => this.include(raw));
    this.queue = run.catch(() => {});
    const receipt = await run;
    const done = (): Promise<ReceiptData> => Promise.resolve(receipt);
    return { hash: receipt.transactionHash, preconfirmed: done, committed: done };
  }

  async gasPrice(): Promise<bigint> {
    return this.opts.baseFee + this.opts.priorityFee;
  }

  async maxPriorityFeePerGas(): Promise<bigint> {
    return this.opts.priorityFee;
  }

  async feeHistory(blockCount: number, newest: bigint, percentiles: number[]): Promise<FeeHistoryData> {
    return this.index.feeHistory(blockCount, newest, percentiles, {
      nextBaseFee: this.opts.baseFee,
      priorityFee: this.opts.priorityFee,
    });
  }

  async consensusStatus(): Promise<ConsensusStatusData> {
    const round = BigInt(this.index.length - 1);
    return {
      epoch: 0n,
      round,
      leader: this.opts.coinbase,
      highQc: { round, blockId: this.head().hash },
      highTcRound: null,
      lastVotedRound: round,
      committedRound: round,
      isLeader: true,
    };
  }

  async validatorSet(epoch: bigint | undefined): Promise<ValidatorSetData | null> {
    if (epoch !== undefined && epoch !== 0n) return null;
    return { epoch: 0n, l1AnchorBlock: 0n, totalVotingPower: 0n, validators: [] };
  }
}
