import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  BlsScheme,
  BlsSigner,
  type CommittedBlock,
  ConsensusCore,
  type ConsensusOpts,
  initialSafetyData,
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
import type { ConsensusStatusData, ValidatorSetData } from "../rpc/backend.ts";
import { RpcServer } from "../rpc/index.ts";
import { ChainStore } from "../storage/index.ts";
import type { Block, QuorumCertificate } from "../types/index.ts";
import { CodedError } from "../util/coded-error.ts";
import { CommitLog } from "./commit-log.ts";
import { ConsensusHost, type PayloadSource } from "./consensus-host.ts";
import { encodeBlock } from "./consensus-wire.ts";
import type { Genesis } from "./genesis.ts";
import { type Log, silentLogger } from "./logger.ts";
import { NodeChain } from "./node-chain.ts";
import { SafetyFile } from "./safety-file.ts";
import { TxForwarder } from "./tx-forward.ts";
import { TxGossip } from "./tx-gossip.ts";

/** The safety record inside a data dir (binary, two checksummed slots: see SafetyFile). */
export const SAFETY_FILE_NAME = "safety.dat";

export class NodeError extends CodedError<"NOT_A_VALIDATOR" | "GENESIS_MISMATCH" | "NOT_STARTED"> {}

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
  /** Where equivocation evidence goes: the L1 Slashing contract, paid by a reporter key. */
  evidenceReporter?: { l1RpcUrl: string; slashing: `0x${string}`; reporterKeyFile: string };
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

    let signer: BlsSigner | undefined;
    if (this.modules.blsSecretKey) {
      signer = new BlsSigner(this.modules.blsSecretKey);
      const pub = Buffer.from(signer.pubkey);
      const index = genesis.validators.findIndex((v) => pub.equals(Buffer.from(v.pubkey)));
      if (index < 0) {
        throw new NodeError(
          "NOT_A_VALIDATOR",
          `BLS key 0x${pub.toString("hex")} is not in the genesis validator set; run as an observer without a key`,
        );
      }
      this.selfIndex = index;
    }

    const safety = new SafetyFile({ path: join(this.opts.dataDir, SAFETY_FILE_NAME) });
    const restoredSafety = safety.load();
    const snapshot = commitLog.loadSnapshot();
    const cons = genesis.json.consensus;
    const coreOpts: ConsensusOpts = {
      chainId: genesis.json.chainId,
      epoch: 0,
      validators: genesis.validators,
      selfIndex: this.selfIndex,
      timing: {
        baseTimeoutMs: cons.baseTimeoutMs,
        backoffFactor: cons.backoffFactor,
        maxTimeoutMs: cons.maxTimeoutMs,
      },
      leaderTermRounds: cons.leaderTermRounds,
      reputationWindow: cons.reputationWindow,
      epochLengthRounds: 0,
    };
    const core = new ConsensusCore(coreOpts, {
      scheme: new BlsScheme(),
      ...(signer ? { signer } : {}),
      restored: {
        safety: restoredSafety ?? initialSafetyData(0),
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

    if (this.opts.evidenceReporter) {
      const r = this.opts.evidenceReporter;
      const l1 = await connectL1(r.l1RpcUrl, loadL1Account(r.reporterKeyFile));
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

    const chain = await NodeChain.create(
      {
        chainId: BigInt(genesis.json.chainId),
        fork: "prague",
        gasLimit: 30_000_000n,
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
        ...(this.selfIndex === null
          ? {}
          : { leader: { selfIndex: this.selfIndex, leading: () => core.status().leader === this.selfIndex } }),
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

    const validatorPeers = new Map<number, string>();
    for (const [i, v] of genesis.json.validators.entries()) validatorPeers.set(i, v.peerId);
    const selfPeer = this.selfIndex === null ? undefined : genesis.json.validators[this.selfIndex].peerId;
    const staticPeers = [
      ...genesis.json.validators.filter((v) => v.peerId !== selfPeer).map((v) => v.multiaddr),
      ...(this.opts.staticPeers ?? []),
    ];

    const p2p = new P2pHost(
      {
        chainId: genesis.json.chainId,
        listen: this.opts.listen,
        staticPeers,
        peerKeyFile: this.opts.peerKeyFile ?? join(this.opts.dataDir, "peer-key"),
      },
      {
        status: () => ({
          chainId: genesis.json.chainId,
          genesisHash: genesis.hash,
          epoch: BigInt(core.status().epoch),
          committedHeight: commitLog.length,
          committedHash: core.status().committedRoot,
        }),
        blocksByRange: (start, count) => this.blocksAfter(start, count),
        metrics: this.bundle.metrics,
        log: this.log,
      },
    );
    this.p2p = p2p;
    const host = new ConsensusHost(
      { selfIndex: this.selfIndex, validatorPeers },
      {
        core,
        p2p,
        safety,
        payloads: this.modules.payloads ?? mempoolPayloads(chain, core, this.selfIndex ?? 0),
        onCommit: (blocks, qc) => this.onCommit(blocks, qc),
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
    const txGossip = new TxGossip(
      { flushMs: 5, maxBatchBytes: 256 * 1024 },
      { p2p, admitBatch: (raws) => chain.admitRaws(raws), log: this.log },
    );
    this.txGossip = txGossip;
    txGossip.attach();
    await p2p.start();
    if (selfPeer !== undefined && p2p.peerId !== selfPeer) {
      throw new NodeError(
        "GENESIS_MISMATCH",
        `this node's peer id ${p2p.peerId} differs from the genesis entry ${selfPeer} (wrong data dir?)`,
      );
    }

    this.txForward = new TxForwarder(
      { chainId: genesis.json.chainId },
      { libp2p: () => p2p.libp2p, chain, peers: () => p2p.peers(), log: this.log },
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
        },
        {
          backend: chain,
          onInternalError: (method, error) =>
            this.log.error({ method, err: String(error) }, "rpc handler failed"),
        },
      );
      this.rpcUrl = (await this.rpcServer.start()).url;
    }
    host.start();
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
      this.modules.genesis.validators[s.leader]?.address ?? "0x0000000000000000000000000000000000000000";
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
    if (epoch !== undefined && epoch !== 0n) return null;
    const validators = this.modules.genesis.validators;
    return {
      epoch: 0n,
      l1AnchorBlock: BigInt(this.modules.genesis.json.l1?.anchorBlock ?? 0),
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
    this.host?.stop();
    this.txGossip?.stop();
    await this.rpcServer?.stop();
    await this.metricsServer?.stop();
    await this.p2p?.stop();
    await this.chain?.close();
    await this.commitLog?.flushed().catch((error: unknown) => {
      this.log.error({ err: String(error) }, "committed blocks were not all written");
    });
    await this.store?.close();
  }

  private onCommit(blocks: CommittedBlock[], qc: QuorumCertificate): void {
    const core = this.core as ConsensusCore;
    const commitLog = this.commitLog as CommitLog;
    const numbered = commitLog.append(blocks, core.snapshot());
    const consensusMetrics = this.bundle.metrics.consensus;
    consensusMetrics.committedHeight.set(Number(commitLog.length));
    // Proposal time to commit here: leaders stamp payloads with their wall clock in µs.
    const nowUs = Date.now() * 1000;
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

  /** Catch-up answer: committed blocks after `afterRound`, then the uncommitted tree. */
  private async blocksAfter(afterRound: bigint, count: number): Promise<Uint8Array[]> {
    const core = this.core as ConsensusCore;
    if (afterRound > BigInt(Number.MAX_SAFE_INTEGER)) return [];
    const { epoch, committedRound } = core.status();
    const after = Number(afterRound);
    const committed =
      after < committedRound ? await (this.commitLog as CommitLog).blocksAfterRound(epoch, after, count) : [];
    const lastRound = committed.length > 0 ? committed[committed.length - 1].header.round : after;
    const tree = core.blocksForFetch(epoch, Math.max(lastRound, committedRound), null);
    return [...committed, ...tree].slice(0, count).map(encodeBlock);
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
function mempoolPayloads(chain: NodeChain, core: ConsensusCore, selfIndex: number): PayloadSource {
  return {
    build: async (req) => {
      const { committedRound } = core.status();
      const ancestors = core.blocksForFetch(req.epoch, committedRound, req.parentRoot);
      const timestampUs = Date.now() * 1000;
      const txs = await chain.buildPayload({ timestampUs, proposerIndex: selfIndex, ancestors });
      return {
        payload: { timestampUs, l1OriginNumber: 0, l1OriginHash: new Uint8Array(32), deposits: [], txs },
        stateBlockNumber: 0,
        stateRoot: new Uint8Array(32),
      };
    },
  };
}
