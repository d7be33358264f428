import type {
  BlockData,
  ChainEvents,
  LogData,
  MiniBlockData,
  TransactionData,
  Unsubscribe,
} from "./backend.ts";

/**
 * A plain fan-out for the backend's event streams: producers call `emit*`, the RPC layer
 * listens through `ChainEvents`. A listener that throws is isolated from the others.
 */
export class EventHub implements ChainEvents {
  private readonly heads = new Set<(b: BlockData) => void>();
  private readonly logs = new Set<(l: LogData[]) => void>();
  private readonly pending = new Set<(t: TransactionData) => void>();
  private readonly miniBlocks = new Set<(m: MiniBlockData) => void>();

  onNewHead(listener: (block: BlockData) => void): Unsubscribe {
    return add(this.heads, listener);
  }
  onLogs(listener: (logs: LogData[]) => void): Unsubscribe {
    return add(this.logs, listener);
  }
  onPendingTransaction(listener: (tx: TransactionData) => void): Unsubscribe {
    return add(this.pending, listener);
  }
  onMiniBlock(listener: (miniBlock: MiniBlockData) => void): Unsubscribe {
    return add(this.miniBlocks, listener);
  }

  emitNewHead(block: BlockData): void {
    fire(this.heads, block);
  }
  emitLogs(logs: LogData[]): void {
    if (logs.length > 0) fire(this.logs, logs);
  }
  emitPendingTransaction(tx: TransactionData): void {
    fire(this.pending, tx);
  }
  emitMiniBlock(miniBlock: MiniBlockData): void {
    fire(this.miniBlocks, miniBlock);
  }

  /** Producers skip building events nobody listens to. */
  get pendingListeners(): number {
    return this.pending.size;
  }
  get miniBlockListeners(): number {
    return this.miniBlocks.size;
  }

  get listenerCount(): number {
    return this.heads.size + this.logs.size + this.pending.size + this.miniBlocks.size;
  }
}

function add<T>(set: Set<(v: T) => void>, listener: (v: T) => void): Unsubscribe {
  set.add(listener);
  return () => {
    set.delete(listener);
  };
}

function fire<T>(set: Set<(v: T) => void>, value: T): void {
  for (const listener of [...set]) {
    try {
      listener(value);
    } catch {
      // One broken subscriber must not starve the others.
    }
  }
}
