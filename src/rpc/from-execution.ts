import { bytesToHex } from "../execution/hex.ts";
import type { ExecTx, Log, Receipt } from "../execution/types.ts";
import type { Finality, LogData, ReceiptData, TransactionData } from "./backend.ts";
import type { Hex } from "./hex.ts";

/**
 * Converters from the execution engine's shapes (src/execution/types.ts) to the RPC backend's, so
 * that a node serves what its executor produced without re-deriving anything.
 */

export interface BlockPosition {
  blockHash: Hex;
  blockNumber: bigint;
}

/** Logs of one receipt; `firstLogIndex` is the index of its first log within the block. */
export function logsFromExecution(
  logs: readonly Log[],
  at: BlockPosition & { transactionHash: Hex; transactionIndex: number; firstLogIndex: number },
): LogData[] {
  return logs.map((log, i) => ({
    address: log.address,
    topics: log.topics,
    data: bytesToHex(log.data),
    blockNumber: at.blockNumber,
    blockHash: at.blockHash,
    transactionHash: at.transactionHash,
    transactionIndex: at.transactionIndex,
    logIndex: at.firstLogIndex + i,
  }));
}

export function receiptFromExecution(
  receipt: Receipt,
  at: BlockPosition & { firstLogIndex: number; finality: Finality },
): ReceiptData {
  return {
    transactionHash: receipt.txHash,
    transactionIndex: receipt.transactionIndex,
    blockHash: at.blockHash,
    blockNumber: at.blockNumber,
    from: receipt.from,
    to: receipt.to ?? null,
    cumulativeGasUsed: receipt.cumulativeGasUsed,
    gasUsed: receipt.gasUsed,
    effectiveGasPrice: receipt.effectiveGasPrice,
    contractAddress: receipt.contractAddress ?? null,
    logs: logsFromExecution(receipt.logs, {
      ...at,
      transactionHash: receipt.txHash,
      transactionIndex: receipt.transactionIndex,
    }),
    logsBloom: bytesToHex(receipt.logsBloom),
    status: receipt.status,
    type: receipt.type,
    miniBlockNumber: receipt.miniBlock?.sequence ?? 0n,
    miniBlockIndex: receipt.miniBlock?.index ?? receipt.transactionIndex,
    finality: at.finality,
  };
}

/** The signature values RPC shows (an @ethereumjs/tx object fits, and so does `signatureFromRaw`). */
export interface TxSignature {
  v?: bigint;
  r?: bigint;
  s?: bigint;
}

/**
 * A transaction as RPC shows it: the ExecTx plus the signature from the decoded envelope.
 * `position` is null while the tx is pending; `effectiveGasPrice` once it is included.
 */
export function transactionFromExecution(
  tx: ExecTx,
  signed: TxSignature,
  position: (BlockPosition & { transactionIndex: number; effectiveGasPrice: bigint }) | null,
): TransactionData {
  const out: TransactionData = {
    hash: tx.hash,
    type: tx.type,
    from: tx.sender,
    to: tx.to ?? null,
    nonce: tx.nonce,
    gas: tx.gasLimit,
    value: tx.value,
    input: bytesToHex(tx.data),
    gasPrice: position?.effectiveGasPrice ?? tx.maxFeePerGas,
    v: signed.v ?? 0n,
    r: signed.r ?? 0n,
    s: signed.s ?? 0n,
    blockHash: position?.blockHash ?? null,
    blockNumber: position?.blockNumber ?? null,
    transactionIndex: position?.transactionIndex ?? null,
  };
  if (tx.chainId !== undefined) out.chainId = tx.chainId;
  if (tx.type === 2) {
    out.maxFeePerGas = tx.maxFeePerGas;
    out.maxPriorityFeePerGas = tx.maxPriorityFeePerGas;
  }
  if (tx.type !== 0)
    out.accessList = tx.accessList.map((e) => ({ address: e.address, storageKeys: e.storageKeys }));
  return out;
}
