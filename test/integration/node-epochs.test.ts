import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, parseUnits } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANVIL_DEV_KEYS, type AnvilHandle, startAnvil } from "../../src/l1/anvil.ts";
import { StakingManagerAbi } from "../../src/l1/artifacts.ts";
import { connectL1, type L1Clients } from "../../src/l1/clients.ts";
import { type Deployment, deployToRpc } from "../../src/l1/deploy.ts";
import {
  fundOperator,
  genesisOnL1,
  operatorAddress,
  registerFunded,
  registerValidators,
} from "../../src/node/devnet-l1.ts";
import { scrapeMetrics } from "../../src/node/devnet-metrics.ts";
import {
  createLocalNetwork,
  DEFAULT_CONSENSUS,
  freePort,
  type LocalNetwork,
  type LocalValidator,
} from "../../src/node/local-network.ts";
import { SafetyFile } from "../../src/node/safety-file.ts";
import { SAFETY_FILE_NAME } from "../../src/node/validator-node.ts";
import { committedHeight, logTail, metric, startTestNode, type TestNode, waitUntil } from "./node-helpers.ts";

/** Whether the node's safety file records a vote in `epoch` or later. */
function votedSince(dataDir: string, epoch: number): boolean {
  const file = new SafetyFile({ path: join(dataDir, SAFETY_FILE_NAME) });
  try {
    const data = file.load();
    return data !== undefined && data.epoch >= epoch && data.lastVotedRound > 0;
  } finally {
    file.close();
  }
}

/** One labelled sample, e.g. ('megaseq_l1_evidence_submitted_total', 'result="slashed"'); 0 if absent. */
async function labeledMetric(url: string, name: string, label: string): Promise<number> {
  const text = (await scrapeMetrics(url)) ?? "";
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(label));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

const L2_CHAIN_ID = 4343;
/** L1 epochs of 10 blocks at 0.5 s: a StakingManager epoch every ~5 s. */
const L1_EPOCH_BLOCKS = 10n;
/**
 * Consensus epochs shorter than L1's: a network that started behind L1's epoch number catches up
 * (its sets are frozen already), then waits at each boundary for L1 to freeze the next set.
 */
const EPOCH_ROUNDS = 10;
/** The validator (local index, not node 0, the reporter) that gets a Twins duplicate. */
const VICTIM = 3;

interface SetEntry {
  address: string;
}

/**
 * Epochs from L1 with real processes: anvil (interval mining) with the MEGA contracts, four
 * genesis validators plus a fifth that registers and stakes on L1 while the network runs, all
 * `megaseq node` processes reading each epoch's set from the StakingManager. Then a Twins-style
 * duplicate of one validator (same BLS key, another peer key and data dir) equivocates: node 0
 * reports it to the Slashing contract, L1 slashes it, and the next epoch's set leaves it out.
 * Last, a validator killed while the network passes two epoch boundaries catches up across them.
 */
