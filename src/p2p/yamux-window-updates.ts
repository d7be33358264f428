import { StreamState, YamuxStream } from "@chainsafe/libp2p-yamux/stream";

/**
 * @chainsafe/libp2p-yamux (8.0.1) answers every data frame it receives with a window-update
 * frame, however little of the receive window (256 KiB) the frame used. Consensus traffic is
 * many small frames (a vote is ~200 B), so half the frames on a validator's connections were
 * these credits: each one encrypted by noise, written with its own syscall, read, decrypted and
 * parsed at the other end. The yamux spec lets the receiver send credit when it decides to; the
 * Go implementation waits until half the window is used, which is what this does for streams
 * that are open both ways. Frames that carry a flag (SYN, ACK) and paused or closing streams go
 * through the library's own method unchanged, as does the window growth it computes there.
 */
interface WindowView {
  state: StreamState;
  recvWindow: number;
  recvWindowCapacity: number;
}

const sendOnEveryFrame = YamuxStream.prototype.sendWindowUpdate;
let installed = false;

/** True when a credit update can wait: open stream, more than half of its window still free. */
export function creditCanWait(stream: WindowView): boolean {
  const open = stream.state === StreamState.Established || stream.state === StreamState.SYNSent;
  return open && stream.recvWindowCapacity * 2 > stream.recvWindow;
}

/** Installs the half-window rule on every yamux stream of this process (idempotent). */
export function batchYamuxWindowUpdates(): void {
  if (installed) return;
  installed = true;
  YamuxStream.prototype.sendWindowUpdate = function sendWindowUpdateAtHalf(this: YamuxStream): void {
    if (creditCanWait(this as unknown as WindowView)) return;
    sendOnEveryFrame.call(this);
  };
}
