import type {
  BlockData,
  FeeHistoryData,
  LogData,
  LogQuery,
  ReceiptData,
  TransactionData,
} from "./backend.ts";
import type { Hex } from "./hex.ts";
import { logMatches } from "./log-match.ts";

/**
 * The sealed blocks of a chain with their receipts and transactions, indexed the ways the RPC
 * reads them (by number, block hash, transaction hash) — the part every RpcBackend over an
 * in-memory chain shares, whoever produces the blocks (the dev chain, a validator node).
 * Block numbers are dense from 0 (genesis).
 */
export class ChainIndex {
  private readonly blocks: BlockData[] = [];
  private readonly receipts: ReceiptData[][] = [];
  private readonly txs = new Map<Hex, TransactionData>();
  private readonly receiptByHash = new Map<Hex, ReceiptData>();
  private readonly blockByHash = new Map<Hex, BlockData>();

  /** Appends the next block; its number must be the current length. */
  add(block: BlockData, receipts: ReceiptData[]): void {
    if (block.number !== BigInt(this.blocks.length)) {
      throw new RangeError(`block ${block.number} appended after ${this.blocks.length - 1}`);
    }
    this.blocks.push(block);
    this.receipts.push(receipts);
    this.blockByHash.set(block.hash, block);
    for (const tx of block.transactions) this.txs.set(tx.hash, tx);
    for (const r of receipts) this.receiptByHash.set(r.transactionHash, r);
  }

  get length(): number {
    return this.blocks.length;
  }

  head(): BlockData {
    return this.blocks[this.blocks.length - 1];
  }

  byNumber(number: bigint): BlockData | null {
    return number >= 0n && number < BigInt(this.blocks.length) ? this.blocks[Number(number)] : null;
  }

  byHash(hash: Hex): BlockData | null {
    return this.blockByHash.get(hash) ?? null;
  }

  transaction(hash: Hex): TransactionData | null {
    return this.txs.get(hash) ?? null;
  }

  receipt(hash: Hex): ReceiptData | null {
    return this.receiptByHash.get(hash) ?? null;
  }

  blockReceipts(number: bigint): ReceiptData[] | null {
    return number >= 0n && number < BigInt(this.receipts.length) ? this.receipts[Number(number)] : null;
  }

  /** Logs matching `query`, oldest first, at most `limit` of them. */
  logs(query: LogQuery, limit: number): LogData[] {
    const out: LogData[] = [];
    const lastNumber = BigInt(this.blocks.length - 1);
    const last = query.toBlock < lastNumber ? query.toBlock : lastNumber;
    for (let n = query.fromBlock; n <= last; n++) {
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

  /**
   * eth_feeHistory over the stored blocks; `nextBaseFee` is the base fee of the block after
   * `newest`, and every reward percentile is answered with `priorityFee` (one suggested tip).
   */
  feeHistory(
    blockCount: number,
    newest: bigint,
    percentiles: number[],
    fees: { nextBaseFee: bigint; priorityFee: bigint },
  ): FeeHistoryData {
    const oldest = newest - BigInt(blockCount) + 1n > 0n ? newest - BigInt(blockCount) + 1n : 0n;
    const blocks = this.blocks.slice(Number(oldest), Number(newest) + 1);
    return {
      oldestBlock: oldest,
      baseFeePerGas: [...blocks.map((b) => b.baseFeePerGas), fees.nextBaseFee],
      gasUsedRatio: blocks.map((b) => Number(b.gasUsed) / Number(b.gasLimit)),
      reward: blocks.map(() => percentiles.map(() => fees.priorityFee)),
    };
  }
}