describe("megaseq node: epochs from L1", () => {
  let dir: string;
  let anvil: AnvilHandle;
  let l1: L1Clients;
  let deployment: Deployment;
  let net: LocalNetwork;
  let genesisFile: string;
  const nodes: TestNode[] = [];
  let twin: TestNode | undefined;
  /** Nodes without the slashed validator's. */
  const honest = (): TestNode[] => nodes.filter((n) => n.index !== VICTIM);
  const rpcUrls = new Map<number, string>();

  const rpc = async <T>(url: string, method: string, params: unknown[] = []): Promise<T> => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const body = (await res.json()) as { result?: T; error?: { message: string } };
    if (body.error) throw new Error(body.error.message);
    return body.result as T;
  };

  const currentSet = (index: number): Promise<{ epoch: string; validators: SetEntry[] }> =>
    rpc(rpcUrls.get(index) as string, "mega_validatorSet", []);

  const epochOf = async (n: TestNode): Promise<number> =>
    (await metric(n.metricsUrl, "megaseq_consensus_epoch")) ?? -1;

  const failWithLogs = (which: TestNode[]) => (error: Error) => {
    throw new Error(
      `${error.message}\n${which.map((n) => `node ${n.index}: ${logTail(n.logFile, 800)}`).join("\n")}`,
    );
  };

  const startNode = async (
    v: LocalValidator,
    opts: { name?: string; dataDir?: string; reporter?: boolean } = {},
  ): Promise<TestNode> => {
    const rpcPort = await freePort();
    const name = opts.name ?? `node${v.index}`;
    const extraArgs = ["--l1-rpc", anvil.rpcUrl, "--l1-confirmations", "1", "--l1-poll-ms", "150"];
    if (opts.reporter) {
      const keyFile = join(dir, "reporter.key");
      writeFileSync(keyFile, `${ANVIL_DEV_KEYS[1]}\n`, { mode: 0o600 });
      extraArgs.push("--slashing", deployment.contracts.Slashing, "--reporter-key", keyFile);
    }
    const node = startTestNode(v.index, {
      genesisFile,
      dataDir: opts.dataDir ?? v.dataDir,
      keystoreFile: v.keystoreFile,
      passwordFile: v.passwordFile,
      p2pPort: opts.dataDir ? await freePort() : v.p2pPort,
      metricsPort: opts.dataDir ? await freePort() : v.metricsPort,
      rpcPort,
      logFile: join(dir, `${name}.log`),
      logLevel: process.env.MEGASEQ_TEST_LOG_LEVEL ?? "info",
      extraArgs,
    });
    rpcUrls.set(opts.dataDir ? 100 + v.index : v.index, `http://127.0.0.1:${rpcPort}`);
    return node;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "megaseq-epochs-"));
    anvil = await startAnvil({ blockTime: 0.5 });
    const deployer = privateKeyToAccount(ANVIL_DEV_KEYS[0]);
    deployment = await deployToRpc(anvil.rpcUrl, deployer, {
      l2ChainId: BigInt(L2_CHAIN_ID),
      rewardReserve: parseUnits("1000", 18),
      staking: { epochLength: L1_EPOCH_BLOCKS },
    });
    l1 = await connectL1(anvil.rpcUrl);
    net = await createLocalNetwork({
      dir,
      validators: 5,
      chainId: L2_CHAIN_ID,
      seed: "node-epochs-test",
      address: operatorAddress,
    });
    // Validators 0..3 are in genesis; validator 4 registers later, while the network runs.
    const registered = await registerValidators(
      anvil.rpcUrl,
      ANVIL_DEV_KEYS[0],
      deployment,
      net.validators.slice(0, 4),
      () => {},
    );
    const genesis = genesisOnL1({
      chainId: L2_CHAIN_ID,
      rpcUrl: anvil.rpcUrl,
      deployment,
      registered,
      validators: net.validators,
      consensus: {
        ...DEFAULT_CONSENSUS,
        baseTimeoutMs: 600,
        maxTimeoutMs: 3_000,
        epochLengthRounds: EPOCH_ROUNDS,
      },
    });
    genesisFile = join(dir, "epochs-genesis.json");
    writeFileSync(genesisFile, `${JSON.stringify(genesis, null, 2)}\n`);
    // The joiner's operator holds its MEGA already; it registers while the network runs.
    await fundOperator(anvil.rpcUrl, ANVIL_DEV_KEYS[0], deployment, net.validators[4]);
    for (const v of net.validators.slice(0, 4)) nodes.push(await startNode(v, { reporter: v.index === 0 }));
    // The fifth node runs from the start, following (its key is in no set yet), so that it is in
    // step when an epoch adds it. So does the twin: a node does not yet catch up across epochs.
    nodes.push(await startNode(net.validators[4]));
    const twinDir = join(dir, "twin");
    mkdirSync(twinDir, { recursive: true });
    twin = await startNode(net.validators[VICTIM], { name: "twin", dataDir: twinDir });
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...nodes, ...(twin ? [twin] : [])].map((n) => n.stop()));
    await anvil?.stop();
    if (dir && !process.env.MEGASEQ_KEEP_TEST_DIR) rmSync(dir, { recursive: true, force: true });
  });

  it("a Twins duplicate equivocates: reported once to L1, slashed, and out of the next epoch's set", async () => {
    // The twin (same BLS key, another peer key and data dir) runs since the start: whenever the
    // victim leads a round, the two propose different mini-blocks for it.
    const victimAddress = operatorAddress(VICTIM);
    await waitUntil(
      "the victim tombstoned on L1",
      async () => {
        const info = (await l1.publicClient.readContract({
          address: deployment.contracts.StakingManager,
          abi: StakingManagerAbi,
          functionName: "getValidator",
          args: [victimAddress as Address],
        })) as { tombstoned: boolean };
        return info.tombstoned;
      },
      60_000,
      250,
    ).catch(failWithLogs(nodes));
    // Exactly one slashing transaction, sent by node 0's reporter key.
    const slashed = await waitUntil(
      "node 0 counts its slashing transaction",
      async () => {
        const n = await labeledMetric(
          nodes[0].metricsUrl,
          "megaseq_l1_evidence_submitted_total",
          'result="slashed"',
        );
        return n > 0 ? n : undefined;
      },
      10_000,
      200,
    );
    expect(slashed).toBe(1);

    const victimLower = victimAddress.toLowerCase();
    const genesisHonest = honest().filter((n) => n.index !== 4);
    await waitUntil(
      "the victim out of every honest node's set",
      async () => {
        const sets = await Promise.all(genesisHonest.map((n) => currentSet(n.index)));
        return sets.every((s) => !s.validators.some((v) => v.address.toLowerCase() === victimLower));
      },
      60_000,
      200,
    ).catch(failWithLogs(genesisHonest));
    // And the three left still commit.
    const before = (await committedHeight(genesisHonest[0].metricsUrl)) ?? 0;
    await waitUntil(
      "commits go on without the slashed validator",
      async () => ((await committedHeight(genesisHonest[0].metricsUrl)) ?? 0) >= before + 5,
      30_000,
      200,
    ).catch(failWithLogs(genesisHonest));
  }, 120_000);

  it("a validator registered and staked on L1 joins at the next epoch on every node, and votes", async () => {
    const before = await epochOf(nodes[0]);
    const joiner = net.validators[4];
    const joinerAddress = operatorAddress(4).toLowerCase();
    await registerFunded(anvil.rpcUrl, deployment, joiner);

    // Every node (the joiner too) reaches an epoch whose set, read from L1, holds the joiner.
    const joinedEpoch = await waitUntil(
      "the joiner in every node's validator set",
      async () => {
        const sets = await Promise.all(honest().map((n) => currentSet(n.index)));
        if (!sets.every((s) => s.validators.some((v) => v.address.toLowerCase() === joinerAddress)))
          return undefined;
        return Math.max(...sets.map((s) => Number(s.epoch)));
      },
      60_000,
      200,
    ).catch(failWithLogs(honest()));
    expect(joinedEpoch).toBeGreaterThan(before);

    // Its node signs in that epoch: a vote recorded in its safety file, and proposals of its own.
    await waitUntil(
      "the joiner votes and proposes",
      async () => {
        const voted = votedSince(joiner.dataDir, joinedEpoch);
        const proposed = await labeledMetric(
          nodes[4].metricsUrl,
          "megaseq_consensus_proposals_total",
          'direction="out"',
        );
        return voted && proposed > 0;
      },
      30_000,
      200,
    ).catch(failWithLogs(honest()));
  }, 120_000);

  it("a validator down while the network passes two epoch boundaries catches up across them and votes again", async () => {
    const downIndex = nodes.findIndex((n) => n.index === 1);
    const down = nodes[downIndex];
    const epochAtKill = await epochOf(down);
    await down.kill9();
    await waitUntil(
      "the others two epochs further",
      async () => (await epochOf(nodes[0])) >= epochAtKill + 2,
      60_000,
      200,
    ).catch(failWithLogs(honest()));
    const restarted = down.restart();
    nodes[downIndex] = restarted;
    const target = await epochOf(nodes[0]);
    // It fetches the rest of each epoch it missed from its peers (with the QC that ended it),
    // reads the next set from L1, and so on until it is in step.
    await waitUntil(
      "the restarted node in the network's epoch",
      async () => (await epochOf(restarted)) >= target,
      60_000,
      200,
    ).catch(failWithLogs([restarted, nodes[0]]));
    const heightThen = (await committedHeight(restarted.metricsUrl)) ?? 0;
    await waitUntil(
      "the restarted node commits and votes in the current epoch",
      async () => {
        return (
          votedSince(restarted.dataDir, target) &&
          ((await committedHeight(restarted.metricsUrl)) ?? 0) > heightThen
        );
      },
      30_000,
      200,
    ).catch(failWithLogs([restarted, nodes[0]]));
  }, 150_000);
});
