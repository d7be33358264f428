import { generateAddress } from "@ethereumjs/util";
import { keccak256 } from "../../../src/crypto/keccak.ts";
import { decodeSignedTx, TxCryptoError } from "../../../src/crypto/secp256k1.ts";
import { logsBloom, orBloom } from "../../../src/execution/bloom.ts";
import { evmCommon } from "../../../src/execution/evm-common.ts";
import type {
  BlockData,
  CallRequest,
  CallResult,
  ChainEvents,
  ConsensusStatusData,
  FeeHistoryData,
  LogData,
  LogQuery,
  MiniBlockData,
  ReceiptData,
  RpcBackend,
  SubmittedTransaction,
  TransactionData,
  ValidatorSetData,
} from "../../../src/rpc/backend.ts";
import { TxRejectedError } from "../../../src/rpc/errors.ts";
import { bytesToHex, type Hex, hexToBytes, toFixedData } from "../../../src/rpc/hex.ts";
import { logMatches } from "../../../src/rpc/log-match.ts";

/**
 * An in-memory chain for the RPC tests: real signed transactions (decoded and sender-recovered by
 * the project's crypto), real blooms, one mini-block per block. It moves value, creates
 * "contracts" whose code is the init data, and lets a test script what calls to an address do and
 * which logs a call to it emits. Not an EVM: the RPC layer is what is under test.
 */

export const GWEI = 1_000_000_000n;
export const BASE_FEE = GWEI;
const BLOCK_GAS_LIMIT = 30_000_000n;
const ZERO_HASH = toFixedData(0n, 32);

interface Account {
  balance: bigint;
  nonce: bigint;
  code: Hex;
  storage: Map<Hex, Hex>;
}

interface Listeners {
  heads: Set<(b: BlockData) => void>;
  logs: Set<(l: LogData[]) => void>;
  pending: Set<(t: TransactionData) => void>;
  mini: Set<(m: MiniBlockData) => void>;
}

interface Waiter {
  preconfirmed: Deferred<ReceiptData>;
  committed: Deferred<ReceiptData>;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** What a call to a scripted address does, and the logs a transaction to it emits. */
export interface ScriptedContract {
  call?(req: CallRequest): CallResult;
  logs?(input: Hex, from: Hex): { topics: Hex[]; data: Hex }[];
  /** A transaction to it fails (status 0). */
  reverts?: boolean;
}

export interface MemoryChainOptions {
  chainId?: bigint;
  funded?: { address: Hex; balance: bigint }[];
  /** Mine each admitted tx into a block at once (default true). */
  autoMine?: boolean;
  /** Commit each block right after mining it (default true); false leaves blocks preconfirmed. */
  autoCommit?: boolean;
  /** Seconds; block i has timestamp genesisTime + i. */
  genesisTime?: bigint;
}

export class MemoryChain implements RpcBackend {
  readonly blocks: BlockData[] = [];
  readonly receipts: ReceiptData[][] = [];
  readonly contracts = new Map<Hex, ScriptedContract>();
  /** What each submission asked for (`urgent`: a client waits on it), oldest first. */
  readonly submissions: { urgent: boolean }[] = [];
  private readonly chain: bigint;
  private readonly autoMine: boolean;
  private readonly autoCommit: boolean;
  private readonly genesisTime: bigint;
  private readonly accounts = new Map<Hex, Account>();
  private readonly txs = new Map<Hex, TransactionData>();
  private readonly receiptByHash = new Map<Hex, ReceiptData>();
  private readonly pool: { tx: TransactionData; waiter: Waiter }[] = [];
  private readonly listeners: Listeners = {
    heads: new Set(),
    logs: new Set(),
    pending: new Set(),
    mini: new Set(),
  };
  private committedHead = 0n;
  private miniBlockCounter = 0n;
  readonly events: ChainEvents;
  /** Set by tests to observe admin calls. */
  readonly blockedPeers = new Set<string>();
  admin = {
    peers: async (): Promise<{ peerId: string; addresses: string[]; blocked: boolean }[]> =>
      [...this.blockedPeers].map((peerId) => ({ peerId, addresses: [], blocked: true })),
    blockPeer: async (peerId: string): Promise<void> => {
      this.blockedPeers.add(peerId);
    },
    unblockPeer: async (peerId: string): Promise<void> => {
      this.blockedPeers.delete(peerId);
    },
  };

