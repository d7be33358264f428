import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  BlsScheme,
  BlsSigner,
  type CommittedBlock,
  ConsensusCore,
  type ConsensusOpts,
  type CoreSnapshot,
  initialSafetyData,
  type ValidatorInfo,
} from "../consensus/index.ts";
import type { Hex } from "../execution/types.ts";
import { connectL1 } from "../l1/clients.ts";
import { EvidenceSubmitter } from "../l1/evidence-submitter.ts";
import { loadL1Account } from "../l1/keys.ts";
import {
  createMetrics,
  HealthChecks,
  type MetricsBundle,
  MetricsServer,
  minPeersCheck,
  parseHostPort,
} from "../metrics/index.ts";
import { P2pHost } from "../p2p/host.ts";
import type { P2pLimitsOverrides } from "../p2p/limits.ts";
import type { ConsensusStatusData, ValidatorSetData } from "../rpc/backend.ts";
import { RpcServer } from "../rpc/index.ts";
import type { RpcLimits } from "../rpc/limits.ts";
import { ChainStore } from "../storage/index.ts";
import type { Block, QuorumCertificate } from "../types/index.ts";
import { CodedError } from "../util/coded-error.ts";
import { CommitLog } from "./commit-log.ts";
import { ConsensusHost, type PayloadSource } from "./consensus-host.ts";
import { EpochCatchUpServer } from "./epoch-catch-up-server.ts";
import { type EpochManager, type L1EpochConfig, peersOfSet } from "./epoch-manager.ts";
import { createEpochManager, withL1Origin } from "./epoch-setup.ts";
import { EpochSync } from "./epoch-sync.ts";
import type { Genesis } from "./genesis.ts";
import { type Log, silentLogger } from "./logger.ts";
import { NodeChain } from "./node-chain.ts";
import { SafetyFile } from "./safety-file.ts";
import { leaderFirst, TxForwarder } from "./tx-forward.ts";
import { TxGossip } from "./tx-gossip.ts";

/** The safety record inside a data dir (binary, two checksummed slots: see SafetyFile). */
export const SAFETY_FILE_NAME = "safety.dat";

export class NodeError extends CodedError<"NOT_A_VALIDATOR" | "GENESIS_MISMATCH" | "NOT_STARTED" | "NO_L1"> {}

export interface ValidatorNodeOpts {
  dataDir: string;
  /** libp2p listen multiaddrs. */
  listen: string[];
  /** "host:port" for /metrics and /health; omitted = no metrics server. */
  metricsAddress?: string;
  /** Extra p2p peers besides the genesis validators (observers, sentries). */
  staticPeers?: string[];
  /** libp2p identity file; defaults to <dataDir>/peer-key. */
  peerKeyFile?: string;
  /** "host:port" for JSON-RPC over HTTP and WebSocket; omitted = no RPC server. */
  rpcAddress?: string;
  /** Mounts the admin_ RPC namespace (peer block/unblock for partition tests). Off by default. */
  enableAdminRpc?: boolean;
  /** JSON-RPC limits besides the defaults (config `rpc.max_body_bytes`, `max_batch`, `max_connections`). */
  rpcLimits?: Partial<RpcLimits>;
  /** p2p limits besides the defaults (config `p2p.max_peers` sets `maxConnections`). */
  p2pLimits?: P2pLimitsOverrides;
  /** Where equivocation evidence goes: the L1 Slashing contract, paid by a reporter key. */
  evidenceReporter?: { l1RpcUrl: string; slashing: `0x${string}`; reporterKeyFile: string };
  /** L1 epochs (required when genesis sets consensus.epochLengthRounds): see epoch-manager.ts. */
  l1Epochs?: L1EpochConfig;
}

