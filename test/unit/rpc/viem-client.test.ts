import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  http,
  type Log,
  type PublicClient,
  parseEther,
  webSocket,
} from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alice, bob, CHAIN_ID, type Harness, startHarness, TOKEN, testChain, tokenAbi } from "./fixtures.ts";

describe("viem against the RPC server (HTTP)", () => {
  let h: Harness;
  let client: PublicClient;
  beforeAll(async () => {
    h = await startHarness();
    client = createPublicClient({ chain: testChain, transport: http(h.url) });
  });
  afterAll(async () => {
    await h.stop();
  });

  it("reads chain id and block number", async () => {
    expect(await client.getChainId()).toBe(CHAIN_ID);
    expect(await client.getBlockNumber()).toBe(0n);
  });

  it("sends a transfer signed by viem and reads it back: receipt, tx, block, balance, nonce", async () => {
    const wallet = createWalletClient({ account: alice, chain: testChain, transport: http(h.url) });
    const before = await client.getBalance({ address: bob.address });
    const hash = await wallet.sendTransaction({ to: bob.address, value: parseEther("1.5") });
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 10 });
    expect(receipt.status).toBe("success");
    expect(receipt.transactionHash).toBe(hash);
    expect(receipt.from.toLowerCase()).toBe(alice.address.toLowerCase());
    expect(receipt.gasUsed).toBe(21_000n);
    expect(receipt.type).toBe("eip1559");
    expect(receipt.effectiveGasPrice).toBeGreaterThan(0n);
    expect(await client.getBalance({ address: bob.address })).toBe(before + parseEther("1.5"));
    expect(await client.getTransactionCount({ address: alice.address })).toBe(1);
    expect(await client.getTransactionCount({ address: alice.address, blockTag: "pending" })).toBe(1);
    const tx = await client.getTransaction({ hash });
    expect(tx.value).toBe(parseEther("1.5"));
    expect(tx.blockNumber).toBe(receipt.blockNumber);
    const block = await client.getBlock({ blockNumber: receipt.blockNumber, includeTransactions: true });
    expect(block.transactions[0].hash).toBe(hash);
    expect(block.hash).toBe(receipt.blockHash);
    const latest = await client.getBlock();
    expect(latest.number).toBe(receipt.blockNumber);
    expect(latest.baseFeePerGas).toBeGreaterThan(0n);
    const receipts = await client.request({
      method: "eth_getBlockReceipts",
      params: [`0x${receipt.blockNumber.toString(16)}`],
    });
    expect(receipts?.[0].transactionHash).toBe(hash);
  });

  it("decodes logs with getLogs and a polling event filter", async () => {
    const wallet = createWalletClient({ account: alice, chain: testChain, transport: http(h.url) });
    const filter = await client.createContractEventFilter({
      address: TOKEN,
      abi: tokenAbi,
      eventName: "Transfer",
    });
    const hash = await wallet.writeContract({
      address: TOKEN,
      abi: tokenAbi,
      functionName: "transfer",
      args: [bob.address, 77n],
    });
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 10 });
    const logs = await client.getContractEvents({
      address: TOKEN,
      abi: tokenAbi,
      eventName: "Transfer",
      args: { to: bob.address },
      fromBlock: 0n,
      toBlock: "latest",
    });
    expect(logs).toHaveLength(1);
    expect(logs[0].args.value).toBe(77n);
    expect(logs[0].args.from?.toLowerCase()).toBe(alice.address.toLowerCase());
    expect(logs[0].blockNumber).toBe(receipt.blockNumber);
    const changes = await client.getFilterChanges({ filter });
    expect(changes).toHaveLength(1);
    expect(changes[0].args.value).toBe(77n);
    expect(await client.getFilterChanges({ filter })).toHaveLength(0);
    expect(await client.uninstallFilter({ filter })).toBe(true);
    const none = await client.getLogs({ address: TOKEN, fromBlock: 0n, toBlock: 0n });
    expect(none).toHaveLength(0);
  });

  it("reads contract state and decodes reverts from eth_call (custom error and Error(string))", async () => {
    const balance = await client.readContract({
      address: TOKEN,
      abi: tokenAbi,
      functionName: "balanceOf",
      args: [bob.address],
    });
    expect(balance).toBe(42n);
    const err = await client
      .readContract({ address: TOKEN, abi: tokenAbi, functionName: "fail", account: alice.address })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BaseError);
    const revert = (err as BaseError).walk((e) => e instanceof ContractFunctionRevertedError);
    expect(revert).toBeInstanceOf(ContractFunctionRevertedError);
    expect((revert as ContractFunctionRevertedError).data?.errorName).toBe("Unauthorized");
    const stringErr = await client.call({ to: TOKEN, data: "0xdeadbeef" }).catch((e: unknown) => e);
    expect(String((stringErr as Error).message)).toContain("not enough tokens");
  });

  it("estimates gas and reads fees", async () => {
    const gas = await client.estimateGas({ account: alice.address, to: bob.address, value: 1n });
    expect(gas).toBe(21_000n);
    const fees = await client.estimateFeesPerGas();
    expect(fees.maxFeePerGas).toBeGreaterThan(0n);
    const history = await client.getFeeHistory({ blockCount: 2, rewardPercentiles: [50] });
    expect(history.baseFeePerGas.length).toBeGreaterThan(0);
  });

  it("sendRawTransactionSync returns the committed receipt (EIP-7966)", async () => {
    const wallet = createWalletClient({ account: alice, chain: testChain, transport: http(h.url) });
    const request = await wallet.prepareTransactionRequest({ to: bob.address, value: 5n });
    const serializedTransaction = await wallet.signTransaction(request);
    const receipt = await client.sendRawTransactionSync({ serializedTransaction });
    expect(receipt.status).toBe("success");
    expect((receipt as unknown as { finality: string }).finality).toBe("committed");
  });
});