  constructor(opts: MemoryChainOptions = {}) {
    this.chain = opts.chainId ?? 4242n;
    this.autoMine = opts.autoMine ?? true;
    this.autoCommit = opts.autoCommit ?? true;
    this.genesisTime = opts.genesisTime ?? 1_700_000_000n;
    for (const f of opts.funded ?? []) this.account(f.address).balance = f.balance;
    const listen =
      <T>(set: Set<(v: T) => void>) =>
      (fn: (v: T) => void): (() => void) => {
        set.add(fn);
        return () => set.delete(fn);
      };
    this.events = {
      onNewHead: listen(this.listeners.heads),
      onLogs: listen(this.listeners.logs),
      onPendingTransaction: listen(this.listeners.pending),
      onMiniBlock: listen(this.listeners.mini),
    };
    this.sealBlock([]);
    this.committedHead = 0n;
  }

  /** Number of listeners still attached (tests check subscriptions clean up). */
  get listenerCount(): number {
    const l = this.listeners;
    return l.heads.size + l.logs.size + l.pending.size + l.mini.size;
  }

  private account(address: Hex): Account {
    let acc = this.accounts.get(address);
    if (acc === undefined) {
      acc = { balance: 0n, nonce: 0n, code: "0x", storage: new Map() };
      this.accounts.set(address, acc);
    }
    return acc;
  }

  setStorage(address: Hex, slot: bigint, value: bigint): void {
    this.account(address).storage.set(toFixedData(slot, 32), toFixedData(value, 32));
  }

  /** Mines everything in the pool into one block. */
  mine(): BlockData {
    const batch = this.pool.splice(0, this.pool.length);
    return this.sealBlock(batch);
  }

  /** Marks every block committed and resolves the committed waiters. */
  commitAll(): void {
    this.committedHead = BigInt(this.blocks.length - 1);
    for (const block of this.blocks) block.finality = "committed";
    for (const [hash, waiter] of this.committedWaiters) {
      const receipt = this.receiptByHash.get(hash);
      if (receipt !== undefined) {
        receipt.finality = "committed";
        waiter.resolve(receipt);
        this.committedWaiters.delete(hash);
      }
    }
  }

  private readonly committedWaiters = new Map<Hex, Deferred<ReceiptData>>();

