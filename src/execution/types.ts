/**
 * The execution engine's public shapes. Every executor (the sequential reference one in
 * `sequential-executor.ts`, the Block-STM one in `parallel/`) runs over the same state interface
 * and returns the same result shape, so that results can be compared field by field.
 *
 * Representation choices (they matter for speed and for shipping work to worker_threads):
 * - addresses are lowercase `0x`-prefixed 20-byte hex strings (`Hex`), usable as Map keys;
 * - storage slots are lowercase `0x`-prefixed 32-byte hex strings (always 64 hex digits);
 * - storage values, balances, nonces and gas are `bigint`;
 * - everything here is plain data (structured-clonable), no class instances.
 */

/** A lowercase `0x`-prefixed hex string. */
export type Hex = `0x${string}`;

/** keccak256 of the empty byte string: the code hash of an account without code. */
export const KECCAK_EMPTY: Hex = "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470";

/** keccak256(rlp("")): the root of an empty Merkle-Patricia trie. */
export const EMPTY_TRIE_ROOT: Hex = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421";

/** An account as the flat state keeps it. The storage root is not here: the trie computes it. */
export interface AccountData {
  nonce: bigint;
  balance: bigint;
  /** keccak256 of the code; KECCAK_EMPTY when the account has no code. */
  codeHash: Hex;
}

/** Read side of the state an executor runs over. Synchronous: the state lives in memory. */
export interface StateReader {
  /** undefined = the account does not exist (different from an existing empty account). */
  getAccount(address: Hex): AccountData | undefined;
  /** The code of an account (empty array when none). */
  getCode(address: Hex): Uint8Array;
  /** A storage slot's value (0n when unset). */
  getStorage(address: Hex, slot: Hex): bigint;
  /**
   * Whether the account has any non-zero storage slot (EIP-7610: creating a contract over an
   * address with storage is a collision). Optional: without it, creation assumes no storage.
   */
  hasStorage?(address: Hex): boolean;
}

/**
 * Write side, with an O(1) journal: `checkpoint()` returns a mark; `revert(mark)` undoes every
 * write since the mark (cost proportional to the writes undone, not to the state size);
 * `commit(mark)` forgets the mark (the writes stay).
 */
export interface StateWriter extends StateReader {
  /** Create or replace an account; `undefined` deletes it (and its storage and code). */
  putAccount(address: Hex, account: AccountData | undefined): void;
  /** Store code for an account and set its code hash (the account is created if absent). */
  putCode(address: Hex, code: Uint8Array): void;
  /** Set a slot; 0n deletes it. */
  putStorage(address: Hex, slot: Hex, value: bigint): void;
  /** Remove every storage slot of an account (contract creation over an old address, selfdestruct). */
  clearStorage(address: Hex): void;
  checkpoint(): number;
  revert(mark: number): void;
  commit(mark: number): void;
}

/**
 * What one block (or mini-block) changed, in final values, for storage write-back and for the
 * incremental state root. `accounts` maps to `null` for deleted accounts. `clearedStorage`
 * lists accounts whose whole storage was wiped before the `storage` writes were applied.
 */
export interface StateChangeSet {
  accounts: Map<Hex, AccountData | null>;
  storage: Map<Hex, Map<Hex, bigint>>;
  clearedStorage: Set<Hex>;
  /** New code by code hash. */
  code: Map<Hex, Uint8Array>;
}

/** Transaction envelope types we accept. 4844 blob txs are not accepted on this L2. */
export type TxType = 0 | 1 | 2;

export interface AccessListItem {
  address: Hex;
  storageKeys: Hex[];
}

/**
 * A decoded transaction with its sender already recovered (once, at admission, with native
 * secp256k1), its hash and its raw size. Plain data: it can cross worker_threads as is.
 * For legacy and 2930 txs, maxFeePerGas = maxPriorityFeePerGas = gasPrice.
 */
