import { reject, TxRejectedError } from "./errors.ts";
import { makeReceipt } from "./receipts.ts";
import { TxEnvelope } from "./tx-envelope.ts";
import type {
  BlockEnv,
  BlockExecutionResult,
  BlockExecutor,
  ExecTx,
  ExecutionState,
  Fork,
  Hex,
  Log,
  MiniBlockRef,
  Receipt,
} from "./types.ts";

export interface SequentialExecutorOpts {
  /** Let native transfers skip the interpreter (default true). */
  fastPath?: boolean;
  allowUnprotected?: boolean;
}

/**
 * The reference executor: runs txs one after another through the envelope. Every other
 * executor must produce exactly its results. Invalid txs are skipped (listed in `rejected`).
 */
export class SequentialExecutor implements BlockExecutor {
  private readonly opts: SequentialExecutorOpts;
  private readonly envelopes = new Map<string, TxEnvelope>();

  constructor(opts: SequentialExecutorOpts = {}) {
    this.opts = opts;
  }

  /** The envelope for a chain id and fork (created once, then reused). */
  async envelope(chainId: bigint, fork: Fork): Promise<TxEnvelope> {
    const key = `${chainId}:${fork}`;
    let envelope = this.envelopes.get(key);
    if (envelope === undefined) {
      envelope = await TxEnvelope.create({ chainId, fork, ...this.opts });
      this.envelopes.set(key, envelope);
    }
    return envelope;
  }

  async executeBlock(
    env: BlockEnv,
    txs: readonly ExecTx[],
    state: ExecutionState,
    miniBlocks?: readonly (MiniBlockRef | undefined)[],
  ): Promise<BlockExecutionResult> {
    const envelope = await this.envelope(env.chainId, env.fork);
    const receipts: Receipt[] = [];
    const included: Hex[] = [];
    const rejected: BlockExecutionResult["rejected"] = [];
    const logs: Log[] = [];
    let gasUsed = 0n;
    let burned = 0n;
    let priorityFees = 0n;
    for (let i = 0; i < txs.length; i++) {
      const tx = txs[i];
      try {
        if (gasUsed + tx.gasLimit > env.gasLimit) throw reject("BLOCK_GAS_EXHAUSTED", { gasUsed });
        const outcome = await envelope.execute(env, tx, state);
        gasUsed += outcome.gasUsed;
        burned += outcome.burned;
        priorityFees += outcome.priorityFee;
        receipts.push(makeReceipt(tx, outcome, gasUsed, receipts.length, miniBlocks?.[i]));
        included.push(tx.hash);
        for (const log of outcome.logs) logs.push(log);
      } catch (err) {
        if (!(err instanceof TxRejectedError)) throw err;
        rejected.push({ hash: tx.hash, code: err.code, message: err.message });
      }
    }
    return {
      receipts,
      included,
      rejected,
      changes: state.takeChanges(),
      gasUsed,
      logs,
      burned,
      priorityFees,
    };
  }
}