  private sealBlock(batch: { tx: TransactionData; waiter: Waiter }[]): BlockData {
    const number = BigInt(this.blocks.length);
    const parent = this.blocks[this.blocks.length - 1];
    const parentHash = parent?.hash ?? ZERO_HASH;
    const timestamp = this.genesisTime + number;
    const receipts: ReceiptData[] = [];
    const bloom = new Uint8Array(256);
    let cumulative = 0n;
    let logIndex = 0;
    const blockHash = bytesToHex(
      keccak256(
        Buffer.from(`${this.chain}:${number}:${parentHash}:${batch.map((b) => b.tx.hash).join(",")}`, "utf8"),
      ),
    );
    const miniBlockNumber = this.miniBlockCounter++;
    batch.forEach(({ tx }, index) => {
      const gasUsed = intrinsicGas(tx);
      cumulative += gasUsed;
      const contract = tx.to === null ? undefined : this.contracts.get(tx.to);
      const failed = contract?.reverts === true;
      const rawLogs = failed ? [] : (contract?.logs?.(tx.input, tx.from) ?? []);
      const logs: LogData[] = rawLogs.map((l) => ({
        address: tx.to as Hex,
        topics: l.topics,
        data: l.data,
        blockNumber: number,
        blockHash,
        transactionHash: tx.hash,
        transactionIndex: index,
        logIndex: logIndex++,
      }));
      const receiptBloom = logsBloom(
        logs.map((l) => ({ address: l.address, topics: l.topics, data: hexToBytes(l.data) })),
      );
      orBloom(bloom, receiptBloom);
      const effectiveGasPrice = minBig(
        tx.maxFeePerGas ?? tx.gasPrice,
        BASE_FEE + (tx.maxPriorityFeePerGas ?? 0n),
      );
      let contractAddress: Hex | null = null;
      const sender = this.account(tx.from);
      sender.balance -= gasUsed * effectiveGasPrice;
      if (!failed) {
        if (tx.to === null) {
          contractAddress = bytesToHex(
            generateAddress(hexToBytes(tx.from), hexToBytes(toFixedData(tx.nonce, 32)).subarray(24)),
          );
          this.account(contractAddress).code = tx.input;
        } else {
          this.account(tx.to).balance += tx.value;
        }
        sender.balance -= tx.value;
      }
      tx.blockHash = blockHash;
      tx.blockNumber = number;
      tx.transactionIndex = index;
      tx.gasPrice = effectiveGasPrice;
      receipts.push({
        transactionHash: tx.hash,
        transactionIndex: index,
        blockHash,
        blockNumber: number,
        from: tx.from,
        to: tx.to,
        cumulativeGasUsed: cumulative,
        gasUsed,
        effectiveGasPrice,
        contractAddress,
        logs,
        logsBloom: bytesToHex(receiptBloom),
        status: failed ? 0 : 1,
        type: tx.type,
        miniBlockNumber,
        miniBlockIndex: index,
        finality: "preconfirmed",
      });
    });
    const block: BlockData = {
      number,
      hash: blockHash,
      parentHash,
      timestamp,
      gasLimit: BLOCK_GAS_LIMIT,
      gasUsed: cumulative,
      baseFeePerGas: BASE_FEE,
      miner: toFixedData(0xc0ffeen, 20),
      stateRoot: bytesToHex(keccak256(Buffer.from(`state:${blockHash}`))),
      transactionsRoot: bytesToHex(keccak256(Buffer.from(`txs:${blockHash}`))),
      receiptsRoot: bytesToHex(keccak256(Buffer.from(`receipts:${blockHash}`))),
      logsBloom: bytesToHex(bloom),
      extraData: "0x",
      mixHash: ZERO_HASH,
      size: BigInt(600 + batch.length * 120),
      transactions: batch.map((b) => b.tx),
      miniBlockCount: 1,
      finality: "preconfirmed",
    };
    this.blocks.push(block);
    this.receipts.push(receipts);
    for (const r of receipts) this.receiptByHash.set(r.transactionHash, r);
    batch.forEach(({ waiter }, i) => {
      waiter.preconfirmed.resolve(receipts[i]);
      this.committedWaiters.set(receipts[i].transactionHash, waiter.committed);
    });
    const mini: MiniBlockData = {
      number: miniBlockNumber,
      blockNumber: number,
      indexInBlock: 0,
      timestampMicros: timestamp * 1_000_000n,
      gasUsed: cumulative,
      transactions: batch.map((b) => b.tx.hash),
      receipts,
      finality: "preconfirmed",
    };
    for (const fn of this.listeners.mini) fn(mini);
    for (const fn of this.listeners.heads) fn(block);
    const allLogs = receipts.flatMap((r) => r.logs);
    if (allLogs.length > 0) for (const fn of this.listeners.logs) fn(allLogs);
    if (this.autoCommit) this.commitAll();
    return block;
  }

  // RpcBackend

  chainId(): bigint {
    return this.chain;
  }

  heads(): { preconfirmed: bigint; committed: bigint; checkpointed: bigint } {
    return { preconfirmed: BigInt(this.blocks.length - 1), committed: this.committedHead, checkpointed: 0n };
  }

  syncing(): false {
    return false;
  }