export interface ValidatorNodeModules {
  genesis: Genesis;
  /** BLS secret key of this validator; absent = observer that follows but never signs. */
  blsSecretKey?: Uint8Array;
  log?: Log;
  /** Builds the leader's mini-block payload; defaults to the mempool's best transactions. */
  payloads?: PayloadSource;
  /** The node cannot go on (e.g. execution of a committed mini-block failed); the host should stop it. */
  onFatal?: (error: Error) => void;
  /** Called for each committed block, in order, after it is queued for storage. */
  onCommitted?: (sequence: bigint, block: Block, qc: QuorumCertificate) => void;
}

export interface NodeStatus {
  peerId: string;
  validatorIndex: number | null;
  epoch: number;
  round: number;
  committedRound: number;
  committedBlocks: string;
  peers: number;
  listen: string[];
  metrics: string | null;
  rpc: string | null;
  evmBlockNumber: string;
  mempoolSize: number;
}

/**
 * Composition root of a validator: opens the database and the safety file, restores the consensus
 * core from them, starts libp2p and the consensus host, and records committed mini-blocks. It owns
 * no protocol rule: those live in src/consensus.
 */
export class ValidatorNode {
  private readonly opts: ValidatorNodeOpts;
  private readonly modules: ValidatorNodeModules;
  private readonly log: Log;
  private readonly bundle: MetricsBundle;
  private store: ChainStore | undefined;
  private commitLog: CommitLog | undefined;
  private core: ConsensusCore | undefined;
  private host: ConsensusHost | undefined;
  private p2p: P2pHost | undefined;
  private metricsServer: MetricsServer | undefined;
  private metricsUrl: string | null = null;
  private rpcUrl: string | null = null;
  private chain: NodeChain | undefined;
  private txGossip: TxGossip | undefined;
  private txForward: TxForwarder | undefined;
  private rpcServer: RpcServer | undefined;
  private evidence: EvidenceSubmitter | undefined;
  private selfIndex: number | null = null;
  private epochs: EpochManager | undefined;
  /** Fetches whole epochs missed (joined late, long outage) without waiting for gossip. */
  private epochSync: EpochSync | undefined;
  /** Validator index -> libp2p peer of the current epoch's set (the host reads it live). */
  private readonly validatorPeers = new Map<number, string>();
  /** Recent epochs' sets for RPC: the genesis one and those read from L1. */
  private readonly sets = new Map<number, { l1Block: bigint; validators: readonly ValidatorInfo[] }>();

  constructor(opts: ValidatorNodeOpts, modules: ValidatorNodeModules) {
    this.opts = opts;
    this.modules = modules;
    this.log = modules.log ?? silentLogger;
    this.bundle = createMetrics();
  }

