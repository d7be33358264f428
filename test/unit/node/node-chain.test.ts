import { RLP } from "@ethereumjs/rlp";
import { privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import { keccak256 } from "../../../src/crypto/keccak.ts";
import { bytesToBigint, bytesToHex, hexToBytes } from "../../../src/execution/hex.ts";
import { NodeChain, type NodeChainModules, type NodeChainOpts } from "../../../src/node/node-chain.ts";
import { TxRejectedError } from "../../../src/rpc/errors.ts";
import type { Block } from "../../../src/types/index.ts";
import { verifyProof } from "../rpc/proof-verify.ts";

const KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const account = privateKeyToAccount(KEY);
const SENDER = account.address.toLowerCase() as `0x${string}`;
const CHAIN_ID = 4242;
const GENESIS_MS = 1_700_000_000_000;

function block(timestampUs: number, txs: Uint8Array[], proposerIndex = 0): Block {
  const zero = new Uint8Array(32);
  return {
    header: {
      epoch: 0,
      round: 1,
      proposerIndex,
      parentRoot: zero,
      parentRound: 0,
      payloadRoot: zero,
      stateBlockNumber: 0,
      stateRoot: zero,
      justifyRoot: zero,
    },
    signature: new Uint8Array(96),
    payload: { timestampUs, l1OriginNumber: 0, l1OriginHash: zero, deposits: [], txs },
    justify: {
      qc: {
        epoch: 0,
        round: 0,
        blockRoot: zero,
        signers: { bitLen: 0, uint8Array: new Uint8Array(0) } as never,
        signature: new Uint8Array(96),
      },
      tc: [],
    },
  };
}

async function transfer(nonce: number, value: bigint): Promise<Uint8Array> {
  const signed = await account.signTransaction({
    chainId: CHAIN_ID,
    type: "eip1559",
    nonce,
    to: "0x000000000000000000000000000000000000dead",
    value,
    gas: 21_000n,
    maxFeePerGas: 10_000_000_000n,
    maxPriorityFeePerGas: 1_000_000_000n,
  });
  return Buffer.from(signed.slice(2), "hex");
}

const open: NodeChain[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** A one-validator chain funding SENDER; `overrides` and `modules` change what a test needs. */
async function newChain(
  overrides: Partial<NodeChainOpts> = {},
  modules: NodeChainModules = {},
): Promise<NodeChain> {
  const chain = await NodeChain.create(
    {
      chainId: BigInt(CHAIN_ID),
      fork: "prague",
      gasLimit: 30_000_000n,
      genesisTimestampMs: GENESIS_MS,
      alloc: [{ address: SENDER, balance: 10n ** 21n }],
      blockTimeUs: 1_000_000n,
      validatorAddresses: ["0x00000000000000000000000000000000000000f1"],
      recoveryWorkers: 1,
      // A loaded machine must not cut a test mini-block short.
      miniBlockCaps: { intervalMs: 60_000 },
      ...overrides,
    },
    modules,
  );
  open.push(chain);
  return chain;
}

const LEADING = { leader: { selfIndex: (): number => 0, leading: (): boolean => true } };

describe("NodeChain", () => {
  it("admits a signed transfer, hands it to the leader, executes it when committed and serves the receipt", async () => {
    const chain = await newChain();
    const raw = await transfer(0, 12345n);
    const submitted = await chain.submitTransaction(raw);
    expect(chain.mempool.size).toBe(1);
    const payload = chain.selectForPayload({ maxTxs: 10, maxBytes: 1 << 20, gas: 10_000_000n });
    expect(payload).toHaveLength(1);

    const t0 = GENESIS_MS * 1000 + 10_000;
    await chain.applyCommitted(0n, block(t0, payload), 0);
    // The committed receipt exists as soon as the mini-block executed, before its EVM block seals.
    const receipt = await submitted.committed();
    expect(receipt).toMatchObject({ status: 1, blockNumber: 1n, finality: "committed", miniBlockNumber: 0n });
    expect(await chain.getReceipt(submitted.hash)).toBeNull();
    // The EVM block seals when a mini-block past its 1 s window arrives.
    await chain.applyCommitted(1n, block(t0 + 1_100_000, []), 0);
    expect((await chain.getReceipt(submitted.hash))?.blockHash).toBe(
      (await chain.getBlockByNumber(1n))?.hash,
    );
    expect(await chain.getBalance("0x000000000000000000000000000000000000dead", 1n)).toBe(12345n);
    expect(chain.mempool.size).toBe(0);
    expect(chain.heads().committed).toBe(1n);
    const b1 = await chain.getBlockByNumber(1n);
    expect(b1?.transactions.map((t) => t.hash)).toEqual([submitted.hash]);
    // The proposer's fee recipient got the priority fee.
    expect(await chain.getBalance("0x00000000000000000000000000000000000000f1", 1n)).toBe(
      21_000n * 1_000_000_000n,
    );
  });

  it("rejects bad bytes, a replayed nonce and a duplicate with geth's reasons, changing nothing", async () => {
    const chain = await newChain();
    await expect(chain.submitTransaction(new Uint8Array([1, 2, 3]))).rejects.toBeInstanceOf(TxRejectedError);
    const raw = await transfer(0, 1n);
    await chain.submitTransaction(raw);
    await expect(chain.submitTransaction(raw)).rejects.toMatchObject({ code: "ALREADY_KNOWN" });
    expect(chain.mempool.size).toBe(1);
    const t0 = GENESIS_MS * 1000 + 10_000;
    await chain.applyCommitted(0n, block(t0, [raw]), 0);
    await expect(chain.submitTransaction(await transfer(0, 2n))).rejects.toMatchObject({
      code: "NONCE_TOO_LOW",
    });
  });

  it("never lets mini-block time run backwards, whatever a leader's clock says", async () => {
    const chain = await newChain();
    const t0 = GENESIS_MS * 1000 + 10_000;
    await chain.applyCommitted(0n, block(t0, []), 0);
    await chain.applyCommitted(1n, block(t0 - 500_000, []), 0);
    await chain.applyCommitted(2n, block(t0 + 1_200_000, []), 0);
    const b1 = await chain.getBlockByNumber(1n);
    expect(b1?.miniBlockCount).toBe(2);
  });

  it("answers historical state queries with a clear error instead of the wrong state", async () => {
    const chain = await newChain();
    const t0 = GENESIS_MS * 1000 + 10_000;
    await chain.applyCommitted(0n, block(t0, []), 0);
    await chain.applyCommitted(1n, block(t0 + 1_100_000, []), 0);
    await expect(chain.getBalance(SENDER, 0n)).rejects.toThrow(/not kept/);
    expect(await chain.getBalance(SENDER, 1n)).toBe(10n ** 21n);
  });

  it("the leader executes while it builds: each receipt is a preconfirmation that the committed execution confirms", async () => {
    const leader = await newChain();
    const follower = await newChain();
    const raws = [await transfer(0, 5n), await transfer(1, 6n)];
    const submitted = await Promise.all(raws.map((r) => leader.submitTransaction(r)));
    const waits = submitted.map((s) => s.preconfirmed());
    const t0 = GENESIS_MS * 1000 + 10_000;
    const payload = await leader.buildPayload({ timestampUs: t0, proposerIndex: 0, ancestors: [] });
    expect(payload).toEqual(raws);
    const pre = await Promise.all(waits);
    expect(pre.map((r) => [r.finality, r.status, r.gasUsed, r.miniBlockIndex])).toEqual([
      ["preconfirmed", 1, 21_000n, 0],
      ["preconfirmed", 1, 21_000n, 1],
    ]);
    // Building changed no canonical state: the balance moves only when the mini-block commits.
    expect(await leader.getBalance("0x000000000000000000000000000000000000dead", 0n)).toBe(0n);
    const committed = block(t0, payload);
    await leader.applyCommitted(0n, committed, 0);
    await follower.applyCommitted(0n, committed, 0);
    const onFollower = await Promise.all(submitted.map((s) => follower.preconfs.committedReceipt(s.hash)));
    const onLeader = await Promise.all(submitted.map((s) => s.committed()));
    expect(onLeader.map((r) => [r.status, r.gasUsed])).toEqual(pre.map((r) => [r.status, r.gasUsed]));
    expect(onFollower).toEqual(onLeader);
    expect(leader.preconfs.mismatches).toBe(0);
    expect(await follower.getBalance("0x000000000000000000000000000000000000dead", 0n)).toBe(11n);
  });

  it("leaves out senders whose transactions sit in uncommitted ancestors, and takes them once committed", async () => {
    const chain = await newChain();
    const first = await transfer(0, 1n);
    await chain.submitTransaction(first);
    const t0 = GENESIS_MS * 1000 + 10_000;
    const parent = block(t0, [first]);
    await chain.submitTransaction(await transfer(1, 1n));
    expect(await chain.buildPayload({ timestampUs: t0 + 1, proposerIndex: 0, ancestors: [parent] })).toEqual(
      [],
    );
    await chain.applyCommitted(0n, parent, 0);
    const next = await chain.buildPayload({ timestampUs: t0 + 2, proposerIndex: 0, ancestors: [] });
    expect(next).toHaveLength(1);
  });

  it("decodes at execution what it never admitted, and skips bytes that do not decode", async () => {
    const chain = await newChain();
    const raw = await transfer(0, 7n);
    const t0 = GENESIS_MS * 1000 + 10_000;
    await chain.applyCommitted(0n, block(t0, [new Uint8Array([0xc0]), raw]), 0);
    expect(await chain.getBalance("0x000000000000000000000000000000000000dead", 0n)).toBe(7n);
    expect(await chain.getTransactionCount(SENDER, 0n)).toBe(1n);
  });

  it("revokes a preconfirmation whose mini-block never commits; the transaction stays in the pool", async () => {
    let now = 1_000;
    const chain = await newChain({ preconf: { preconfTtlMs: 100 } }, { now: () => now });
    const s = await chain.submitTransaction(await transfer(0, 1n));
    const t0 = GENESIS_MS * 1000 + 10_000;
    await chain.buildPayload({ timestampUs: t0, proposerIndex: 0, ancestors: [] });
    expect(chain.preconfs.preconfirmed(s.hash)?.finality).toBe("preconfirmed");
    now += 500;
    await chain.applyCommitted(0n, block(t0, []), 0);
    expect(chain.preconfs.preconfirmed(s.hash)).toBeUndefined();
    expect(chain.preconfs.revoked).toBe(1);
    expect(chain.mempool.has(s.hash)).toBe(true);
  });

  it("eth_getProof: account proofs verify against the sealed block's state root", async () => {
    const chain = await newChain();
    const t0 = GENESIS_MS * 1000 + 10_000;
    await chain.applyCommitted(0n, block(t0, [await transfer(0, 99n)]), 0);
    // Mini-block 1 opens block 2: the flat state runs ahead of block 1, the proof must not.
    await chain.applyCommitted(1n, block(t0 + 1_100_000, [await transfer(1, 1n)]), 0);
    const b1 = await chain.getBlockByNumber(1n);
    const root = hexToBytes(b1?.stateRoot as string);
    const proof = await chain.getProof(SENDER, [], 1n);
    expect(proof.nonce).toBe(1n);
    const value = verifyProof(
      root,
      keccak256(hexToBytes(SENDER)),
      proof.accountProof.map((h) => hexToBytes(h)),
    );
    const [nonce, balance, storageHash, codeHash] = RLP.decode(value as Uint8Array) as Uint8Array[];
    expect(bytesToBigint(nonce)).toBe(1n);
    expect(bytesToBigint(balance)).toBe(proof.balance);
    expect(bytesToHex(storageHash)).toBe(proof.storageHash);
    expect(bytesToHex(codeHash)).toBe(proof.codeHash);
    const dead = "0x000000000000000000000000000000000000dead";
    const deadProof = await chain.getProof(dead, [], 1n);
    expect(deadProof.balance).toBe(99n);
    const absent = "0x00000000000000000000000000000000000000aa";
    expect(
      verifyProof(
        root,
        keccak256(hexToBytes(absent)),
        (await chain.getProof(absent, [], 1n)).accountProof.map((h) => hexToBytes(h)),
      ),
    ).toBeUndefined();
    await expect(chain.getProof(SENDER, [], 0n)).rejects.toThrow(/newest sealed block/);
  });

  it("a leading node preconfirms on arrival, and chains a sender's next tx on its own uncommitted proposal", async () => {
    const leader = await newChain({}, LEADING);
    const follower = await newChain();
    const first = await leader.submitTransaction(await transfer(0, 3n));
    // Executed on arrival: the preconfirmation exists before any proposal is built.
    await leader.idle();
    expect(leader.preconfs.preconfirmed(first.hash)).toMatchObject({ finality: "preconfirmed", status: 1 });
    const t0 = GENESIS_MS * 1000 + 10_000;
    const p1 = await leader.buildPayload({ timestampUs: t0, proposerIndex: 0, ancestors: [] });
    expect(p1).toHaveLength(1);
    const b1 = block(t0, p1);
    // Nonce 1 arrives while nonce 0's mini-block is proposed but not committed: it still runs now.
    const second = await leader.submitTransaction(await transfer(1, 4n));
    await leader.idle();
    expect(leader.preconfs.preconfirmed(second.hash)).toMatchObject({ status: 1, miniBlockNumber: 1n });
    const p2 = await leader.buildPayload({ timestampUs: t0 + 1, proposerIndex: 0, ancestors: [b1] });
    expect(p2).toHaveLength(1);
    const b2 = block(t0 + 1, p2);
    for (const chain of [leader, follower]) {
      await chain.applyCommitted(0n, b1, 0);
      await chain.applyCommitted(1n, b2, 0);
    }
    const committed = await Promise.all([first, second].map((s) => s.committed()));
    expect(committed.map((r) => [r.status, r.miniBlockNumber])).toEqual([
      [1, 0n],
      [1, 1n],
    ]);
    expect(committed).toEqual([first, second].map((s) => follower.preconfs.committedReceipt(s.hash)));
    expect(leader.preconfs.mismatches).toBe(0);
    expect(await follower.getBalance("0x000000000000000000000000000000000000dead", 0n)).toBe(7n);
  });

  it("a node asked to preconfirm before its turn to build executes the tx first when that turn starts", async () => {
    let building = false;
    const chain = await newChain(
      {},
      { leader: { selfIndex: (): number => 0, leading: (): boolean => building } },
    );
    const submitted = await chain.submitTransaction(await transfer(0, 3n));
    const preconfirmed = submitted.preconfirmed();
    await chain.idle();
    // Not building the next proposal: nothing executed yet, the tx waits for this node's turn.
    expect(chain.preconfs.preconfirmed(submitted.hash)).toBeUndefined();
    building = true;
    chain.startBuilding();
    expect(await preconfirmed).toMatchObject({ finality: "preconfirmed", status: 1 });
  });

  it("keeps the speculation when the next payload is asked for before the commit that precedes it executes", async () => {
    const leader = await newChain({}, LEADING);
    await leader.submitTransaction(await transfer(0, 1n));
    const t0 = GENESIS_MS * 1000 + 10_000;
    const b1 = block(t0, await leader.buildPayload({ timestampUs: t0, proposerIndex: 0, ancestors: [] }));
    await leader.submitTransaction(await transfer(1, 1n));
    // Consensus committed b1 and asked for the next payload in one step: the build is queued
    // first, the commit right after; b1 is no longer an ancestor but not executed yet either.
    const next = leader.buildPayload({ timestampUs: t0 + 1, proposerIndex: 0, ancestors: [] });
    const committed = leader.applyCommitted(0n, b1, 0);
    expect(await next).toHaveLength(1);
    await committed;
  });

  it("executes a tx someone waits for ahead of a burst of other arrivals", async () => {
    const senders = Array.from({ length: 71 }, (_, i) =>
      privateKeyToAccount(`0x${(0xabc000 + i).toString(16).padStart(64, "0")}`),
    );
    const alloc = senders.map((a) => ({
      address: a.address.toLowerCase() as `0x${string}`,
      balance: 10n ** 20n,
    }));
    const leader = await newChain({ alloc }, LEADING);
    const raws = await Promise.all(
      senders.map(async (a) =>
        Buffer.from(
          (
            await a.signTransaction({
              chainId: CHAIN_ID,
              type: "eip1559",
              nonce: 0,
              to: "0x000000000000000000000000000000000000dead",
              value: 1n,
              gas: 21_000n,
              maxFeePerGas: 10_000_000_000n,
              maxPriorityFeePerGas: 1_000_000_000n,
            })
          ).slice(2),
          "hex",
        ),
      ),
    );
    const submitted = await Promise.all(raws.map((r) => leader.submitTransaction(r)));
    const urgent = submitted[70];
    await urgent.preconfirmed();
    const others = submitted.slice(0, 70).filter((s) => leader.preconfs.preconfirmed(s.hash) !== undefined);
    expect(others.length).toBeLessThan(70);
    await leader.idle();
    expect(submitted.every((s) => leader.preconfs.preconfirmed(s.hash) !== undefined)).toBe(true);
  });

  it("keeps a tx the full EVM block refused in the pool, and executes it in the next block", async () => {
    const chain = await newChain({ gasLimit: 50_000n });
    const raws = [await transfer(0, 1n), await transfer(1, 1n), await transfer(2, 1n)];
    const submitted = await Promise.all(raws.map((r) => chain.submitTransaction(r)));
    const t0 = GENESIS_MS * 1000 + 10_000;
    // 3 x 21,000 gas do not fit one 50,000-gas EVM block: the third is refused, not lost.
    await chain.applyCommitted(0n, block(t0, raws), 0);
    expect(chain.mempool.has(submitted[2].hash)).toBe(true);
    expect(chain.mempool.has(submitted[0].hash)).toBe(false);
    await chain.applyCommitted(1n, block(t0 + 1_100_000, [raws[2]]), 0);
    expect((await submitted[2].committed()).status).toBe(1);
    expect(await chain.getTransactionCount(SENDER, 1n)).toBe(3n);
    expect(chain.mempool.size).toBe(0);
  });
});
