/**
 * The narrow view of a transaction the pool needs. The execution layer's decoded, sender-recovered
 * transaction is carried as the opaque `payload`; the pool never looks inside it.
 *
 * Fees are normalised: a legacy or EIP-2930 transaction has `maxFeePerGas ==
 * maxPriorityFeePerGas == gasPrice`, which makes replacement and ordering one rule for all types.
 */
export interface PoolTx<P = unknown> {
  /** 0x-prefixed lowercase hex of the transaction hash. */
  hash: string;
  /** 0x-prefixed lowercase hex address, recovered once at admission. */
  sender: string;
  nonce: bigint;
  gasLimit: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  value: bigint;
  /** Intrinsic gas of this transaction (base + calldata + creation + access list), from the envelope. */
  intrinsicGas: bigint;
  /** Encoded size in bytes (what gossip and storage pay for). */
  size: number;
  /** undefined for pre-EIP-155 legacy transactions, which carry no chain id. */
  chainId: bigint | undefined;
  payload: P;
}

/** What the pool reads from state: the committed nonce and balance of a sender. Synchronous on purpose. */
export interface AccountReader {
  getAccount(address: string): { nonce: bigint; balance: bigint };
}

export interface MempoolOptions {
  chainId: bigint;
  /** Whether pre-EIP-155 legacy transactions (no chain id) are admitted. geth: no by default over RPC. */
  allowUnprotected?: boolean;
  blockGasLimit: bigint;
  /** Base fee of the block being built next; updated with setBaseFee. */
  baseFee: bigint;
  /** Minimum effective tip accepted. Default 0. */
  minTip?: bigint;
  /** Largest encoded transaction accepted. geth: 128 KiB. */
  maxTxBytes?: number;
  maxTxsPerSender?: number;
  maxBytesPerSender?: number;
  maxTxs?: number;
  maxBytes?: number;
  /** How far past the committed nonce a queued transaction may reach. */
  maxNonceAhead?: number;
  /** Replacement fee bump in percent (both fee fields). Default 10. */
  priceBumpPercent?: number;
}

export interface ResolvedMempoolOptions {
  chainId: bigint;
  allowUnprotected: boolean;
  blockGasLimit: bigint;
  minTip: bigint;
  maxTxBytes: number;
  maxTxsPerSender: number;
  maxBytesPerSender: number;
  maxTxs: number;
  maxBytes: number;
  maxNonceAhead: bigint;
  priceBumpPercent: bigint;
}

export function resolveMempoolOptions(opts: MempoolOptions): ResolvedMempoolOptions {
  return {
    chainId: opts.chainId,
    allowUnprotected: opts.allowUnprotected ?? false,
    blockGasLimit: opts.blockGasLimit,
    minTip: opts.minTip ?? 0n,
    maxTxBytes: opts.maxTxBytes ?? 128 * 1024,
    maxTxsPerSender: opts.maxTxsPerSender ?? 64,
    maxBytesPerSender: opts.maxBytesPerSender ?? 1024 * 1024,
    maxTxs: opts.maxTxs ?? 8192,
    maxBytes: opts.maxBytes ?? 64 * 1024 * 1024,
    maxNonceAhead: BigInt(opts.maxNonceAhead ?? 1024),
    priceBumpPercent: BigInt(opts.priceBumpPercent ?? 10),
  };
}

export interface MempoolStats {
  txs: number;
  bytes: number;
  senders: number;
  pending: number;
  queued: number;
}