  async start(): Promise<void> {
    const { genesis } = this.modules;
    mkdirSync(this.opts.dataDir, { recursive: true });
    const store = await ChainStore.open({ path: join(this.opts.dataDir, "db") });
    this.store = store;
    await this.checkGenesis(store);
    const commitLog = new CommitLog({}, { store });
    this.commitLog = commitLog;

    const snapshot = commitLog.loadSnapshot();
    const cons = genesis.json.consensus;
    const epochLengthRounds = cons.epochLengthRounds ?? 0;
    if (epochLengthRounds > 0 && this.opts.l1Epochs === undefined) {
      throw new NodeError(
        "NO_L1",
        "genesis has L1 epochs (consensus.epochLengthRounds): give the L1 RPC (--l1-rpc) and the StakingManager",
      );
    }
    if (epochLengthRounds === 0)
      this.log.info({}, "no epochLengthRounds in genesis: one epoch, no L1 follower");
    const currentSet = snapshot?.validators ?? genesis.validators;
    this.sets.set(genesis.json.epoch ?? 0, {
      l1Block: BigInt(genesis.json.l1?.anchorBlock ?? 0),
      validators: genesis.validators,
    });
    if (snapshot) this.sets.set(snapshot.epoch, { l1Block: 0n, validators: snapshot.validators });
    let signer: BlsSigner | undefined;
    if (this.modules.blsSecretKey) {
      signer = new BlsSigner(this.modules.blsSecretKey);
      const pub = Buffer.from(signer.pubkey);
      const index = currentSet.findIndex((v) => pub.equals(Buffer.from(v.pubkey)));
      // With L1 epochs a key outside the current set may join later: it follows until then.
      if (index < 0 && epochLengthRounds > 0) {
        this.log.info(
          {},
          "this BLS key is not in the current validator set: following until an epoch adds it",
        );
      } else if (index < 0) {
        throw new NodeError(
          "NOT_A_VALIDATOR",
          `BLS key 0x${pub.toString("hex")} is not in the genesis validator set; run as an observer without a key`,
        );
      }
      this.selfIndex = index < 0 ? null : index;
    }

    const safety = new SafetyFile({ path: join(this.opts.dataDir, SAFETY_FILE_NAME) });
    const restoredSafety = safety.load();
    const genesisEpoch = genesis.json.epoch ?? 0;
    const coreOpts: ConsensusOpts = {
      chainId: genesis.json.chainId,
      epoch: genesisEpoch,
      validators: genesis.validators,
      selfIndex: genesis.validators.findIndex((v) => signer && Buffer.from(v.pubkey).equals(signer.pubkey)),
      ...(signer ? { selfPubkey: signer.pubkey } : {}),
      timing: {
        baseTimeoutMs: cons.baseTimeoutMs,
        backoffFactor: cons.backoffFactor,
        maxTimeoutMs: cons.maxTimeoutMs,
      },
      leaderTermRounds: cons.leaderTermRounds,
      reputationWindow: cons.reputationWindow,
      epochLengthRounds,
    };
    if (coreOpts.selfIndex !== null && coreOpts.selfIndex < 0) coreOpts.selfIndex = null;
    const core = new ConsensusCore(coreOpts, {
      scheme: new BlsScheme(),
      ...(signer ? { signer } : {}),
      ...(epochLengthRounds > 0
        ? { proposalCheck: (block, parent) => this.epochs?.check(block, parent) ?? null }
        : {}),
      restored: {
        safety: restoredSafety ?? initialSafetyData(genesisEpoch),
        ...(snapshot ? { snapshot } : {}),
      },
    });
    this.core = core;
    this.log.info(
      {
        validatorIndex: this.selfIndex,
        restoredSafety: restoredSafety !== undefined,
        restoredSnapshot: snapshot !== undefined,
        committedBlocks: commitLog.length.toString(),
      },
      "node state opened",
    );

    let reporterWallet: NonNullable<Awaited<ReturnType<typeof connectL1>>["walletClient"]> | undefined;
    if (this.opts.evidenceReporter) {
      const r = this.opts.evidenceReporter;
      const l1 = await connectL1(r.l1RpcUrl, loadL1Account(r.reporterKeyFile));
      reporterWallet = l1.walletClient;
      this.evidence = new EvidenceSubmitter(
        { slashing: r.slashing },
        {
          publicClient: l1.publicClient,
          walletClient: l1.walletClient as NonNullable<typeof l1.walletClient>,
          log: this.log,
          metrics: this.bundle.metrics.l1,
        },
      );
    }

    if (epochLengthRounds > 0 && this.opts.l1Epochs) {
      this.epochs = createEpochManager(this.opts.l1Epochs, {
        genesis,
        log: this.log,
        metrics: this.bundle.metrics.l1,
        ...(reporterWallet ? { wallet: reporterWallet } : {}),
        chainTo: (root) => core.blocksForFetch(core.status().epoch, core.status().committedRound, root),
        currentEpoch: () => core.status().epoch,
        redeliver: (block) =>
          this.host?.submit({
            type: "message",
            nowMs: Date.now(),
            from: block.header.proposerIndex,
            message: { kind: "proposal", block },
          }),
        onSet: (set) => this.enterEpoch(set.epoch, set.l1Block, set.validators),
      });
      this.epochs.restoreCommitted(
        commitLog.length > 0n ? await commitLog.blockAt(commitLog.length - 1n) : undefined,
      );
    }

    const chain = await NodeChain.create(
      {
        chainId: BigInt(genesis.json.chainId),
        fork: "prague",
        // Per ~1 s EVM block: 30M capped the chain at ~1,400 native transfers/s (e2e bench).
        gasLimit: 150_000_000n,
        genesisTimestampMs: genesis.json.timestampMs,
        alloc: Object.entries(genesis.json.alloc).map(([address, balance]) => ({
          address: address.toLowerCase() as Hex,
          balance: BigInt(balance),
        })),
        blockTimeUs: 1_000_000n,
        validatorAddresses: genesis.validators.map((v) => v.address as Hex),
      },
      {
        broadcastTx: (raw) => this.txGossip?.send(raw),
        requestPreconfirmation: (raw, hash) => this.txForward?.request(raw, hash),
        // The validator index can change at an epoch change: read it live.
        leader: {
          selfIndex: () => this.selfIndex ?? -1,
          // The node that builds the next proposal executes arrivals into it (preconfirmations).
          leading: () => this.selfIndex !== null && core.nextLeader() === this.selfIndex,
        },
        consensusStatus: () => this.consensusStatus(),
        validatorSet: (epoch) => this.validatorSet(epoch),
        admin: {
          peers: async () => {
            const p2p = this.p2pHost;
            const blocked = new Set(p2p.gater.blockedPeers());
            const connected = p2p.peers().map((peerId) => ({ peerId, addresses: [], blocked: false }));
            return [
              ...connected,
              ...[...blocked].map((peerId) => ({ peerId, addresses: [], blocked: true })),
            ];
          },
          blockPeer: (peerId) => this.p2pHost.block(peerId),
          unblockPeer: async (peerId) => {
            await this.p2pHost.unblock(peerId);
          },
        },
        metrics: this.bundle.metrics,
        log: this.log,
      },
    );
    this.chain = chain;
    await this.replay(commitLog, chain);

    const knownPeers = new Map(
      genesis.json.validators.map((v) => [v.blsPubkey.slice(2).toLowerCase(), v.peerId]),
    );
    for (const [i, peer] of peersOfSet(currentSet, knownPeers)) this.validatorPeers.set(i, peer);
    const genesisIndex = coreOpts.selfIndex;
    const selfPeer = genesisIndex === null ? undefined : genesis.json.validators[genesisIndex].peerId;
    const staticPeers = [
      ...genesis.json.validators.filter((v) => v.peerId !== selfPeer).map((v) => v.multiaddr),
      ...(this.opts.staticPeers ?? []),
    ];

    // Answers peers' catch-up requests for any epoch seen, from LevelDB for the ended ones.
    const catchUp = new EpochCatchUpServer({}, { core, commitLog, store, log: this.log });
    const p2p = new P2pHost(
      {
        chainId: genesis.json.chainId,
        listen: this.opts.listen,
        staticPeers,
        peerKeyFile: this.opts.peerKeyFile ?? join(this.opts.dataDir, "peer-key"),
        ...(this.opts.p2pLimits ? { limits: this.opts.p2pLimits } : {}),
      },
      {
        status: () => ({
          chainId: genesis.json.chainId,
          genesisHash: genesis.hash,
          epoch: BigInt(core.status().epoch),
          committedHeight: commitLog.length,
          committedHash: core.status().committedRoot,
        }),
        blocksByRange: (req) => catchUp.answer(req),
        metrics: this.bundle.metrics,
        log: this.log,
      },
    );
    this.p2p = p2p;
    const host = new ConsensusHost(
      // Own index: null, as the core never sends to itself and the index may change per epoch.
      { selfIndex: epochLengthRounds > 0 ? null : this.selfIndex, validatorPeers: this.validatorPeers },
      {
        core,
        p2p,
        safety,
        payloads: withL1Origin(
          this.modules.payloads ?? mempoolPayloads(chain, core, () => this.selfIndex ?? 0),
          this.epochs,
        ),
        onCommit: (blocks, qc, snapshot, decidedAtMs) => this.onCommit(blocks, qc, snapshot, decidedAtMs),
        onEpochChanged: (epoch) => void catchUp.keep(epoch - 1),
        onRoundEntered: () => {
          if (this.selfIndex !== null && core.nextLeader() === this.selfIndex) chain.startBuilding();
        },
        onEvidence: (evidence) => {
          this.evidence?.submit(evidence).then(
            (outcome) => this.log.warn({ outcome }, "evidence sent to L1"),
            (error: unknown) => this.log.error({ err: String(error) }, "evidence submission failed"),
          );
        },
        metrics: this.bundle.metrics,
        log: this.log,
      },
    );
    this.host = host;
    host.attach();
    if (this.epochs) this.epochSync = this.createEpochSync(core, p2p, host);
    const txGossip = new TxGossip(
      { flushMs: 5, maxBatchBytes: 256 * 1024, chainId: genesis.json.chainId },
      { p2p, admitBatch: (raws) => chain.admitRaws(raws), log: this.log },
    );
    this.txGossip = txGossip;
    txGossip.attach();
    await p2p.start();
    await txGossip.start();
    if (selfPeer !== undefined && p2p.peerId !== selfPeer) {
      // Genesis peer ids only route direct votes; others reach this validator through gossip.
      this.log.warn(
        { peerId: p2p.peerId, genesisPeerId: selfPeer },
        "this node's peer id differs from its genesis entry (wrong data dir?): direct votes go to the genesis peer",
      );
    }

    this.txForward = new TxForwarder(
      { chainId: genesis.json.chainId },
      {
        libp2p: () => p2p.libp2p,
        chain,
        // The next proposer first: it executes the tx on arrival into the mini-block it proposes.
        peers: () => leaderFirst(p2p.peers(), this.validatorPeers.get(core.nextLeader() ?? -1)),
        log: this.log,
      },
    );
    await this.txForward.start();

    if (this.opts.metricsAddress !== undefined) {
      const health = new HealthChecks();
      health.register(
        "peers",
        minPeersCheck(() => p2p.peers().length, 1),
      );
      this.metricsServer = new MetricsServer(
        { address: this.opts.metricsAddress },
        { registry: this.bundle.registry, health },
      );
      const { host: mh, port } = await this.metricsServer.start();
      this.metricsUrl = `http://${mh}:${port}`;
    }
    if (this.opts.rpcAddress !== undefined) {
      const { host: rh, port: rp } = parseHostPort(this.opts.rpcAddress);
      this.rpcServer = new RpcServer(
        {
          host: rh,
          port: rp,
          enableAdmin: this.opts.enableAdminRpc ?? false,
          clientVersion: "megaseq/0.1.0",
          ...(this.opts.rpcLimits ? { limits: this.opts.rpcLimits } : {}),
        },
        {
          backend: chain,
          onInternalError: (method, error) =>
            this.log.error({ method, err: String(error) }, "rpc handler failed"),
        },
      );
      this.rpcUrl = (await this.rpcServer.start()).url;
    }
    this.epochs?.start();
    host.start();
    if (core.status().awaitingValidatorSet) this.epochs?.resumeBoundary(core.status().epoch);
    this.epochSync?.kick();
  }

