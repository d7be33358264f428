import type { ReceiptData, SubmittedTransaction } from "../backend.ts";
import { expectedNonceOf, RpcError, TxRejectedError } from "../errors.ts";
import { formatReceipt, type Json } from "../format.ts";
import { hexToBytes, toQuantity } from "../hex.ts";
import { hop, hopRaw, hopTraceEnabled } from "../hop-trace.ts";
import { defineMethod, optionalParam, param } from "../method.ts";
import { data, quantityOrNumber } from "../params.ts";
import type { MethodDeps, MethodGroup } from "./deps.ts";

/**
 * Transaction submission. eth_sendRawTransaction answers the hash once the node admitted the tx;
 * realtime_sendRawTransaction waits for the leader's preconfirmation (the tx executed into an
 * open mini-block); eth_sendRawTransactionSync (EIP-7966) waits for the quorum to commit the
 * tx's mini-block. Both waits are bounded: past the timeout the answer is code 4 with the hash in
 * `data`, so the client can fall back to polling.
 */
export function sendMethods(deps: MethodDeps): MethodGroup {
  const { backend, limits } = deps;
  const rawTx = param("transaction", data);
  const timeout = optionalParam("timeoutMs", quantityOrNumber);

  /** `waits`: realtime_ / Sync calls, whose client waits for a receipt (nonce gaps get code 5). */
  async function submit(raw: `0x${string}`, waits: boolean): Promise<SubmittedTransaction> {
    if ((raw.length - 2) / 2 > limits.maxTxBytes) throw new TxRejectedError("OVERSIZED");
    if (raw.length <= 2)
      throw new RpcError("INVALID_PARAMS", "invalid argument 0 (transaction): empty transaction");
    try {
      const bytes = hexToBytes(raw);
      if (hopTraceEnabled) hopRaw(bytes, "rpc.in");
      return await backend.submitTransaction(bytes, { urgent: waits });
    } catch (error) {
      const expected = expectedNonceOf(error);
      if (waits && expected !== null) {
        throw new RpcError(
          "SYNC_NONCE_GAP",
          "nonce too high: the transaction cannot execute until the nonce gap is filled",
          expected === undefined ? undefined : toQuantity(expected),
        );
      }
      throw error;
    }
  }

  async function waitFor(
    tx: SubmittedTransaction,
    receipt: Promise<ReceiptData>,
    requested: bigint | undefined,
    what: string,
  ): Promise<Json> {
    const ms = clampTimeout(requested, limits.defaultSyncTimeoutMs, limits.maxSyncTimeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), ms);
    });
    try {
      const outcome = await Promise.race([receipt, expired]);
      if (outcome === "timeout") {
        throw new RpcError(
          "SYNC_TIMEOUT",
          `the transaction was added to the pool but was not ${what} within ${ms} ms`,
          tx.hash,
        );
      }
      if (hopTraceEnabled) hop(tx.hash, `rpc.receipt.${what}`);
      return formatReceipt(outcome);
    } finally {
      clearTimeout(timer);
      tx.abandon?.();
    }
  }

  return {
    eth_sendRawTransaction: defineMethod([rawTx], async ([raw]) => (await submit(raw, false)).hash),
    realtime_sendRawTransaction: defineMethod([rawTx, timeout], async ([raw, ms]) => {
      const tx = await submit(raw, true);
      if (hopTraceEnabled) hop(tx.hash, "rpc.admitted");
      return waitFor(tx, tx.preconfirmed(), ms, "preconfirmed");
    }),
    eth_sendRawTransactionSync: defineMethod([rawTx, timeout], async ([raw, ms]) => {
      const tx = await submit(raw, true);
      if (hopTraceEnabled) hop(tx.hash, "rpc.admitted");
      return waitFor(tx, tx.committed(), ms, "committed");
    }),
  };
}

function clampTimeout(requested: bigint | undefined, fallback: number, max: number): number {
  if (requested === undefined || requested === 0n) return fallback;
  return requested > BigInt(max) ? max : Number(requested);
}
