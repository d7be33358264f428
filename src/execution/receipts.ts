import { logsBloom } from "./bloom.ts";
import { bigintToBytes, hexToBytes } from "./hex.ts";
import { encodeBytes, encodeList } from "./rlp.ts";
import { orderedTrieRoot } from "./trie/mpt.ts";
import type { TxOutcome } from "./tx-envelope.ts";
import type { ExecTx, Log, MiniBlockRef, Receipt } from "./types.ts";

/** Builds the receipt of an included tx from its outcome. */
export function makeReceipt(
  tx: ExecTx,
  outcome: TxOutcome,
  cumulativeGasUsed: bigint,
  transactionIndex: number,
  miniBlock?: MiniBlockRef,
): Receipt {
  return {
    txHash: tx.hash,
    type: tx.type,
    status: outcome.status,
    from: tx.sender,
    to: tx.to,
    contractAddress: outcome.contractAddress,
    gasUsed: outcome.gasUsed,
    cumulativeGasUsed,
    effectiveGasPrice: outcome.effectiveGasPrice,
    logs: outcome.logs,
    logsBloom: outcome.logs.length === 0 ? EMPTY_BLOOM : logsBloom(outcome.logs),
    transactionIndex,
    miniBlock,
  };
}

const EMPTY_BLOOM = new Uint8Array(256);

/** RLP of a list of logs: [[address, [topics...], data], ...] (also what the state tests hash). */
export function encodeLogs(logs: readonly Log[]): Uint8Array {
  return encodeList(
    logs.map((log) =>
      encodeList([
        encodeBytes(hexToBytes(log.address)),
        encodeList(log.topics.map((t) => encodeBytes(hexToBytes(t)))),
        encodeBytes(log.data),
      ]),
    ),
  );
}

/** Consensus encoding of a receipt (EIP-2718: type byte before the RLP for typed txs). */
export function encodeReceipt(receipt: Receipt): Uint8Array {
  const body = encodeList([
    encodeBytes(receipt.status === 1 ? Uint8Array.of(1) : new Uint8Array(0)),
    encodeBytes(bigintToBytes(receipt.cumulativeGasUsed)),
    encodeBytes(receipt.logsBloom),
    encodeLogs(receipt.logs),
  ]);
  if (receipt.type === 0) return body;
  const out = new Uint8Array(body.length + 1);
  out[0] = receipt.type;
  out.set(body, 1);
  return out;
}

export function receiptsRoot(receipts: readonly Receipt[]): Uint8Array {
  return orderedTrieRoot(receipts.map(encodeReceipt));
}

/** Transactions root over the signed serializations. */
export function transactionsRoot(rawTxs: readonly Uint8Array[]): Uint8Array {
  return orderedTrieRoot(rawTxs);
}
