import { createWalletClient, http } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { alice, bob, type Harness, rpc, startHarness, TOKEN, testChain } from "./fixtures.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function signedTransfer(url: string, nonce: number, value = 1n): Promise<`0x${string}`> {
  const wallet = createWalletClient({ account: alice, chain: testChain, transport: http(url) });
  return wallet.signTransaction({
    to: bob.address,
    value,
    nonce,
    gas: 21_000n,
    maxFeePerGas: 10n ** 10n,
    maxPriorityFeePerGas: 10n ** 9n,
    chainId: testChain.id,
  });
}

describe("transaction submission", () => {
  it("realtime_sendRawTransaction answers with the preconfirmed receipt and its mini-block", async () => {
    h = await startHarness({ autoCommit: false });
    const res = await rpc(h.url, "realtime_sendRawTransaction", [await signedTransfer(h.url, 0)]);
    expect(res.result).toMatchObject({
      status: "0x1",
      finality: "preconfirmed",
      miniBlockNumber: "0x1",
      miniBlockIndex: "0x0",
    });
  });

  it("eth_sendRawTransactionSync times out with code 4 and the hash when the quorum does not commit", async () => {
    h = await startHarness({ autoCommit: false });
    const raw = await signedTransfer(h.url, 0);
    const res = await rpc(h.url, "eth_sendRawTransactionSync", [raw, 30]);
    expect(res.error?.code).toBe(4);
    expect(res.error?.data).toMatch(/^0x[0-9a-f]{64}$/);
    // The tx was admitted: its receipt is there once mined (preconfirmed here).
    expect((await rpc(h.url, "eth_getTransactionReceipt", [res.error?.data])).result).toMatchObject({
      status: "0x1",
    });
  });

  it("the waiting methods submit as urgent (decoded at once), eth_sendRawTransaction does not", async () => {
    h = await startHarness();
    await rpc(h.url, "eth_sendRawTransaction", [await signedTransfer(h.url, 0)]);
    await rpc(h.url, "realtime_sendRawTransaction", [await signedTransfer(h.url, 1)]);
    await rpc(h.url, "eth_sendRawTransactionSync", [await signedTransfer(h.url, 2)]);
    expect(h.chain.submissions.map((s) => s.urgent)).toEqual([false, true, true]);
  });

  it("realtime_sendRawTransaction expires with code 4 when no leader preconfirms", async () => {
    h = await startHarness({ autoMine: false });
    const res = await rpc(h.url, "realtime_sendRawTransaction", [await signedTransfer(h.url, 0), "0x14"]);
    expect(res.error?.code).toBe(4);
    expect(res.error?.message).toContain("not preconfirmed within 20 ms");
  });

  it("a nonce gap is code 5 with the expected nonce for the sync methods, geth's -32000 otherwise", async () => {
    h = await startHarness();
    const gap = await signedTransfer(h.url, 3);
    const sync = await rpc(h.url, "eth_sendRawTransactionSync", [gap]);
    expect(sync.error).toEqual({
      code: 5,
      message: "nonce too high: the transaction cannot execute until the nonce gap is filled",
      data: "0x0",
    });
    const plain = await rpc(h.url, "eth_sendRawTransaction", [gap]);
    expect(plain.error).toEqual({ code: -32000, message: "nonce too high" });
    const first = await signedTransfer(h.url, 0);
    expect((await rpc(h.url, "eth_sendRawTransaction", [first])).result).toMatch(/^0x[0-9a-f]{64}$/);
    expect((await rpc(h.url, "eth_sendRawTransaction", [first])).error).toEqual({
      code: -32000,
      message: "already known",
    });
    const low = await signedTransfer(h.url, 0, 2n);
    expect((await rpc(h.url, "eth_sendRawTransaction", [low])).error).toEqual({
      code: -32000,
      message: "nonce too low",
    });
    const poor = await signedTransfer(h.url, 1, 10n ** 30n);
    expect((await rpc(h.url, "eth_sendRawTransaction", [poor])).error?.message).toBe(
      "insufficient funds for gas * price + value",
    );
    expect((await rpc(h.url, "eth_sendRawTransaction", ["0x02c0ffee"])).error?.code).toBe(-32000);
    expect((await rpc(h.url, "eth_sendRawTransaction", ["0x"])).error?.code).toBe(-32602);
  });
});

