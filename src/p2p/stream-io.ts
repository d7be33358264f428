import type { Stream } from "@libp2p/interface";
import { encodeFrame } from "./frames.ts";

/** Sends one frame, waiting for the stream to drain when its write buffer is full. */
export async function sendFrame(stream: Stream, payload: Uint8Array): Promise<void> {
  if (!stream.send(encodeFrame(payload))) await stream.onDrain();
}
