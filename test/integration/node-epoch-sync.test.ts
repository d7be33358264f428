import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseUnits } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANVIL_DEV_KEYS, type AnvilHandle, startAnvil } from "../../src/l1/anvil.ts";
import { StakingManagerAbi } from "../../src/l1/artifacts.ts";
import { connectL1 } from "../../src/l1/clients.ts";
import { type Deployment, deployToRpc } from "../../src/l1/deploy.ts";
import {
  fundOperator,
  genesisOnL1,
  operatorAddress,
  registerFunded,
  registerValidators,
} from "../../src/node/devnet-l1.ts";
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

const L2_CHAIN_ID = 4344;
/** L1 epochs of 1 block at 1 s (interval mining takes whole seconds): one epoch per second. */
const L1_EPOCH_BLOCKS = 1n;
const EPOCH_ROUNDS = 10;
/** Boundaries the network passes before the late nodes start. */
const LATE_BY_EPOCHS = 4;
/** A funded L2 account: one transfer makes the state roots compared below non-trivial. */
const PAYER_KEY = ANVIL_DEV_KEYS[5];
const PAYEE = "0x000000000000000000000000000000000000dEaD";

interface EvmBlock {
  number: string;
  hash: string;
  stateRoot: string;
}

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

async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result as T;
}

/**
 * Joining late: the network runs many epochs (sets read from the L1 StakingManager, one of them
 * adding a validator) before a node with an empty data dir starts. It must fetch every epoch it
 * missed from its peers, read each epoch's set from L1 at that epoch's anchor, reach the head with
 * the very same chain, and keep following. Both an observer and the added validator (in the
 * current set, never run before) do it; then, after every serving node has restarted (so past
 * epochs are answered from LevelDB, not memory), a second fresh observer does it again.
 */