describe("parameter validation names the argument", () => {
  it("gives -32602 with the argument index and name", async () => {
    h = await startHarness();
    const bad = await rpc(h.url, "eth_getBalance", ["0x1234", "latest"]);
    expect(bad.error).toEqual({
      code: -32602,
      message: "invalid argument 0 (address): expected a 20-byte hex address",
    });
    const tag = await rpc(h.url, "eth_getBalance", [bob.address, "newest"]);
    expect(tag.error?.code).toBe(-32602);
    expect(tag.error?.message).toContain("invalid argument 1 (block)");
    const missing = await rpc(h.url, "eth_getStorageAt", [TOKEN]);
    expect(missing.error?.message).toBe("missing value for required argument 1 (slot)");
    const extra = await rpc(h.url, "eth_blockNumber", [1]);
    expect(extra.error?.message).toBe("too many arguments, want at most 0, got 1");
    const named = await rpc(h.url, "eth_call", { to: TOKEN } as unknown as unknown[]);
    expect(named.error?.code).toBe(-32602);
  });

  it("accepts EIP-1898 block objects and block hashes; unknown heights are 'header not found'", async () => {
    h = await startHarness();
    const genesis = (await rpc(h.url, "eth_getBlockByNumber", ["earliest", false])).result as {
      hash: string;
    };
    expect((await rpc(h.url, "eth_getBalance", [bob.address, { blockHash: genesis.hash }])).result).toBe(
      "0x3635c9adc5dea00000",
    );
    expect((await rpc(h.url, "eth_getBalance", [bob.address, { blockNumber: "0x0" }])).result).toBe(
      "0x3635c9adc5dea00000",
    );
    expect((await rpc(h.url, "eth_getBalance", [bob.address, "0x99"])).error).toEqual({
      code: -32000,
      message: "header not found",
    });
    expect((await rpc(h.url, "eth_getBlockByNumber", ["0x99", false])).result).toBeNull();
    expect((await rpc(h.url, "eth_getTransactionReceipt", [`0x${"1".repeat(64)}`])).result).toBeNull();
  });
});

