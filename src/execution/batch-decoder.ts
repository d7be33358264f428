import { BatchingWorkerPool } from "../crypto/worker-pool.ts";
import { fastDecodeUnrecovered, type PendingSignature, TxDecodeError } from "./fast-decode.ts";
import { bytesToHex } from "./hex.ts";
import type { ExecTx, Hex } from "./types.ts";

/** Bytes of one packed checked signature: signing hash 32 | r,s 64 | recovery 1. */
export const PENDING_BYTES = 97;

export interface BatchTxDecoderOpts {
  /** Recovery worker threads (default 2). */
  workers?: number;
  /** Signatures per worker message (default 128): a round trip costs ~85 µs, so send batches. */
  chunk?: number;
}

export type BatchDecodeResult = { ok: true; tx: ExecTx } | { ok: false; error: TxDecodeError };

/**
 * Decodes raw signed txs like `fastDecodeExecTx`, with the public-key recoveries (the expensive
 * part, ~55 µs each) done in batches on worker threads: the main thread parses, hashes and checks
 * each tx, packs the checked signatures into chunks and posts them; workers return 20-byte
 * addresses. Same results and the same errors per tx as `fastDecodeExecTx`, in order.
 */
export class BatchTxDecoder {
  private readonly pool: BatchingWorkerPool<Uint8Array, Uint8Array>;
  private readonly chunk: number;

  constructor(opts: BatchTxDecoderOpts = {}) {
    this.chunk = opts.chunk ?? 128;
    this.pool = new BatchingWorkerPool<Uint8Array, Uint8Array>(
      {
        url: new URL("./recovery-worker.ts", import.meta.url),
        workers: opts.workers ?? 2,
        maxItemsPerMessage: 1,
        // decode() posts every chunk from one synchronous loop: let each worker queue several.
        maxInFlightPerWorker: 4,
      },
      { makeError: (code, message) => new Error(`sender recovery ${code}: ${message}`) },
    );
  }

  async decode(raws: readonly Uint8Array[]): Promise<BatchDecodeResult[]> {
    const results: BatchDecodeResult[] = new Array(raws.length);
    await this.decodeInto(raws, results, undefined);
    return results;
  }

  /**
   * Decodes like `decode`, and hands the results to `onChunk` in order, one chunk of `chunk`
   * txs at a time, as soon as that chunk and every earlier one are recovered. The caller can
   * execute chunk k on the main thread while the workers still recover chunks k+1... (a pipeline:
   * on 2 cores the main thread's parse + execute overlaps the recoveries). Resolves after the
   * last `onChunk` finished; a throwing `onChunk` rejects it (later chunks are not handed over).
   */
  async decodeInOrder(
    raws: readonly Uint8Array[],
    onChunk: (results: readonly BatchDecodeResult[], first: number) => void | Promise<void>,
  ): Promise<void> {
    const results: BatchDecodeResult[] = new Array(raws.length);
    await this.decodeInto(raws, results, onChunk);
  }

  private async decodeInto(
    raws: readonly Uint8Array[],
    results: BatchDecodeResult[],
    onChunk: ((results: readonly BatchDecodeResult[], first: number) => void | Promise<void>) | undefined,
  ): Promise<void> {
    const waiting: Promise<void>[] = [];
    // In-order hand-over: each chunk's step waits for its recovery and for the previous step.
    let handed: Promise<void> = Promise.resolve();
    let chunkStart = 0;
    const handOver = (recovered: Promise<void>, start: number, end: number): void => {
      if (onChunk === undefined) return;
      const previous = handed;
      handed = Promise.all([previous, recovered]).then(() => onChunk(results.slice(start, end), start));
      // Avoid an unhandled rejection before the final await sees it.
      handed.catch(() => {});
    };
    let packed = new Uint8Array(this.chunk * PENDING_BYTES);
    let members: number[] = [];
    const flush = (end: number): void => {
      if (members.length === 0) {
        // Every tx of this stretch failed its checks: nothing to wait for.
        if (end > chunkStart) handOver(Promise.resolve(), chunkStart, end);
        chunkStart = end;
        return;
      }
      const indexes = members;
      const buffer = packed.subarray(0, indexes.length * PENDING_BYTES);
      const recovered = this.pool.run([buffer]).then(([out]) => {
        for (let j = 0; j < indexes.length; j++) {
          const result = results[indexes[j]] as { ok: true; tx: ExecTx };
          if (out[j * 21] === 1) result.tx.sender = bytesToHex(out.subarray(j * 21 + 1, j * 21 + 21));
          else
            results[indexes[j]] = {
              ok: false,
              error: new TxDecodeError("TX_INVALID_SIGNATURE", "signature does not recover a public key"),
            };
        }
      });
      waiting.push(recovered);
      handOver(recovered, chunkStart, end);
      chunkStart = end;
      packed = new Uint8Array(this.chunk * PENDING_BYTES);
      members = [];
    };
    for (let i = 0; i < raws.length; i++) {
      try {
        const { tx, pending } = fastDecodeUnrecovered(raws[i]);
        packSignature(packed, members.length, pending);
        members.push(i);
        results[i] = { ok: true, tx };
      } catch (err) {
        if (!(err instanceof TxDecodeError)) throw err;
        results[i] = { ok: false, error: err };
      }
      if (members.length === this.chunk) {
        flush(i + 1);
        // Let recovered chunks be handed over (executed) between the chunks still to parse.
        if (onChunk !== undefined) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    flush(raws.length);
    await Promise.all(waiting);
    await handed;
  }

  /**
   * Sender addresses of signatures that already passed `fastDecodeUnrecovered`'s checks, in
   * order; `undefined` where no public key recovers. The recovery-only path (the bench's
   * `sender_recover_per_s`).
   */
  async recoverSenders(pending: readonly PendingSignature[]): Promise<(Hex | undefined)[]> {
    const senders: (Hex | undefined)[] = new Array(pending.length);
    const waiting: Promise<void>[] = [];
    for (let start = 0; start < pending.length; start += this.chunk) {
      const count = Math.min(this.chunk, pending.length - start);
      const packed = new Uint8Array(count * PENDING_BYTES);
      for (let j = 0; j < count; j++) packSignature(packed, j, pending[start + j]);
      waiting.push(
        this.pool.run([packed]).then(([out]) => {
          for (let j = 0; j < count; j++)
            senders[start + j] =
              out[j * 21] === 1 ? bytesToHex(out.subarray(j * 21 + 1, j * 21 + 21)) : undefined;
        }),
      );
    }
    await Promise.all(waiting);
    return senders;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function packSignature(packed: Uint8Array, index: number, pending: PendingSignature): void {
  const at = index * PENDING_BYTES;
  packed.set(pending.signingHash, at);
  packed.set(pending.signature, at + 32);
  packed[at + 96] = pending.recovery;
}