describe("viem against the RPC server (WebSocket)", () => {
  let h: Harness;
  let client: PublicClient;
  beforeAll(async () => {
    h = await startHarness({ autoMine: false });
    client = createPublicClient({ chain: testChain, transport: webSocket(h.wsUrl) });
  });
  afterAll(async () => {
    await (client.transport as { getRpcClient?: () => Promise<{ close(): void }> })
      .getRpcClient?.()
      .then((c) => c.close());
    await h.stop();
  });

  it("answers requests and streams newHeads (watchBlocks), logs and pending transactions", async () => {
    expect(await client.getChainId()).toBe(CHAIN_ID);
    const blocks: bigint[] = [];
    const events: Log[] = [];
    const pending: string[] = [];
    let resolveAll!: () => void;
    const done = new Promise<void>((r) => {
      resolveAll = r;
    });
    const check = (): void => {
      if (blocks.length >= 1 && events.length >= 1 && pending.length >= 1) resolveAll();
    };
    const unwatchBlocks = client.watchBlocks({
      emitOnBegin: false,
      onBlock: (b) => {
        blocks.push(b.number);
        check();
      },
    });
    const unwatchEvents = client.watchContractEvent({
      address: TOKEN,
      abi: tokenAbi,
      eventName: "Transfer",
      onLogs: (logs) => {
        events.push(...logs);
        check();
      },
    });
    const unwatchPending = client.watchPendingTransactions({
      onTransactions: (hashes) => {
        pending.push(...hashes);
        check();
      },
    });
    // Subscriptions are registered once the server has answered eth_subscribe.
    await waitUntil(() => h.chain.listenerCount >= 3);
    const wallet = createWalletClient({ account: alice, chain: testChain, transport: webSocket(h.wsUrl) });
    const hash = await wallet.writeContract({
      address: TOKEN,
      abi: tokenAbi,
      functionName: "transfer",
      args: [bob.address, 9n],
      gas: 100_000n,
    });
    h.chain.mine();
    await done;
    unwatchBlocks();
    unwatchEvents();
    unwatchPending();
    expect(blocks).toEqual([1n]);
    expect(pending).toEqual([hash]);
    expect((events[0] as unknown as { args: { value: bigint } }).args.value).toBe(9n);
    await waitUntil(() => h.chain.listenerCount === 0);
  });
});

/** Yields to the event loop until a condition holds (no wall-clock sleeps; bounded). */
async function waitUntil(cond: () => boolean, maxTurns = 2000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error("condition not reached");
}