  /** Switches consensus to the next epoch's set, read from L1, and routes votes to its peers. */
  private enterEpoch(epoch: number, l1Block: bigint, validators: readonly ValidatorInfo[]): void {
    const knownPeers = new Map(
      this.modules.genesis.json.validators.map((v) => [v.blsPubkey.slice(2).toLowerCase(), v.peerId]),
    );
    this.validatorPeers.clear();
    for (const [i, peer] of peersOfSet(validators, knownPeers)) this.validatorPeers.set(i, peer);
    this.host?.refreshValidatorPeers();
    this.sets.set(epoch, { l1Block, validators });
    for (const old of this.sets.keys()) if (this.sets.size > 4) this.sets.delete(old);
    const pub = this.modules.blsSecretKey
      ? Buffer.from(new BlsSigner(this.modules.blsSecretKey).pubkey)
      : undefined;
    const index = pub === undefined ? -1 : validators.findIndex((v) => pub.equals(Buffer.from(v.pubkey)));
    this.selfIndex = index < 0 ? null : index;
    this.host?.submit({ type: "validatorSet", nowMs: Date.now(), epoch, validators });
    this.epochSync?.kick();
    this.log.info(
      { epoch, l1Block: l1Block.toString(), validators: validators.length, validatorIndex: this.selfIndex },
      "entered a new epoch with the validator set from L1",
    );
  }

