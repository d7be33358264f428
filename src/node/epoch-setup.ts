import { type Account, type Chain, createPublicClient, http, type Transport, type WalletClient } from "viem";
import type { Block } from "../consensus/index.ts";
import type { EpochValidatorSet } from "../l1/validator-set-follower.ts";
import type { MegaseqMetrics } from "../metrics/index.ts";
import type { PayloadSource } from "./consensus-host.ts";
import { L1BlockView } from "./epoch-l1-view.ts";
import { EpochManager, type L1EpochConfig } from "./epoch-manager.ts";
import { EpochSetReader } from "./epoch-set-reader.ts";
import type { Genesis } from "./genesis.ts";
import type { Log } from "./logger.ts";

export interface EpochSetupModules {
  genesis: Genesis;
  log: Log;
  metrics?: MegaseqMetrics["l1"];
  wallet?: WalletClient<Transport, Chain | undefined, Account>;
  chainTo: (root: Uint8Array) => Block[];
  currentEpoch: () => number;
  redeliver: (block: Block) => void;
  onSet: (set: EpochValidatorSet) => void;
}

/**
 * Builds the node's L1 epoch machinery from its L1 config and genesis. The L1 client does not
 * need L1 to answer at start: an outage is retried by the view and the set reader.
 */
export function createEpochManager(l1: L1EpochConfig, modules: EpochSetupModules): EpochManager {
  const { genesis, log } = modules;
  const client = createPublicClient({ transport: http(l1.rpcUrl, { retryCount: 0, timeout: 5_000 }) });
  const view = new L1BlockView(
    { confirmations: l1.confirmations, pollIntervalMs: l1.pollIntervalMs },
    { client, log, ...(modules.metrics ? { metrics: modules.metrics } : {}) },
  );
  const reader = new EpochSetReader(
    { stakingManager: l1.stakingManager, confirmations: l1.confirmations },
    { client, log, ...(modules.wallet ? { wallet: modules.wallet } : {}) },
  );
  return new EpochManager(
    {
      epochLengthRounds: genesis.json.consensus.epochLengthRounds ?? 0,
      genesisAnchor: { number: genesis.json.l1?.anchorBlock ?? 0, hash: new Uint8Array(32) },
      originGraceMs: l1.originGraceMs ?? Math.max(5_000, 10 * l1.pollIntervalMs),
      setPollIntervalMs: l1.pollIntervalMs,
    },
    {
      view,
      reader,
      log,
      ...(modules.metrics ? { metrics: modules.metrics } : {}),
      chainTo: modules.chainTo,
      currentEpoch: modules.currentEpoch,
      redeliver: modules.redeliver,
      onSet: modules.onSet,
    },
  );
}

/** Stamps the leader's mini-blocks with their L1 origin (unchanged source without L1 epochs). */
export function withL1Origin(source: PayloadSource, epochs: EpochManager | undefined): PayloadSource {
  if (epochs === undefined) return source;
  return {
    build: async (req) => {
      const built = await source.build(req);
      const origin = epochs.stamp(req.parentRoot);
      return {
        ...built,
        payload: { ...built.payload, l1OriginNumber: origin.number, l1OriginHash: origin.hash },
      };
    },
  };
}
