import type { Libp2p } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { keccak256 } from "../crypto/index.ts";
import { fastDecodeExecTx } from "../execution/fast-decode.ts";
import { bytesToHex } from "../execution/hex.ts";
import type { ExecTx, Hex } from "../execution/types.ts";
import { handleTxForward, TxForwardClient } from "../p2p/tx-forward.ts";
import { hop, hopTraceEnabled } from "../rpc/hop-trace.ts";
import { decodeReceipt, encodeReceipt } from "../rpc/receipt-codec.ts";
import type { Log } from "./logger.ts";
import type { NodeChain } from "./node-chain.ts";

export interface TxForwarderOpts {
  chainId: number;
  /** How long a validator holds a forwarded tx waiting for its receipt. */
  waitMs: number;
  /** Transactions being forwarded at once; past it, gossip alone carries a tx. */
  maxInFlight: number;
  /** Validators each tx goes to (the current leader first). */
  maxTargets: number;
}

export const DEFAULT_TX_FORWARDER_OPTS: Omit<TxForwarderOpts, "chainId"> = {
  waitMs: 3_000,
  maxInFlight: 256,
  maxTargets: 3,
};

export interface TxForwarderModules {
  libp2p: () => Libp2p;
  chain: NodeChain;
  /** The validators to forward to (libp2p peer ids, this node excluded), the current leader first. */
  peers: () => readonly string[];
  log: Log;
}

/**
 * Realtime submissions on any node: when an RPC client waits for a preconfirmation, the node
 * forwards the raw tx to the current leader and the next validators (with leader rotation any of
 * them may lead the round in which the tx lands) besides gossiping it, over one long-lived
 * stream per peer. Each admits it and answers with the first receipt it gets for it: its own
 * build's preconfirmation when it leads, else the committed receipt. The first answer is taken
 * here as the preconfirmation.
 */
export class TxForwarder {
  private readonly opts: TxForwarderOpts;
  private readonly modules: TxForwarderModules;
  private readonly client: TxForwardClient;
  private readonly inFlight = new Set<Hex>();

  constructor(opts: Partial<TxForwarderOpts> & { chainId: number }, modules: TxForwarderModules) {
    this.opts = { ...DEFAULT_TX_FORWARDER_OPTS, ...opts };
    this.modules = modules;
    this.client = new TxForwardClient({ chainId: this.opts.chainId }, { libp2p: modules.libp2p });
  }

  /** Registers the protocol handler (after libp2p started). */
  async start(): Promise<void> {
    await handleTxForward(this.modules.libp2p(), this.opts.chainId, (raw) => this.serve(raw));
  }

  /** Closes the forwarding streams. */
  stop(): void {
    this.client.close();
  }

  /** Sends `raw` to the leaders; the first receipt answered becomes the preconfirmation. */
  request(raw: Uint8Array, hash: Hex): void {
    if (this.inFlight.has(hash) || this.inFlight.size >= this.opts.maxInFlight) return;
    const peers = this.modules.peers().slice(0, this.opts.maxTargets);
    if (peers.length === 0) return;
    this.inFlight.add(hash);
    let pending = peers.length;
    for (const peer of peers) {
      if (hopTraceEnabled) hop(hash, `fwd.send ${peer.slice(-6)}`);
      this.client
        .forward(peerIdFromString(peer), raw)
        .then((item) => {
          const receipt = decodeReceipt(item);
          if (receipt.transactionHash !== hash) throw new Error("answer for another transaction");
          if (hopTraceEnabled) hop(hash, `fwd.answer ${peer.slice(-6)} ${receipt.finality}`);
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
  private async serve(raw: Uint8Array): Promise<Uint8Array> {
    const { chain } = this.modules;
    const hash = bytesToHex(keccak256(raw));
    if (hopTraceEnabled) hop(hash, "srv.recv");
    // Usually gossip brought it already; otherwise decode it here, at once: one recovery on this
    // thread (~0.1 ms) is cheaper than a trip through the recovery workers and back through a
    // busy event loop, and this tx has a client waiting.
    if (!chain.mempool.has(hash)) await admitNow(chain, raw, hash);
    if (hopTraceEnabled) hop(hash, "srv.admitted");
    chain.expedite(hash);
    const wait = chain.preconfs.wait(hash, "preconfirmed", await chain.getReceipt(hash));
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<"expired">((resolve) => {
      timer = setTimeout(() => resolve("expired"), this.opts.waitMs);
    });
    try {
      const outcome = await Promise.race([wait.promise, expired]);
      if (outcome === "expired") throw new Error(`no receipt within ${this.opts.waitMs} ms`);
      if (hopTraceEnabled) hop(hash, `srv.receipt ${outcome.finality}`);
      return encodeReceipt(outcome);
    } finally {
      clearTimeout(timer);
      wait.cancel();
    }
  }
}

/**
 * Decodes and admits. A refusal answers at once unless the tx is known here after all (executed,
 * committed or sealed: its receipt answers).
 */
async function admitNow(chain: NodeChain, raw: Uint8Array, hash: Hex): Promise<void> {
  let tx: ExecTx;
  try {
    tx = fastDecodeExecTx(raw);
  } catch (error) {
    throw new Error(`undecodable transaction: ${(error as Error).message}`);
  }
  try {
    chain.admit(tx);
  } catch (error) {
    const known =
      chain.mempool.has(hash) ||
      chain.preconfs.preconfirmed(hash) !== undefined ||
      chain.preconfs.committedReceipt(hash) !== undefined ||
      (await chain.getReceipt(hash)) !== null;
    if (!known) throw error;
  }
}

/** `peers` with `leader` moved to the front (when connected). */
export function leaderFirst(peers: readonly string[], leader: string | undefined): string[] {
  if (leader === undefined || !peers.includes(leader)) return [...peers];
  return [leader, ...peers.filter((p) => p !== leader)];
}
