import type { BatchDecodeResult, BatchTxDecoder } from "../execution/batch-decoder.ts";

/**
 * Coalesces single-transaction decodes into batches for `BatchTxDecoder`: every raw tx asked for
 * in the same turn of the event loop (the items of one JSON-RPC batch, concurrent requests) is
 * parsed together and its sender recovered in one worker message per chunk, instead of one worker
 * round trip (~85 µs) per transaction. At most `maxBatch` per flush; the rest wait their turn.
 */
export class DecodeQueue {
  private readonly decoder: BatchTxDecoder;
  private readonly maxBatch: number;
  private queued: { raw: Uint8Array; resolve: (r: BatchDecodeResult) => void; reject: (e: Error) => void }[] =
    [];
  private scheduled = false;

  constructor(opts: { maxBatch?: number }, modules: { decoder: BatchTxDecoder }) {
    this.decoder = modules.decoder;
    this.maxBatch = opts.maxBatch ?? 1024;
  }

  decode(raw: Uint8Array): Promise<BatchDecodeResult> {
    return new Promise((resolve, reject) => {
      this.queued.push({ raw, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.queued.slice(0, this.maxBatch);
    this.queued = this.queued.slice(batch.length);
    this.scheduled = this.queued.length > 0;
    if (this.scheduled) setImmediate(() => this.flush());
    this.decoder.decode(batch.map((q) => q.raw)).then(
      (results) => {
        for (let i = 0; i < batch.length; i++) batch[i].resolve(results[i]);
      },
      (error: unknown) => {
        for (const q of batch) q.reject(error as Error);
      },
    );
  }
}
