import type {
  BlockData,
  ConsensusStatusData,
  FeeHistoryData,
  LogData,
  MiniBlockData,
  ProofData,
  ReceiptData,
  TransactionData,
  ValidatorSetData,
} from "./backend.ts";
import { type Hex, toFixedData, toQuantity } from "./hex.ts";

/**
 * Wire shapes, field for field as geth answers them: viem, ethers and alloy (cast) parse these
 * strictly, so names, nullability and quantity encoding matter. megaseq's additions
 * (mini-block, finality) are extra fields that clients ignore.
 */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** keccak256(rlp([])): the uncles hash of every post-merge block. */
const EMPTY_UNCLES_HASH = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347";
const ZERO_NONCE = "0x0000000000000000";

export function formatLog(log: LogData): { [key: string]: Json } {
  return {
    address: log.address,
    topics: log.topics,
    data: log.data,
    blockNumber: toQuantity(log.blockNumber),
    blockHash: log.blockHash,
    transactionHash: log.transactionHash,
    transactionIndex: toQuantity(log.transactionIndex),
    logIndex: toQuantity(log.logIndex),
    removed: log.removed ?? false,
  };
}

export function formatTransaction(tx: TransactionData): { [key: string]: Json } {
  const out: { [key: string]: Json } = {
    blockHash: tx.blockHash,
    blockNumber: tx.blockNumber === null ? null : toQuantity(tx.blockNumber),
    from: tx.from,
    gas: toQuantity(tx.gas),
    gasPrice: toQuantity(tx.gasPrice),
  };
  if (tx.maxFeePerGas !== undefined) out.maxFeePerGas = toQuantity(tx.maxFeePerGas);
  if (tx.maxPriorityFeePerGas !== undefined) out.maxPriorityFeePerGas = toQuantity(tx.maxPriorityFeePerGas);
  out.hash = tx.hash;
  out.input = tx.input;
  out.nonce = toQuantity(tx.nonce);
  out.to = tx.to;
  out.transactionIndex = tx.transactionIndex === null ? null : toQuantity(tx.transactionIndex);
  out.value = toQuantity(tx.value);
  out.type = toQuantity(tx.type);
  if (tx.type !== 0) {
    out.accessList = (tx.accessList ?? []).map((e) => ({ address: e.address, storageKeys: e.storageKeys }));
  }
  if (tx.chainId !== undefined) out.chainId = toQuantity(tx.chainId);
  out.v = toQuantity(tx.v);
  out.r = toQuantity(tx.r);
  out.s = toQuantity(tx.s);
  // Typed transactions carry yParity; v equals it for them.
  if (tx.type !== 0) out.yParity = toQuantity(tx.v);
  return out;
}

export function formatReceipt(r: ReceiptData): { [key: string]: Json } {
  return {
    transactionHash: r.transactionHash,
    transactionIndex: toQuantity(r.transactionIndex),
    blockHash: r.blockHash,
    blockNumber: toQuantity(r.blockNumber),
    from: r.from,
    to: r.to,
    cumulativeGasUsed: toQuantity(r.cumulativeGasUsed),
    gasUsed: toQuantity(r.gasUsed),
    effectiveGasPrice: toQuantity(r.effectiveGasPrice),
    contractAddress: r.contractAddress,
    logs: r.logs.map(formatLog),
    logsBloom: r.logsBloom,
    type: toQuantity(r.type),
    status: toQuantity(r.status),
    miniBlockNumber: toQuantity(r.miniBlockNumber),
    miniBlockIndex: toQuantity(r.miniBlockIndex),
    finality: r.finality,
  };
}

/** The header fields shared by blocks and `newHeads` notifications. */
export function formatHeader(b: BlockData): { [key: string]: Json } {
  return {
    number: toQuantity(b.number),
    hash: b.hash,
    parentHash: b.parentHash,
    nonce: ZERO_NONCE,
    sha3Uncles: EMPTY_UNCLES_HASH,
    logsBloom: b.logsBloom,
    transactionsRoot: b.transactionsRoot,
    stateRoot: b.stateRoot,
    receiptsRoot: b.receiptsRoot,
    miner: b.miner,
    difficulty: "0x0",
    extraData: b.extraData,
    gasLimit: toQuantity(b.gasLimit),
    gasUsed: toQuantity(b.gasUsed),
    timestamp: toQuantity(b.timestamp),
    baseFeePerGas: toQuantity(b.baseFeePerGas),
    mixHash: b.mixHash,
  };
}

export function formatBlock(b: BlockData, fullTransactions: boolean): { [key: string]: Json } {
  return {
    ...formatHeader(b),
    totalDifficulty: "0x0",
    size: toQuantity(b.size),
    transactions: fullTransactions
      ? b.transactions.map(formatTransaction)
      : b.transactions.map((t) => t.hash),
    uncles: [],
    miniBlockCount: toQuantity(b.miniBlockCount),
    finality: b.finality,
  };
}

export function formatMiniBlock(m: MiniBlockData): { [key: string]: Json } {
  return {
    number: toQuantity(m.number),
    blockNumber: toQuantity(m.blockNumber),
    indexInBlock: toQuantity(m.indexInBlock),
    timestamp: toQuantity(m.timestampMicros),
    gasUsed: toQuantity(m.gasUsed),
    transactions: m.transactions,
    receipts: m.receipts.map(formatReceipt),
    finality: m.finality,
  };
}

export function formatFeeHistory(f: FeeHistoryData): { [key: string]: Json } {
  const out: { [key: string]: Json } = {
    oldestBlock: toQuantity(f.oldestBlock),
    baseFeePerGas: f.baseFeePerGas.map(toQuantity),
    gasUsedRatio: f.gasUsedRatio,
  };
  if (f.reward !== undefined) out.reward = f.reward.map((row) => row.map(toQuantity));
  return out;
}

export function formatProof(p: ProofData): { [key: string]: Json } {
  return {
    address: p.address,
    balance: toQuantity(p.balance),
    nonce: toQuantity(p.nonce),
    codeHash: p.codeHash,
    storageHash: p.storageHash,
    accountProof: p.accountProof,
    storageProof: p.storageProof.map((s) => ({ key: s.key, value: toQuantity(s.value), proof: s.proof })),
  };
}

export function formatConsensusStatus(c: ConsensusStatusData): { [key: string]: Json } {
  return {
    epoch: toQuantity(c.epoch),
    round: toQuantity(c.round),
    leader: c.leader,
    isLeader: c.isLeader,
    highQc: { round: toQuantity(c.highQc.round), blockId: c.highQc.blockId },
    highTcRound: c.highTcRound === null ? null : toQuantity(c.highTcRound),
    lastVotedRound: toQuantity(c.lastVotedRound),
    committedRound: toQuantity(c.committedRound),
  };
}

export function formatValidatorSet(v: ValidatorSetData): { [key: string]: Json } {
  return {
    epoch: toQuantity(v.epoch),
    l1AnchorBlock: toQuantity(v.l1AnchorBlock),
    totalVotingPower: toQuantity(v.totalVotingPower),
    validators: v.validators.map((x) => ({
      address: x.address,
      blsPubkey: x.blsPubkey,
      votingPower: toQuantity(x.votingPower),
    })),
  };
}

/** A 32-byte storage word as geth returns it from eth_getStorageAt. */
export function formatStorageWord(value: Hex): Hex {
  return toFixedData(BigInt(value === "0x" ? "0x0" : value), 32);
}