describe("megaseq node: a node that joins many epochs late syncs to the head", () => {
  let dir: string;
  let anvil: AnvilHandle;
  let deployment: Deployment;
  let net: LocalNetwork;
  let genesisFile: string;
  let genesisEpoch: number;
  const nodes: TestNode[] = [];
  const late: TestNode[] = [];
  const rpcUrls = new Map<TestNode, string>();

  const epochOf = async (n: TestNode): Promise<number> =>
    (await metric(n.metricsUrl, "megaseq_consensus_epoch")) ?? -1;
  const heightOf = async (n: TestNode): Promise<number> => (await committedHeight(n.metricsUrl)) ?? 0;
  const rpcOf = (n: TestNode): string => rpcUrls.get(n) as string;

  const failWithLogs = (which: TestNode[]) => (error: Error) => {
    throw new Error(
      `${error.message}\n${which.map((n) => `${n.logFile}: ${logTail(n.logFile, 1200)}`).join("\n")}`,
    );
  };

  const startNode = async (
    name: string,
    opts: { v?: LocalValidator; reporter?: boolean; dataDir?: string } = {},
  ): Promise<TestNode> => {
    const { v } = opts;
    const extraArgs = ["--l1-rpc", anvil.rpcUrl, "--l1-confirmations", "1", "--l1-poll-ms", "150"];
    if (opts.reporter) {
      const keyFile = join(dir, "reporter.key");
      writeFileSync(keyFile, `${ANVIL_DEV_KEYS[1]}\n`, { mode: 0o600 });
      extraArgs.push("--reporter-key", keyFile, "--slashing", deployment.contracts.Slashing);
    }
    const rpcPort = await freePort();
    const node = startTestNode(v?.index ?? -1, {
      genesisFile,
      dataDir: opts.dataDir ?? v?.dataDir ?? join(dir, name),
      ...(v ? { keystoreFile: v.keystoreFile, passwordFile: v.passwordFile } : {}),
      p2pPort: v?.p2pPort ?? (await freePort()),
      metricsPort: v?.metricsPort ?? (await freePort()),
      rpcPort,
      logFile: join(dir, `${name}.log`),
      logLevel: process.env.MEGASEQ_TEST_LOG_LEVEL ?? "info",
      extraArgs,
    });
    rpcUrls.set(node, `http://127.0.0.1:${rpcPort}`);
    return node;
  };

  /** Restarts a node with the same options, keeping its RPC URL. */
  const restart = (n: TestNode): TestNode => {
    const again = n.restart();
    rpcUrls.set(again, rpcOf(n));
    return again;
  };

  /** The joiner reaches `leader`'s epoch and committed height, with the same EVM chain. */
  const syncedWith = async (joiner: TestNode, leader: TestNode, what: string): Promise<void> => {
    const [targetEpoch, targetHeight] = [await epochOf(leader), await heightOf(leader)];
    await waitUntil(
      `${what} in the network's epoch ${targetEpoch} at committed height ${targetHeight}`,
      async () => (await epochOf(joiner)) >= targetEpoch && (await heightOf(joiner)) >= targetHeight,
      60_000,
      100,
    ).catch(failWithLogs([joiner, leader]));
    // The same EVM chain: the joiner's newest block has the leader's hash and state root.
    const head = await rpc<string>(rpcOf(joiner), "eth_blockNumber");
    const [mine, theirs] = await Promise.all(
      [joiner, leader].map((n) => rpc<EvmBlock | null>(rpcOf(n), "eth_getBlockByNumber", [head, false])),
    );
    expect(mine?.hash).toBeDefined();
    expect(mine?.hash).toBe(theirs?.hash);
    expect(mine?.stateRoot).toBe(theirs?.stateRoot);
    // And it keeps following.
    const then = await heightOf(joiner);
    await waitUntil(
      "it keeps committing",
      async () => (await heightOf(joiner)) > then + 3,
      15_000,
      100,
    ).catch(failWithLogs([joiner, leader]));
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "megaseq-epoch-sync-"));
    // Automine while setting up L1 (fast), interval mining once the network runs.
    anvil = await startAnvil();
    const deployer = privateKeyToAccount(ANVIL_DEV_KEYS[0]);
    deployment = await deployToRpc(anvil.rpcUrl, deployer, {
      l2ChainId: BigInt(L2_CHAIN_ID),
      rewardReserve: parseUnits("1000", 18),
      staking: { epochLength: L1_EPOCH_BLOCKS },
    });
    net = await createLocalNetwork({
      dir,
      validators: 5,
      chainId: L2_CHAIN_ID,
      seed: "node-epoch-sync-test",
      address: operatorAddress,
    });
    const registered = await registerValidators(
      anvil.rpcUrl,
      ANVIL_DEV_KEYS[0],
      deployment,
      net.validators.slice(0, 4),
      () => {},
    );
    genesisEpoch = Number(registered.epoch);
    const genesis = genesisOnL1({
      chainId: L2_CHAIN_ID,
      rpcUrl: anvil.rpcUrl,
      deployment,
      registered,
      validators: net.validators,
      alloc: { [privateKeyToAccount(PAYER_KEY).address]: (10n ** 21n).toString() },
      consensus: {
        ...DEFAULT_CONSENSUS,
        baseTimeoutMs: 600,
        maxTimeoutMs: 3_000,
        epochLengthRounds: EPOCH_ROUNDS,
      },
    });
    genesisFile = join(dir, "genesis.json");
    writeFileSync(genesisFile, `${JSON.stringify(genesis, null, 2)}\n`);
    // Validator 4 registers now: it is in the sets of the epochs to come, but its node never ran.
    await fundOperator(anvil.rpcUrl, ANVIL_DEV_KEYS[0], deployment, net.validators[4]);
    await registerFunded(anvil.rpcUrl, deployment, net.validators[4]);
    // Freeze a set with it now (the next L1 epoch's), so it enters consensus a few epochs in.
    const l1 = await connectL1(anvil.rpcUrl, deployer);
    const wallet = l1.walletClient as NonNullable<typeof l1.walletClient>;
    await l1.publicClient.waitForTransactionReceipt({
      hash: await wallet.writeContract({
        address: deployment.contracts.StakingManager,
        abi: StakingManagerAbi,
        functionName: "advanceEpoch",
        args: [],
        account: deployer,
        chain: wallet.chain,
      }),
    });
    await rpc(anvil.rpcUrl, "evm_setIntervalMining", [1]);
    for (const v of net.validators.slice(0, 4))
      nodes.push(await startNode(`node${v.index}`, { v, reporter: v.index === 0 }));
    // Start-up alone takes seconds on a loaded machine: wait for the network to commit.
    await waitUntil("the network commits", async () => (await heightOf(nodes[0])) > 0, 90_000, 200).catch(
      failWithLogs(nodes),
    );
  }, 150_000);

  afterAll(async () => {
    await Promise.all([...nodes, ...late].map((n) => n.stop()));
    await anvil?.stop();
    if (dir && !process.env.MEGASEQ_KEEP_TEST_DIR) rmSync(dir, { recursive: true, force: true });
  });

  it(`an observer and a validator that never ran, started ${LATE_BY_EPOCHS}+ epochs late, reach the head with the same chain`, async () => {
    const raw = await privateKeyToAccount(PAYER_KEY).signTransaction({
      type: "eip1559",
      chainId: L2_CHAIN_ID,
      nonce: 0,
      to: PAYEE,
      value: 10n ** 18n,
      gas: 21_000n,
      maxFeePerGas: 10n ** 11n,
      maxPriorityFeePerGas: 1n,
    });
    await waitUntil(
      "node 0 takes a transaction",
      () => rpc<string>(rpcOf(nodes[0]), "eth_sendRawTransaction", [raw]),
      30_000,
      200,
    );
    const joinerAddress = operatorAddress(4).toLowerCase();
    await waitUntil(
      `the network ${LATE_BY_EPOCHS} epochs past genesis, validator 4 in its set`,
      async () => {
        if ((await epochOf(nodes[0])) < genesisEpoch + LATE_BY_EPOCHS) return false;
        const set = await rpc<{ validators: { address: string }[] }>(rpcOf(nodes[0]), "mega_validatorSet");
        return set.validators.some((v) => v.address.toLowerCase() === joinerAddress);
      },
      40_000,
      100,
    ).catch(failWithLogs(nodes));
    const [observer, joiner] = [
      await startNode("observer"),
      await startNode("node4", { v: net.validators[4] }),
    ];
    late.push(observer, joiner);
    await syncedWith(observer, nodes[0], "the late observer");
    await syncedWith(joiner, nodes[0], "the late validator");
    // The late validator is in the current set: it signs there.
    const epoch = await epochOf(joiner);
    await waitUntil(
      "the late validator votes",
      () => votedSince(net.validators[4].dataDir, epoch),
      15_000,
      100,
    ).catch(failWithLogs([joiner]));
    const balance = BigInt(await rpc<string>(rpcOf(observer), "eth_getBalance", [PAYEE, "latest"]));
    expect(balance).toBe(10n ** 18n);
  }, 180_000);

  it("after every serving node restarted, a second fresh observer still syncs every past epoch (answered from LevelDB)", async () => {
    // The first observer leaves. The four genesis validators stop together and start again (the
    // late validator alone is no quorum, so the network waits for them, including any timeout
    // they had signed before stopping). A fresh node dials the genesis validators only, so every
    // answer it gets comes from a node restarted since the epochs it asks for ended: from the
    // node's LevelDB, not from its memory.
    await late[0].stop();
    const before = Math.max(...(await Promise.all(nodes.map((n) => heightOf(n)))));
    await Promise.all(nodes.map((n) => n.stop()));
    for (let i = 0; i < nodes.length; i++) nodes[i] = restart(nodes[i]);
    await waitUntil(
      "the restarted validators commit again",
      async () => (await Promise.all(nodes.map((n) => heightOf(n)))).every((h) => h > before + 3),
      60_000,
      100,
    ).catch(failWithLogs(nodes));
    const observer = await startNode("observer2");
    late.push(observer);
    await syncedWith(observer, nodes[1], "the second observer");
  }, 240_000);
});