  private createEpochSync(core: ConsensusCore, p2p: P2pHost, host: ConsensusHost): EpochSync {
    const sync = new EpochSync(
      { batch: 64, statusRefreshMs: 1_000 },
      {
        p2p,
        where: () => core.status(),
        validatorOf: (peer) => [...this.validatorPeers].find(([, p]) => p === peer)?.[0],
        deliver: (from, { blocks, qc }) =>
          host.submit({ type: "blocksFetched", nowMs: Date.now(), from, blocks, ...(qc ? { qc } : {}) }),
        log: this.log,
      },
    );
    p2p.onPeerStatus((_peer, status) => sync.onPeerStatus(status.epoch));
    return sync;
  }

  /** Re-executes the committed mini-blocks of the commit log: state is rebuilt, not stored. */
  private async replay(commitLog: CommitLog, chain: NodeChain): Promise<void> {
    const total = commitLog.length;
    for (let seq = 0n; seq < total; seq++) {
      const block = await commitLog.blockAt(seq);
      if (block === undefined) break;
      await chain.applyCommitted(seq, block, block.header.proposerIndex);
    }
    if (total > 0n) this.log.info({ miniBlocks: total.toString() }, "replayed committed mini-blocks");
  }

  private consensusStatus(): ConsensusStatusData {
    const s = (this.core as ConsensusCore).status();
    const leader =
      this.sets.get(s.epoch)?.validators[s.leader]?.address ?? "0x0000000000000000000000000000000000000000";
    return {
      epoch: BigInt(s.epoch),
      round: BigInt(s.round),
      leader: leader as Hex,
      highQc: {
        round: BigInt(s.highQcRound),
        blockId: `0x${Buffer.from(s.committedRoot).toString("hex")}` as Hex,
      },
      highTcRound: null,
      lastVotedRound: BigInt(s.lastVotedRound),
      committedRound: BigInt(s.committedRound),
      isLeader: s.leader === this.selfIndex,
    };
  }