  async getBlockByNumber(number: bigint): Promise<BlockData | null> {
    return number < BigInt(this.blocks.length) && number >= 0n ? this.blocks[Number(number)] : null;
  }

  async getBlockByHash(hash: Hex): Promise<BlockData | null> {
    return this.blocks.find((b) => b.hash === hash) ?? null;
  }

  async getTransaction(hash: Hex): Promise<TransactionData | null> {
    return this.txs.get(hash) ?? null;
  }

  async getReceipt(hash: Hex): Promise<ReceiptData | null> {
    return this.receiptByHash.get(hash) ?? null;
  }

  async getBlockReceipts(number: bigint): Promise<ReceiptData[] | null> {
    return this.receipts[Number(number)] ?? null;
  }

  async getLogs(query: LogQuery, limit: number): Promise<LogData[]> {
    const out: LogData[] = [];
    for (let n = query.fromBlock; n <= query.toBlock && n < BigInt(this.blocks.length); n++) {
      for (const r of this.receipts[Number(n)]) {
        for (const log of r.logs) {
          if (!logMatches(log, query.addresses, query.topics)) continue;
          out.push(log);
          if (out.length >= limit) return out;
        }
      }
    }
    return out;
  }

  async getBalance(address: Hex): Promise<bigint> {
    return this.accounts.get(address)?.balance ?? 0n;
  }

  async getTransactionCount(address: Hex, block: bigint | "pending"): Promise<bigint> {
    const nonce = this.accounts.get(address)?.nonce ?? 0n;
    if (block === "pending") return nonce;
    // Mined nonces: the admitted nonce minus what still sits in the pool.
    return nonce - BigInt(this.pool.filter((p) => p.tx.from === address).length);
  }

  async getCode(address: Hex): Promise<Hex> {
    return this.accounts.get(address)?.code ?? "0x";
  }

  async getStorageAt(address: Hex, slot: Hex): Promise<Hex> {
    return this.accounts.get(address)?.storage.get(slot) ?? ZERO_HASH;
  }

  async call(request: CallRequest): Promise<CallResult> {
    const contract = request.to ? this.contracts.get(request.to) : undefined;
    if (contract?.call) return contract.call(request);
    return { status: "success", returnData: "0x", gasUsed: 21_000n };
  }

  async estimateGas(request: CallRequest): Promise<CallResult> {
    const result = await this.call(request);
    if (result.status !== "success") return result;
    return { ...result, gasUsed: 21_000n + calldataGas(request.data ?? "0x") };
  }

