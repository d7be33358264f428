import type { Libp2p } from "@libp2p/interface";
import type { Hex } from "../execution/types.ts";
import { forwardTx, handleTxForward } from "../p2p/tx-forward.ts";
import { decodeReceipt, encodeReceipt } from "../rpc/receipt-codec.ts";
import type { Log } from "./logger.ts";
import type { NodeChain } from "./node-chain.ts";

export interface TxForwarderOpts {
  chainId: number;
  /** How long a validator holds a forwarded tx's stream open waiting for its receipt. */
  waitMs: number;
  /** Forwards in flight at once (each is one stream per peer); past it, gossip alone carries the tx. */
  maxInFlight: number;
}

export const DEFAULT_TX_FORWARDER_OPTS: Omit<TxForwarderOpts, "chainId"> = {
  waitMs: 3_000,
  maxInFlight: 256,
};

export interface TxForwarderModules {
  libp2p: () => Libp2p;
  chain: NodeChain;
  /** The validators to forward to (libp2p peer ids, this node excluded). */
  peers: () => readonly string[];
  log: Log;
}

/**
 * Realtime submissions on any node: when an RPC client waits for a preconfirmation, the node
 * forwards the raw tx to the other validators (the committee is small, and with leader rotation
 * every one of them may lead the next round) besides gossiping it. Each admits it and answers
 * with the first receipt it gets for it: its own build's preconfirmation when it leads, else the
 * committed receipt. The first answer is taken here as the preconfirmation.
 */
export class TxForwarder {
  private readonly opts: TxForwarderOpts;
  private readonly modules: TxForwarderModules;
  private readonly inFlight = new Set<Hex>();

  constructor(opts: Partial<TxForwarderOpts> & { chainId: number }, modules: TxForwarderModules) {
    this.opts = { ...DEFAULT_TX_FORWARDER_OPTS, ...opts };
    this.modules = modules;
  }

  /** Registers the protocol handler (after libp2p started). */
  async start(): Promise<void> {
    await handleTxForward(this.modules.libp2p(), this.opts.chainId, (raw) => this.serve(raw));
  }

  /** Sends `raw` to the validators; the first receipt answered becomes the preconfirmation. */
  request(raw: Uint8Array, hash: Hex): void {
    if (this.inFlight.has(hash) || this.inFlight.size >= this.opts.maxInFlight) return;
    const peers = this.modules.peers();
    if (peers.length === 0) return;
    this.inFlight.add(hash);
    let pending = peers.length;
    for (const peer of peers) {
      forwardTx(this.modules.libp2p(), this.opts.chainId, peer, raw)
        .then(([item]) => {
          if (item === undefined) return;
          const receipt = decodeReceipt(item);
          if (receipt.transactionHash !== hash) throw new Error("answer for another transaction");
          this.modules.chain.acceptPreconfirmation(receipt);
        })
        .catch((error: unknown) => {
          this.modules.log.debug({ err: String(error), peer, hash }, "tx forward got no receipt");
        })
        .finally(() => {
          if (--pending === 0) this.inFlight.delete(hash);
        });
    }
  }

  /** A peer's forwarded tx: admit it, then answer with its first receipt (or fail after waitMs). */
  private async serve(raw: Uint8Array): Promise<Uint8Array[]> {
    const { chain } = this.modules;
    const tx = await chain.decode(raw);
    try {
      chain.admit(tx);
    } catch {
      // Already here by gossip (the usual case), or refused: the wait below tells which.
    }
    chain.expedite(tx.hash);
    const wait = chain.preconfs.wait(tx.hash, "preconfirmed", await chain.getReceipt(tx.hash));
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<"expired">((resolve) => {
      timer = setTimeout(() => resolve("expired"), this.opts.waitMs);
    });
    try {
      const outcome = await Promise.race([wait.promise, expired]);
      if (outcome === "expired") throw new Error(`no receipt within ${this.opts.waitMs} ms`);
      return [encodeReceipt(outcome)];
    } finally {
      clearTimeout(timer);
      wait.cancel();
    }
  }
}