  private validatorSet(epoch: bigint | undefined): ValidatorSetData | null {
    const wanted = epoch === undefined ? (this.core as ConsensusCore).status().epoch : Number(epoch);
    const set = this.sets.get(wanted);
    if (set === undefined) return null;
    const validators = set.validators;
    return {
      epoch: BigInt(wanted),
      l1AnchorBlock: set.l1Block,
      totalVotingPower: validators.reduce((sum, v) => sum + v.votingPower, 0n),
      validators: validators.map((v) => ({
        address: v.address as Hex,
        blsPubkey: `0x${Buffer.from(v.pubkey).toString("hex")}` as Hex,
        votingPower: v.votingPower,
      })),
    };
  }

  status(): NodeStatus {
    if (!this.core || !this.p2p || !this.commitLog) throw new NodeError("NOT_STARTED", "node not started");
    const s = this.core.status();
    return {
      peerId: this.p2p.peerId,
      validatorIndex: this.selfIndex,
      epoch: s.epoch,
      round: s.round,
      committedRound: s.committedRound,
      committedBlocks: this.commitLog.length.toString(),
      peers: this.p2p.peers().length,
      listen: this.p2p.multiaddrs(),
      metrics: this.metricsUrl,
      rpc: this.rpcUrl,
      evmBlockNumber: (this.chain as NodeChain).heads().committed.toString(),
      mempoolSize: (this.chain as NodeChain).mempool.size,
    };
  }

