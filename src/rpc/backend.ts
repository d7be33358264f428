import type { Hex } from "./hex.ts";

/**
 * What the RPC layer needs from a node. The validator node implements it over execution, storage,
 * mempool and consensus; tests implement it over an in-memory chain. Numbers are bigint, hashes
 * and byte strings are lower-case hex; the RPC layer owns every wire format.
 */

/** The three heads of a megaseq chain (EVM block numbers). */
export interface ChainHeads {
  /** Newest block holding the leader's preconfirmed (executed, not yet committed) mini-blocks. */
  preconfirmed: bigint;
  /** Newest block whose mini-blocks are all committed by the BFT quorum. */
  committed: bigint;
  /** Newest block checkpointed to L1. */
  checkpointed: bigint;
}

export interface AccessListEntry {
  address: Hex;
  storageKeys: Hex[];
}

export interface TransactionData {
  hash: Hex;
  /** 0 legacy, 1 EIP-2930, 2 EIP-1559, 4 EIP-7702. */
  type: number;
  from: Hex;
  to: Hex | null;
  nonce: bigint;
  gas: bigint;
  value: bigint;
  input: Hex;
  /** Legacy and 2930: the gas price; 1559: the effective gas price once included. */
  gasPrice: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  chainId?: bigint;
  accessList?: AccessListEntry[];
  v: bigint;
  r: bigint;
  s: bigint;
  /** null while pending. */
  blockHash: Hex | null;
  blockNumber: bigint | null;
  transactionIndex: number | null;
}

export interface LogData {
  address: Hex;
  topics: Hex[];
  data: Hex;
  blockNumber: bigint;
  blockHash: Hex;
  transactionHash: Hex;
  transactionIndex: number;
  /** Index in the block. */
  logIndex: number;
  /** True when a reorg of preconfirmed state dropped the log (sent on `logs` subscriptions). */
  removed?: boolean;
}

/** Where a transaction sits in the megaseq pipeline. */
export type Finality = "preconfirmed" | "committed" | "checkpointed";

export interface ReceiptData {
  transactionHash: Hex;
  transactionIndex: number;
  blockHash: Hex;
  blockNumber: bigint;
  from: Hex;
  to: Hex | null;
  cumulativeGasUsed: bigint;
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  contractAddress: Hex | null;
  logs: LogData[];
  logsBloom: Hex;
  /** 1 success, 0 failure. */
  status: 0 | 1;
  type: number;
  /** The mini-block that carries the transaction. */
  miniBlockNumber: bigint;
  miniBlockIndex: number;
  finality: Finality;
}

export interface BlockData {
  number: bigint;
  hash: Hex;
  parentHash: Hex;
  timestamp: bigint;
  gasLimit: bigint;
  gasUsed: bigint;
  baseFeePerGas: bigint;
  miner: Hex;
  stateRoot: Hex;
  transactionsRoot: Hex;
  receiptsRoot: Hex;
  logsBloom: Hex;
  extraData: Hex;
  mixHash: Hex;
  size: bigint;
  transactions: TransactionData[];
  /** Mini-blocks in this block so far (the open block grows). */
  miniBlockCount: number;
  finality: Finality;
}

export interface MiniBlockData {
  /** Global mini-block number. */
  number: bigint;
  /** The EVM block it belongs to and its index inside it. */
  blockNumber: bigint;
  indexInBlock: number;
  /** Microseconds since the epoch. */
  timestampMicros: bigint;
  gasUsed: bigint;
  transactions: Hex[];
  receipts: ReceiptData[];
  finality: Finality;
}

export interface CallRequest {
  from?: Hex;
  to?: Hex | null;
  gas?: bigint;
  gasPrice?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  value?: bigint;
  data?: Hex;
  nonce?: bigint;
  accessList?: AccessListEntry[];
}

export interface AccountOverride {
  balance?: bigint;
  nonce?: bigint;
  code?: Hex;
  /** Replaces the whole storage. */
  state?: Record<Hex, Hex>;
  /** Patches some slots. */
  stateDiff?: Record<Hex, Hex>;
}

export type StateOverrides = Record<Hex, AccountOverride>;

export type CallResult =
  | { status: "success"; returnData: Hex; gasUsed: bigint }
  | { status: "revert"; returnData: Hex; gasUsed: bigint }
  /** Out of gas, invalid opcode and the like: `error` is the EVM's reason. */
  | { status: "error"; error: string; gasUsed: bigint };

export interface LogQuery {
  fromBlock: bigint;
  toBlock: bigint;
  /** null: any address. */
  addresses: Hex[] | null;
  /** Per position: null matches anything, else any of the listed topics. */
  topics: (Hex[] | null)[];
  /** Only this block (eth_getLogs with blockHash). */
  blockHash?: Hex;
}

