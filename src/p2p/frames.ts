import { P2pError } from "./errors.ts";

/** What libp2p streams yield: a Uint8Array or a Uint8ArrayList (which `subarray()` flattens). */
export type StreamChunk = Uint8Array | { subarray(): Uint8Array };

const HEADER_BYTES = 4;

/** A frame is a 4-byte big-endian length and the payload. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, HEADER_BYTES);
  return out;
}

function toBytes(chunk: StreamChunk): Uint8Array {
  return chunk instanceof Uint8Array ? chunk : chunk.subarray();
}

/**
 * Splits a byte stream into frames. A header announcing more than `maxFrameBytes` throws
 * FRAME_TOO_LARGE before any of the body is buffered, so a peer cannot make us hold more than one
 * bounded frame; a stream that ends inside a frame throws STREAM_ENDED.
 */
export async function* readFrames(
  source: AsyncIterable<StreamChunk>,
  maxFrameBytes: number,
): AsyncGenerator<Uint8Array> {
  let buffered: Uint8Array[] = [];
  let bufferedBytes = 0;
  let need = -1; // body length of the frame being read, -1 while reading its header

  const take = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = buffered[0];
      const part = Math.min(head.length, n - filled);
      out.set(head.subarray(0, part), filled);
      filled += part;
      if (part === head.length) buffered.shift();
      else buffered[0] = head.subarray(part);
    }
    bufferedBytes -= n;
    return out;
  };

  for await (const chunk of source) {
    const bytes = toBytes(chunk);
    if (bytes.length === 0) continue;
    buffered.push(bytes);
    bufferedBytes += bytes.length;
    for (;;) {
      if (need < 0) {
        if (bufferedBytes < HEADER_BYTES) break;
        const header = take(HEADER_BYTES);
        need = new DataView(header.buffer).getUint32(0);
        if (need > maxFrameBytes) {
          buffered = [];
          throw new P2pError(
            "FRAME_TOO_LARGE",
            `frame of ${need} bytes exceeds the ${maxFrameBytes}-byte limit`,
          );
        }
      }
      if (bufferedBytes < need) break;
      const frame = take(need);
      need = -1;
      yield frame;
    }
  }
  if (need >= 0 || bufferedBytes > 0) {
    throw new P2pError("STREAM_ENDED", "stream ended in the middle of a frame");
  }
}

/** Resolves with `promise`, or rejects with TIMEOUT after `ms` (calling `onTimeout` first). */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  onTimeout?: () => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new P2pError("TIMEOUT", `${what} timed out after ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