  get p2pHost(): P2pHost {
    if (!this.p2p) throw new NodeError("NOT_STARTED", "node not started");
    return this.p2p;
  }

  async stop(): Promise<void> {
    this.epochSync?.stop();
    this.host?.stop();
    await this.epochs?.stop();
    this.txGossip?.stop();
    this.txForward?.stop();
    await this.rpcServer?.stop();
    await this.metricsServer?.stop();
    await this.p2p?.stop();
    await this.chain?.close();
    await this.commitLog?.flushed().catch((error: unknown) => {
      this.log.error({ err: String(error) }, "committed blocks were not all written");
    });
    await this.store?.close();
  }

  private onCommit(
    blocks: CommittedBlock[],
    qc: QuorumCertificate,
    snapshot: CoreSnapshot,
    decidedAtMs: number,
  ): void {
    const commitLog = this.commitLog as CommitLog;
    const numbered = commitLog.append(blocks, snapshot);
    this.epochs?.onCommitted(blocks.map((b) => b.block));
    const consensusMetrics = this.bundle.metrics.consensus;
    consensusMetrics.committedHeight.set(Number(commitLog.length));
    // Proposal time to the commit decision here (as before commits were applied after the vote
    // they came with): leaders stamp payloads with their wall clock in µs.
    const nowUs = decidedAtMs * 1000;
    for (const b of blocks) {
      const latencyS = (nowUs - b.block.payload.timestampUs) / 1e6;
      if (latencyS >= 0) consensusMetrics.commitLatency.observe(latencyS);
    }
    for (const { sequence, block } of numbered) {
      this.log.debug({ sequence: sequence.toString(), round: block.header.round }, "committed");
      (this.chain as NodeChain)
        .applyCommitted(sequence, block, block.header.proposerIndex)
        .catch((error: unknown) => {
          // Execution is deterministic and every later mini-block builds on this one: serving
          // state past a failed mini-block would be serving a wrong chain. Stop loudly instead.
          this.log.fatal(
            { err: String(error), sequence: sequence.toString() },
            "execution of a committed mini-block failed",
          );
          this.modules.onFatal?.(error as Error);
        });
      this.modules.onCommitted?.(sequence, block, qc);
    }
  }

  private async checkGenesis(store: ChainStore): Promise<void> {
    const saved = store.getMetaSync("genesisHash");
    const hash = this.modules.genesis.hash;
    if (saved === undefined) {
      await store.putMeta("genesisHash", hash);
      return;
    }
    if (!Buffer.from(saved).equals(Buffer.from(hash))) {
      throw new NodeError(
        "GENESIS_MISMATCH",
        `the data dir ${this.opts.dataDir} belongs to another genesis; use a fresh --data-dir`,
      );
    }
  }
}

/**
 * The leader's mini-block: the chain executes the mempool's best transactions as it takes them
 * (each receipt is a preconfirmation), leaving out senders with transactions in the uncommitted
 * blocks this proposal extends.
 */
function mempoolPayloads(chain: NodeChain, core: ConsensusCore, selfIndex: () => number): PayloadSource {
  return {
    build: async (req) => {
      const { committedRound } = core.status();
      const ancestors = core.blocksForFetch(req.epoch, committedRound, req.parentRoot);
      const timestampUs = Date.now() * 1000;
      const txs = await chain.buildPayload({ timestampUs, proposerIndex: selfIndex(), ancestors });
      return {
        payload: { timestampUs, l1OriginNumber: 0, l1OriginHash: new Uint8Array(32), deposits: [], txs },
        stateBlockNumber: 0,
        stateRoot: new Uint8Array(32),
      };
    },
  };
}