export interface FeeHistoryData {
  oldestBlock: bigint;
  baseFeePerGas: bigint[];
  gasUsedRatio: number[];
  reward?: bigint[][];
}

export interface SubmittedTransaction {
  hash: Hex;
  /**
   * Starts waiting for the preconfirmation: resolves with the receipt once the leader executed the
   * tx into its open mini-block (or, if that news is missed, once the mini-block is committed).
   * A wait is created only when asked for, so plain submissions hold no waiter.
   */
  preconfirmed(): Promise<ReceiptData>;
  /** Starts waiting for the receipt of the tx's mini-block once the quorum committed it. */
  committed(): Promise<ReceiptData>;
  /** Gives up a wait started here (the RPC layer's own timeout), so waiters stay bounded. */
  abandon?(): void;
}

export interface ConsensusStatusData {
  epoch: bigint;
  round: bigint;
  leader: Hex;
  highQc: { round: bigint; blockId: Hex };
  highTcRound: bigint | null;
  lastVotedRound: bigint;
  committedRound: bigint;
  isLeader: boolean;
}

export interface ValidatorData {
  address: Hex;
  blsPubkey: Hex;
  votingPower: bigint;
}

export interface ValidatorSetData {
  epoch: bigint;
  l1AnchorBlock: bigint;
  totalVotingPower: bigint;
  validators: ValidatorData[];
}

export interface ProofData {
  address: Hex;
  balance: bigint;
  nonce: bigint;
  codeHash: Hex;
  storageHash: Hex;
  accountProof: Hex[];
  storageProof: { key: Hex; value: bigint; proof: Hex[] }[];
}

export type Unsubscribe = () => void;

/** Live streams the node pushes; each returns its own unsubscribe. */
export interface ChainEvents {
  onNewHead(listener: (block: BlockData) => void): Unsubscribe;
  onLogs(listener: (logs: LogData[]) => void): Unsubscribe;
  onPendingTransaction(listener: (tx: TransactionData) => void): Unsubscribe;
  onMiniBlock(listener: (miniBlock: MiniBlockData) => void): Unsubscribe;
}

/** Partition tests drive the libp2p connection gater through these; off unless enabled. */
export interface AdminHooks {
  peers(): Promise<{ peerId: string; addresses: string[]; blocked: boolean }[]>;
  blockPeer(peerId: string): Promise<void>;
  unblockPeer(peerId: string): Promise<void>;
}

export interface RpcBackend {
  chainId(): bigint;
  heads(): ChainHeads;
  /** false when in sync. */
  syncing(): false | { startingBlock: bigint; currentBlock: bigint; highestBlock: bigint };

  getBlockByNumber(number: bigint): Promise<BlockData | null>;
  getBlockByHash(hash: Hex): Promise<BlockData | null>;
  getTransaction(hash: Hex): Promise<TransactionData | null>;
  getReceipt(hash: Hex): Promise<ReceiptData | null>;
  getBlockReceipts(number: bigint): Promise<ReceiptData[] | null>;
  /** At most `limit` logs; the RPC layer has already bounded the block range. */
  getLogs(query: LogQuery, limit: number): Promise<LogData[]>;

  getBalance(address: Hex, block: bigint): Promise<bigint>;
  /** "pending" counts the sender's queued transactions too. */
  getTransactionCount(address: Hex, block: bigint | "pending"): Promise<bigint>;
  getCode(address: Hex, block: bigint): Promise<Hex>;
  getStorageAt(address: Hex, slot: Hex, block: bigint): Promise<Hex>;
  /** Optional: nodes without a Merkle proof source answer -32004. */
  getProof?(address: Hex, slots: Hex[], block: bigint): Promise<ProofData>;

  call(request: CallRequest, block: bigint, overrides?: StateOverrides): Promise<CallResult>;
  /** The gas limit to use: enough for the call to succeed, or a revert/error result. */
  estimateGas(request: CallRequest, block: bigint, overrides?: StateOverrides): Promise<CallResult>;

  /**
   * Admits a signed tx (forwarding it as needed) or throws TxRejectedError. `urgent`: a client
   * waits on it (realtime_ / eth_sendRawTransactionSync): decode it now rather than batched.
   */
  submitTransaction(raw: Uint8Array, opts?: { urgent?: boolean }): Promise<SubmittedTransaction>;

  gasPrice(): Promise<bigint>;
  maxPriorityFeePerGas(): Promise<bigint>;
  feeHistory(blockCount: number, newest: bigint, percentiles: number[]): Promise<FeeHistoryData>;

  events: ChainEvents;

  consensusStatus(): Promise<ConsensusStatusData>;
  /** undefined: the current epoch. null when the epoch is unknown. */
  validatorSet(epoch: bigint | undefined): Promise<ValidatorSetData | null>;

  admin?: AdminHooks;
}
