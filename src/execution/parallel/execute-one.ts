import { TxRejectedError } from "../errors.ts";
import type { TxEnvelope } from "../tx-envelope.ts";
import type { BlockEnv, ExecTx, StateReader } from "../types.ts";
import type { MissingKeys, ReadSet, SpecResult } from "./protocol.ts";
import { RecordingState } from "./recording-state.ts";

/** A reader that remembers what it was asked, and can say it lacked values. */
export interface TrackingReader extends StateReader {
  reads(): ReadSet;
  missing(): MissingKeys | undefined;
}

/**
 * Runs one transaction over `reader` without touching it, with fee-recipient credit left out (it
 * is applied lazily, in order, at commit): the recorded calls, the write set, the values read, and
 * the outcome or the rejection.
 */
export async function executeOne(
  envelope: TxEnvelope,
  env: BlockEnv,
  tx: ExecTx,
  index: number,
  reader: TrackingReader,
): Promise<SpecResult> {
  const scratch = new RecordingState(reader);
  const result: SpecResult = {
    index,
    reads: { accounts: [], slots: [], hasStorage: [] },
    missing: undefined,
    ops: scratch.ops,
    writes: { accounts: [], slots: [], cleared: [], code: [] },
    outcome: undefined,
    rejected: undefined,
    error: undefined,
  };
  try {
    result.outcome = await envelope.execute(env, tx, scratch, false);
    result.writes = scratch.writeSet();
    // Calls that were only puts (no revert, wipe, deletion or code) have the same effect on the
    // state and its change set as putting the final values: then the calls need not travel.
    if (!scratch.reverted && result.writes.cleared.length === 0 && result.writes.code.length === 0)
      result.ops = undefined;
  } catch (err) {
    if (err instanceof TxRejectedError) {
      result.rejected = { code: err.code, message: err.message };
      result.ops = [];
    } else {
      result.error = err instanceof Error ? err.message : String(err);
    }
  }
  result.reads = reader.reads();
  result.missing = reader.missing();
  return result;
}