  async submitTransaction(raw: Uint8Array, opts: { urgent?: boolean } = {}): Promise<SubmittedTransaction> {
    this.submissions.push({ urgent: opts.urgent ?? false });
    let decoded: ReturnType<typeof decodeSignedTx>;
    try {
      decoded = decodeSignedTx(raw, evmCommon(this.chain, "prague"));
    } catch (error) {
      if (error instanceof TxCryptoError && error.code === "TX_MALFORMED") {
        throw new TxRejectedError("INVALID_ENCODING");
      }
      throw new TxRejectedError("INVALID_SIGNATURE");
    }
    const json = decoded.tx.toJSON();
    const from = decoded.sender.toString().toLowerCase() as Hex;
    const hash = bytesToHex(decoded.tx.hash());
    if (this.txs.has(hash)) throw new TxRejectedError("ALREADY_KNOWN");
    if (json.chainId !== undefined && BigInt(json.chainId) !== this.chain)
      throw new TxRejectedError("WRONG_CHAIN_ID");
    const sender = this.account(from);
    const nonce = BigInt(json.nonce ?? "0x0");
    if (nonce < sender.nonce) throw new TxRejectedError("NONCE_TOO_LOW");
    if (nonce > sender.nonce) throw new TxRejectedError("NONCE_TOO_HIGH", undefined, sender.nonce);
    const gas = BigInt(json.gasLimit ?? "0x0");
    const maxFee = BigInt(json.maxFeePerGas ?? json.gasPrice ?? "0x0");
    const value = BigInt(json.value ?? "0x0");
    if (sender.balance < gas * maxFee + value) throw new TxRejectedError("INSUFFICIENT_FUNDS");
    const type = Number(decoded.tx.type);
    const tx: TransactionData = {
      hash,
      type,
      from,
      to: json.to ? (json.to.toLowerCase() as Hex) : null,
      nonce,
      gas,
      value,
      input: (json.data ?? "0x").toLowerCase() as Hex,
      gasPrice: maxFee,
      v: BigInt(json.v ?? "0x0"),
      r: BigInt(json.r ?? "0x0"),
      s: BigInt(json.s ?? "0x0"),
      blockHash: null,
      blockNumber: null,
      transactionIndex: null,
    };
    if (json.chainId !== undefined) tx.chainId = BigInt(json.chainId);
    if (type === 2) {
      tx.maxFeePerGas = maxFee;
      tx.maxPriorityFeePerGas = BigInt(json.maxPriorityFeePerGas ?? "0x0");
    }
    if (type !== 0) {
      tx.accessList = (json.accessList ?? []).map((e) => ({
        address: e.address.toLowerCase() as Hex,
        storageKeys: e.storageKeys.map((k) => k.toLowerCase() as Hex),
      }));
    }
    sender.nonce += 1n;
    this.txs.set(hash, tx);
    const waiter: Waiter = { preconfirmed: deferred(), committed: deferred() };
    this.pool.push({ tx, waiter });
    for (const fn of this.listeners.pending) fn(tx);
    if (this.autoMine) this.mine();
    return {
      hash,
      preconfirmed: () => waiter.preconfirmed.promise,
      committed: () => waiter.committed.promise,
    };
  }

  async gasPrice(): Promise<bigint> {
    return BASE_FEE + GWEI;
  }

  async maxPriorityFeePerGas(): Promise<bigint> {
    return GWEI;
  }

  async feeHistory(blockCount: number, newest: bigint, percentiles: number[]): Promise<FeeHistoryData> {
    const oldest = newest - BigInt(blockCount) + 1n < 0n ? 0n : newest - BigInt(blockCount) + 1n;
    const blocks = this.blocks.slice(Number(oldest), Number(newest) + 1);
    return {
      oldestBlock: oldest,
      baseFeePerGas: [...blocks.map((b) => b.baseFeePerGas), BASE_FEE],
      gasUsedRatio: blocks.map((b) => Number(b.gasUsed) / Number(b.gasLimit)),
      reward: blocks.map(() => percentiles.map(() => GWEI)),
    };
  }

  async consensusStatus(): Promise<ConsensusStatusData> {
    return {
      epoch: 1n,
      round: BigInt(this.blocks.length) * 3n,
      leader: toFixedData(0xc0ffeen, 20),
      highQc: {
        round: BigInt(this.blocks.length) * 3n - 1n,
        blockId: this.blocks[this.blocks.length - 1].hash,
      },
      highTcRound: null,
      lastVotedRound: BigInt(this.blocks.length) * 3n - 1n,
      committedRound: BigInt(this.blocks.length) * 3n - 2n,
      isLeader: true,
    };
  }

  async validatorSet(epoch: bigint | undefined): Promise<ValidatorSetData | null> {
    if (epoch !== undefined && epoch !== 1n) return null;
    return {
      epoch: 1n,
      l1AnchorBlock: 12n,
      totalVotingPower: 400n,
      validators: [1n, 2n, 3n, 4n].map((i) => ({
        address: toFixedData(i, 20),
        blsPubkey: toFixedData(i, 48),
        votingPower: 100n,
      })),
    };
  }
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function calldataGas(data: Hex): bigint {
  let gas = 0n;
  for (let i = 2; i < data.length; i += 2) gas += data.slice(i, i + 2) === "00" ? 4n : 16n;
  return gas;
}

function intrinsicGas(tx: TransactionData): bigint {
  return 21_000n + calldataGas(tx.input) + (tx.to === null ? 32_000n : 0n);
}