export interface ExecTx {
  type: TxType;
  /** undefined only for pre-EIP-155 legacy txs (which carry no chain id). */
  chainId: bigint | undefined;
  nonce: bigint;
  gasLimit: bigint;
  /** undefined = contract creation. */
  to: Hex | undefined;
  value: bigint;
  data: Uint8Array;
  accessList: AccessListItem[];
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  sender: Hex;
  hash: Hex;
  /** Size of the signed serialized tx in bytes (for mini-block byte caps and mempool limits). */
  size: number;
  /** The signed serialization (EIP-2718 envelope); needed for the transactions root and storage. */
  raw?: Uint8Array;
}

/** Forks the executor knows; Cancun is what the conformance vectors are filled for. */
export type Fork = "shanghai" | "cancun" | "prague";

/** The per-block environment every transaction of the block sees. */
export interface BlockEnv {
  chainId: bigint;
  fork: Fork;
  number: bigint;
  /** Seconds (EVM TIMESTAMP opcode). */
  timestamp: bigint;
  /** Receives the priority fees (the mini-block proposer's fee recipient). */
  coinbase: Hex;
  /** EIP-1559 base fee per gas (burned). */
  baseFee: bigint;
  gasLimit: bigint;
  /** PREVRANDAO; 32 bytes. Zero on this L2 unless configured. */
  prevRandao: Uint8Array;
  /** BLOBBASEFEE opcode value (no blob txs on this L2; default 1). */
  blobBaseFee?: bigint;
  /** BLOCKHASH lookups for the 256 previous blocks; undefined = zero hash. */
  blockHash?: (number: bigint) => Uint8Array | undefined;
}

export interface Log {
  address: Hex;
  topics: Hex[];
  data: Uint8Array;
}

/** Which mini-block a receipt came from: what makes a preconfirmation addressable. */
export interface MiniBlockRef {
  /** Global sequence number of the committed mini-block. */
  sequence: bigint;
  /** Position of the tx within the mini-block. */
  index: number;
}

export interface Receipt {
  txHash: Hex;
  type: TxType;
  /** 1 = success, 0 = reverted / failed in execution (the tx is still included and pays gas). */
  status: 0 | 1;
  from: Hex;
  to: Hex | undefined;
  /** Set for creations that succeeded. */
  contractAddress: Hex | undefined;
  /** Gas charged to this tx after refunds. */
  gasUsed: bigint;
  /** Running total within the EVM block (filled by the block builder; executors set it within their batch). */
  cumulativeGasUsed: bigint;
  effectiveGasPrice: bigint;
  logs: Log[];
  /** 256-byte bloom of this receipt's logs. */
  logsBloom: Uint8Array;
  /** Index of the tx within its EVM block (filled by the block builder). */
  transactionIndex: number;
  miniBlock: MiniBlockRef | undefined;
}

/**
 * Result of executing an ordered list of txs. Txs that are invalid for the envelope (bad nonce,
 * not enough funds, fee cap below base fee...) are NOT included: they are listed in `rejected`
 * with their reason, have no receipt, and changed nothing.
 */
export interface BlockExecutionResult {
  /** One receipt per included tx, in order. */
  receipts: Receipt[];
  /** Hashes of the included txs, same order as receipts. */
  included: Hex[];
  rejected: { hash: Hex; code: string; message: string }[];
  changes: StateChangeSet;
  gasUsed: bigint;
  /** All logs of the included txs, in order. */
  logs: Log[];
  /** Base fee burned (gasUsed * baseFee). */
  burned: bigint;
  /** Priority fees credited to env.coinbase. */
  priorityFees: bigint;
}

/**
 * The executor signature both executors implement. `state` is mutated in place; the returned
 * change set describes exactly those mutations (final values).
 */
export interface BlockExecutor {
  executeBlock(env: BlockEnv, txs: readonly ExecTx[], state: ExecutionState): Promise<BlockExecutionResult>;
}

/**
 * The state the executors run over: a journaled writer that also records what changed since
 * the last `takeChanges()` (the per-block change set).
 */
export interface ExecutionState extends StateWriter {
  /** Returns what changed since the previous call, and starts a new change set. */
  takeChanges(): StateChangeSet;
}