describe("response shapes", () => {
  it("quantities have no leading zeros; storage words are 32 bytes; block fields are complete", async () => {
    h = await startHarness();
    const block = (await rpc(h.url, "eth_getBlockByNumber", ["latest", false])).result as Record<
      string,
      string
    >;
    for (const key of ["number", "gasLimit", "gasUsed", "timestamp", "baseFeePerGas", "size", "difficulty"]) {
      expect(block[key]).toMatch(/^0x(0|[1-9a-f][0-9a-f]*)$/);
    }
    for (const key of [
      "hash",
      "parentHash",
      "sha3Uncles",
      "stateRoot",
      "transactionsRoot",
      "receiptsRoot",
      "mixHash",
    ]) {
      expect(block[key]).toMatch(/^0x[0-9a-f]{64}$/);
    }
    expect(block.logsBloom).toMatch(/^0x[0-9a-f]{512}$/);
    expect(block.nonce).toBe("0x0000000000000000");
    expect(block.uncles).toEqual([]);
    expect((await rpc(h.url, "eth_getStorageAt", [TOKEN, "0x0", "latest"])).result).toBe(
      `0x${"0".repeat(64)}`,
    );
    expect((await rpc(h.url, "net_version")).result).toBe("4242");
    expect((await rpc(h.url, "eth_accounts")).result).toEqual([]);
    expect((await rpc(h.url, "eth_syncing")).result).toBe(false);
    expect((await rpc(h.url, "web3_sha3", ["0x"])).result).toBe(
      "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
    expect((await rpc(h.url, "eth_getProof", [TOKEN, [], "latest"])).error?.code).toBe(-32004);
  });
});

describe("mega_ namespace", () => {
  it("reports sync status, consensus status and the validator set", async () => {
    h = await startHarness({ autoCommit: false });
    await rpc(h.url, "eth_sendRawTransaction", [await signedTransfer(h.url, 0)]);
    const sync = (await rpc(h.url, "mega_syncStatus")).result as Record<string, unknown>;
    expect(sync).toMatchObject({
      preconfirmed: "0x1",
      committed: "0x0",
      checkpointed: "0x0",
      syncing: false,
    });
    expect((sync.unsafe_l2 as { number: number }).number).toBe(1);
    expect((sync.safe_l2 as { number: number }).number).toBe(0);
    expect((await rpc(h.url, "eth_getBlockByNumber", ["safe", false])).result).toMatchObject({
      number: "0x0",
    });
    expect((await rpc(h.url, "eth_getBlockByNumber", ["pending", false])).result).toMatchObject({
      number: "0x1",
    });
    const status = (await rpc(h.url, "mega_consensusStatus")).result as Record<string, unknown>;
    expect(status).toMatchObject({ epoch: "0x1", isLeader: true, highTcRound: null });
    const set = (await rpc(h.url, "mega_validatorSet", ["0x1"])).result as { validators: unknown[] };
    expect(set.validators).toHaveLength(4);
    expect((await rpc(h.url, "mega_validatorSet", [7])).result).toBeNull();
  });
});

describe("admin_ namespace", () => {
  const peer = "12D3KooWGzh8gXzYvGqVtmV6h7kK5j8yqf9sQzH2wT2qN5m9rXyZ";

  it("is off unless enabled", async () => {
    h = await startHarness();
    expect((await rpc(h.url, "admin_blockPeer", [peer])).error?.code).toBe(-32601);
  });

  it("drives the backend's peer gater when enabled", async () => {
    h = await startHarness({}, { enableAdmin: true });
    expect((await rpc(h.url, "admin_blockPeer", [peer])).result).toBe(true);
    expect(h.chain.blockedPeers.has(peer)).toBe(true);
    expect((await rpc(h.url, "admin_peers")).result).toEqual([
      { peerId: peer, addresses: [], blocked: true },
    ]);
    expect((await rpc(h.url, "admin_unblockPeer", [peer])).result).toBe(true);
    expect(h.chain.blockedPeers.size).toBe(0);
    expect((await rpc(h.url, "admin_blockPeer", ["not a peer"])).error?.code).toBe(-32602);
  });
});

describe("polling filters", () => {
  it("block and pending-transaction filters report what happened since the last poll", async () => {
    h = await startHarness();
    const blocks = (await rpc(h.url, "eth_newBlockFilter")).result as string;
    const pending = (await rpc(h.url, "eth_newPendingTransactionFilter")).result as string;
    const hash = (await rpc(h.url, "eth_sendRawTransaction", [await signedTransfer(h.url, 0)])).result;
    const newBlocks = (await rpc(h.url, "eth_getFilterChanges", [blocks])).result as string[];
    expect(newBlocks).toHaveLength(1);
    expect((await rpc(h.url, "eth_getFilterChanges", [pending])).result).toEqual([hash]);
    expect((await rpc(h.url, "eth_getFilterChanges", [blocks])).result).toEqual([]);
    expect((await rpc(h.url, "eth_uninstallFilter", [pending])).result).toBe(true);
    expect((await rpc(h.url, "eth_getFilterChanges", [pending])).error).toEqual({
      code: -32000,
      message: "filter not found",
    });
    expect(h.chain.listenerCount).toBe(0);
  });
});
