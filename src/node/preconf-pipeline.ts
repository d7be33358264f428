import type { FlatState } from "../execution/flat-state.ts";
import type { MiniBlockBuilder, OpenMiniBlock } from "../execution/mini-block-builder.ts";
import type { AccountData, BlockEnv, ExecTx, Hex, Receipt, StateReader } from "../execution/types.ts";

/** A mini-block this leader built and proposed, not yet committed: its speculative state. */
interface Layer {
  state: FlatState;
  hashes: Hex[];
  set: Set<Hex>;
}

export interface PreconfPipelineModules {
  /** The node's executed (committed) state. */
  canonical: StateReader;
  builder: MiniBlockBuilder;
  /** The block environment of a mini-block opened now. */
  env: () => BlockEnv;
}

/**
 * The leader's speculative state: the committed state, then the mini-blocks it proposed that are
 * not committed yet (one overlay each, oldest first), then the mini-block it keeps open. A tx
 * offered while this node leads executes into the open mini-block at once (its receipt is the
 * preconfirmation); the next build closes the open mini-block, fills it from the pool and
 * proposes it. Consecutive proposals of one leader term chain on each other, so a sender's next
 * transaction can be preconfirmed before the previous one is committed.
 *
 * When a committed mini-block is the oldest proposed one, its overlay is dropped (the committed
 * state now holds the same values). Anything else committed — another leader's block, a
 * proposal that was replaced — makes the speculation stale: every layer is dropped and the next
 * build starts again from the committed state.
 */
export class PreconfPipeline {
  private readonly modules: PreconfPipelineModules;
  private layers: Layer[] = [];
  private open: OpenMiniBlock | undefined;
  private readonly openHashes = new Set<Hex>();

  constructor(modules: PreconfPipelineModules) {
    this.modules = modules;
  }

  /** Proposed, uncommitted mini-blocks on top of the committed state. */
  get depth(): number {
    return this.layers.length;
  }

  /** Hashes of every tx in the speculation (proposed or open), so the pool is not taken twice. */
  holds(hash: Hex): boolean {
    return this.openHashes.has(hash) || this.layers.some((l) => l.set.has(hash));
  }

  /** Whether the proposed layers are exactly these uncommitted ancestors (tx hashes, in order). */
  matches(ancestors: readonly (readonly Hex[])[]): boolean {
    if (ancestors.length !== this.layers.length) return false;
    return ancestors.every((hashes, i) => sameList(hashes, this.layers[i].hashes));
  }

  /** Forgets all speculation (open mini-block included). */
  reset(): void {
    this.layers = [];
    this.open = undefined;
    this.openHashes.clear();
  }

  /** A committed mini-block was executed into the committed state. */
  onCommitted(hashes: readonly Hex[]): void {
    if (this.layers.length > 0 && sameList(this.layers[0].hashes, hashes)) this.layers.shift();
    else if (
      this.layers.length > 0 ||
      (this.open !== undefined && hashes.some((h) => this.openHashes.has(h)))
    )
      this.reset();
    else if (this.open !== undefined && hashes.length > 0) {
      // Another leader's block changed the state under the open mini-block: start it again.
      this.open = undefined;
      this.openHashes.clear();
    }
  }

  /**
   * Executes `tx` into the open mini-block now, if it is the sender's next nonce on the
   * speculative state; returns its receipt (the preconfirmation), or undefined when it has to
   * wait for a later build.
   */
  async offer(tx: ExecTx): Promise<{ receipt: Receipt; number: bigint } | undefined> {
    if (this.holds(tx.hash)) return undefined;
    const open = this.openBlock();
    if (open.isFull()) return undefined;
    if ((open.overlay.getAccount(tx.sender)?.nonce ?? 0n) !== tx.nonce) return undefined;
    const outcome = await open.add(tx);
    if (outcome.kind !== "included") return undefined;
    this.openHashes.add(tx.hash);
    return { receipt: outcome.receipt, number: open.env.number };
  }

  /**
   * Closes the open mini-block: fills it from `source` (skipping what the speculation holds),
   * keeps it as the newest proposed layer and returns its transactions and receipts.
   */
  async build(
    source: { next(): ExecTx | undefined; skip?(tx: ExecTx): void },
    onReceipt: (receipt: Receipt, tx: ExecTx) => void,
  ): Promise<{ txs: ExecTx[]; env: BlockEnv }> {
    const open = this.openBlock();
    const filtered = {
      next: (): ExecTx | undefined => {
        for (let tx = source.next(); tx !== undefined; tx = source.next()) {
          if (!this.holds(tx.hash)) return tx;
        }
        return undefined;
      },
      skip: (tx: ExecTx): void => source.skip?.(tx),
    };
    await this.modules.builder.fill(open, filtered, onReceipt);
    const txs = [...open.txs];
    const hashes = txs.map((t) => t.hash);
    this.layers.push({ state: open.overlay, hashes, set: new Set(hashes) });
    this.open = undefined;
    this.openHashes.clear();
    return { txs, env: open.env };
  }

  private openBlock(): OpenMiniBlock {
    if (this.open === undefined) {
      let self: FlatState | undefined;
      // What the open mini-block reads through: the layer below it (the newest proposed one
      // while it is open), else the committed state. Resolved at each read, so a layer dropped
      // once committed is skipped from then on.
      const below = (): StateReader => {
        const i = self === undefined ? -1 : this.layers.findIndex((l) => l.state === self);
        const at = i < 0 ? this.layers.length - 1 : i - 1;
        return at >= 0 ? this.layers[at].state : this.modules.canonical;
      };
      const reader: StateReader = {
        getAccount: (a: Hex): AccountData | undefined => below().getAccount(a),
        getCode: (a: Hex): Uint8Array => below().getCode(a),
        getStorage: (a: Hex, slot: Hex): bigint => below().getStorage(a, slot),
        hasStorage: (a: Hex): boolean => below().hasStorage?.(a) ?? false,
      };
      this.open = this.modules.builder.open(this.modules.env(), reader);
      self = this.open.overlay;
      this.openHashes.clear();
    }
    return this.open;
  }
}

function sameList(a: readonly Hex[], b: readonly Hex[]): boolean {
  return a.length === b.length && a.every((h, i) => h === b[i]);
}
