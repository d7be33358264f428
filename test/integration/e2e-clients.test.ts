import { execFile } from "node:child_process";
import { join } from "node:path";
import { RLP } from "@ethereumjs/rlp";
import {
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  hexToBytes,
  http,
  keccak256,
  parseEther,
  parseEventLogs,
  toHex,
  webSocket,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logTail, type RpcNetwork, rpcCall, startRpcNetwork } from "../../bench/load/network.ts";
import { verifyProof } from "../unit/rpc/proof-verify.ts";
import { compileMiniToken } from "./e2e-contract.ts";

/**
 * Real clients against 4 real `megaseq node` processes: viem (HTTP and WebSocket) and Foundry's
 * `cast` send to one node and read from another, so every check also crosses consensus.
 */
const CHAIN_ID = 31_377;
const CAST = join(
  import.meta.dirname,
  "..",
  "..",
  "node_modules",
  "@foundry-rs",
  "cast-linux-amd64",
  "bin",
  "cast",
);
const KEYS: Hex[] = [1, 2, 3, 4].map((i) => `0x${(0xe2e000 + i).toString(16).padStart(64, "0")}` as Hex);
const accounts = KEYS.map((k) => privateKeyToAccount(k));
const FUNDS = parseEther("1000");

function cast(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(CAST, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`cast ${args.join(" ")}: ${stderr || error.message}`));
      else resolve(String(stdout).trim());
    });
  });
}

describe("e2e: real clients against a 4-node network", () => {
  let net: RpcNetwork;
  let chain: Chain;
  const token = compileMiniToken();
  let tokenAddress: Hex;

  const publicOn = (i: number) =>
    createPublicClient({ chain, transport: http(net.nodes[i].rpcUrl), pollingInterval: 100 });
  const walletOn = (i: number, who = 0) =>
    createWalletClient({ chain, account: accounts[who], transport: http(net.nodes[i].rpcUrl) });

  beforeAll(async () => {
    net = await startRpcNetwork({
      chainId: CHAIN_ID,
      seed: "e2e-clients",
      alloc: Object.fromEntries(accounts.map((a) => [a.address, FUNDS.toString()])),
    });
    chain = defineChain({
      id: CHAIN_ID,
      name: "megaseq-e2e",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [net.nodes[0].rpcUrl], webSocket: [net.nodes[0].wsUrl] } },
    });
  }, 180_000);

  afterAll(async () => {
    await net?.stop();
  }, 30_000);

  const withLogs = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      const tails = net.nodes.map((n) => `node ${n.index}: ${logTail(n.logFile, 500)}`).join("\n");
      throw new Error(`${(error as Error).message}\n${tails}`);
    }
  };

  it(
    "viem: deploys the ERC-20 through node 0 and reads it from node 2",
    () =>
      withLogs(async () => {
        const hash = await walletOn(0).deployContract({
          abi: token.abi,
          bytecode: token.bytecode,
          args: [1_000_000n],
        });
        const receipt = await publicOn(2).waitForTransactionReceipt({ hash, timeout: 60_000 });
        expect(receipt.status).toBe("success");
        expect(receipt.contractAddress).toMatch(/^0x[0-9a-f]{40}$/i);
        tokenAddress = receipt.contractAddress as Hex;
        const code = await publicOn(2).getCode({ address: tokenAddress });
        expect((code ?? "0x").length).toBeGreaterThan(2);
        const supply = await publicOn(1).readContract({
          address: tokenAddress,
          abi: token.abi,
          functionName: "totalSupply",
        });
        expect(supply).toBe(1_000_000n);
      }),
    120_000,
  );

  it(
    "viem: transfers, estimateGas, getLogs, a logs subscription over WebSocket and watchBlocks",
    () =>
      withLogs(async () => {
        const ws = createPublicClient({ chain, transport: webSocket(net.nodes[3].wsUrl) });
        const events: bigint[] = [];
        const blocks: bigint[] = [];
        const unwatchEvents = ws.watchContractEvent({
          address: tokenAddress,
          abi: token.abi,
          eventName: "Transfer",
          onLogs: (logs) => {
            for (const log of logs) events.push((log as unknown as { args: { value: bigint } }).args.value);
          },
        });
        const unwatchBlocks = ws.watchBlocks({ onBlock: (b) => blocks.push(b.number ?? -1n) });
        try {
          // Subscriptions are set up asynchronously; make sure they are before sending.
          await new Promise((r) => setTimeout(r, 300));
          const gas = await publicOn(1).estimateContractGas({
            address: tokenAddress,
            abi: token.abi,
            functionName: "transfer",
            args: [accounts[1].address, 111n],
            account: accounts[0],
          });
          expect(gas).toBeGreaterThan(21_000n);
          expect(gas).toBeLessThan(200_000n);
          const hash = await walletOn(0).writeContract({
            address: tokenAddress,
            abi: token.abi,
            functionName: "transfer",
            args: [accounts[1].address, 111n],
            gas: gas * 2n,
          });
          const receipt = await publicOn(2).waitForTransactionReceipt({ hash, timeout: 60_000 });
          expect(receipt.status).toBe("success");
          const parsed = parseEventLogs({ abi: token.abi, logs: receipt.logs, eventName: "Transfer" });
          expect(parsed).toHaveLength(1);
          const balance = await publicOn(3).readContract({
            address: tokenAddress,
            abi: token.abi,
            functionName: "balanceOf",
            args: [accounts[1].address],
          });
          expect(balance).toBe(111n);
          const logs = await publicOn(2).getContractEvents({
            address: tokenAddress,
            abi: token.abi,
            eventName: "Transfer",
            fromBlock: 0n,
            toBlock: "latest",
          });
          expect(logs.map((l) => (l as unknown as { args: { value: bigint } }).args.value)).toEqual([
            1_000_000n,
            111n,
          ]);
          await waitFor("the Transfer event over WebSocket", () => events.includes(111n));
          await waitFor("two new heads over WebSocket", () => blocks.length >= 2);
          expect(blocks[1]).toBeGreaterThan(blocks[0]);
        } finally {
          unwatchEvents();
          unwatchBlocks();
          await ws.transport.getRpcClient().then((c) => c.close());
        }
      }),
    120_000,
  );

  it(
    "viem: eth_call decodes the revert reason",
    () =>
      withLogs(async () => {
        await expect(
          publicOn(2).simulateContract({
            address: tokenAddress,
            abi: token.abi,
            functionName: "transfer",
            args: [accounts[0].address, 5n],
            account: accounts[2],
          }),
        ).rejects.toThrow(/MiniToken: insufficient balance/);
      }),
    60_000,
  );

  it(
    "viem: sendRawTransactionSync returns the committed receipt",
    () =>
      withLogs(async () => {
        const wallet = walletOn(1, 2);
        const request = await wallet.prepareTransactionRequest({ to: accounts[3].address, value: 1234n });
        const serialized = await wallet.signTransaction(request);
        const receipt = await publicOn(1).sendRawTransactionSync({
          serializedTransaction: serialized,
          timeout: 30_000,
        });
        expect(receipt.status).toBe("success");
        // Committed by the quorum means every node executes that mini-block; node 3 may be a few
        // milliseconds behind node 1 in doing so.
        let balance = 0n;
        const deadline = Date.now() + 10_000;
        while (balance !== FUNDS + 1234n && Date.now() < deadline) {
          balance = await publicOn(3).getBalance({ address: accounts[3].address });
          if (balance !== FUNDS + 1234n) await new Promise((r) => setTimeout(r, 20));
        }
        expect(balance).toBe(FUNDS + 1234n);
      }),
    60_000,
  );

  it(
    "realtime_sendRawTransaction on a node answers with the receipt of the tx's mini-block, labelled with its finality",
    () =>
      withLogs(async () => {
        const wallet = walletOn(2, 2);
        const request = await wallet.prepareTransactionRequest({ to: accounts[3].address, value: 77n });
        const serialized = await wallet.signTransaction(request);
        const receipt = await rpcCall<{
          status: string;
          finality: string;
          miniBlockNumber: string;
          from: string;
        }>(net.nodes[2].rpcUrl, "realtime_sendRawTransaction", [serialized, 20_000]);
        expect(receipt.status).toBe("0x1");
        expect(["preconfirmed", "committed"]).toContain(receipt.finality);
        expect(BigInt(receipt.miniBlockNumber)).toBeGreaterThan(0n);
        expect(receipt.from).toBe(accounts[2].address.toLowerCase());
      }),
    60_000,
  );

  it(
    "viem: getProof of the token's account and totalSupply slot verifies against the block's state root",
    () =>
      withLogs(async () => {
        const client = publicOn(1);
        for (let attempt = 0; ; attempt++) {
          const number = await client.getBlockNumber();
          try {
            const proof = await client.getProof({
              address: tokenAddress,
              storageKeys: [toHex(1, { size: 32 })],
              blockNumber: number,
            });
            const block = await client.getBlock({ blockNumber: number });
            const account = verifyProof(
              hexToBytes(block.stateRoot),
              hexToBytes(keccak256(tokenAddress)),
              proof.accountProof.map((h) => hexToBytes(h)),
            );
            expect(account).toBeDefined();
            const [, , storageHash, codeHash] = RLP.decode(account as Uint8Array) as Uint8Array[];
            expect(toHex(storageHash)).toBe(proof.storageHash);
            expect(toHex(codeHash)).toBe(proof.codeHash);
            const slot = proof.storageProof[0];
            expect(slot.value).toBe(1_000_000n);
            const stored = verifyProof(
              hexToBytes(proof.storageHash),
              hexToBytes(keccak256(toHex(1, { size: 32 }))),
              slot.proof.map((h) => hexToBytes(h)),
            );
            expect(RLP.decode(stored as Uint8Array)).toEqual(hexToBytes(toHex(1_000_000n)));
            return;
          } catch (error) {
            // A block sealed between the two calls: proofs are for the newest block only.
            if (attempt >= 5 || !String(error).includes("newest sealed block")) throw error;
          }
        }
      }),
    60_000,
  );

  it(
    "cast: send to node 0, read from node 2",
    () =>
      withLogs(async () => {
        const [n0, n2] = [net.nodes[0].rpcUrl, net.nodes[2].rpcUrl];
        expect(await cast(["chain-id", "--rpc-url", n2])).toBe(String(CHAIN_ID));
        const nonceBefore = Number(await cast(["nonce", accounts[3].address, "--rpc-url", n2]));
        const sent = JSON.parse(
          await cast([
            "send",
            "--rpc-url",
            n0,
            "--private-key",
            KEYS[3],
            "--json",
            tokenAddress,
            "transfer(address,uint256)",
            accounts[2].address,
            "0",
          ]),
        ) as { transactionHash: Hex; status: string; blockNumber: string };
        expect(sent.status).toBe("0x1");
        const receipt = JSON.parse(
          await cast(["receipt", "--rpc-url", n2, "--json", sent.transactionHash]),
        ) as {
          status: string;
          blockHash: Hex;
        };
        expect(receipt.status).toBe("0x1");
        const block = JSON.parse(
          await cast(["block", "--rpc-url", n2, "--json", BigInt(sent.blockNumber).toString()]),
        ) as {
          hash: Hex;
          transactions: Hex[];
        };
        expect(block.hash).toBe(receipt.blockHash);
        expect(block.transactions).toContain(sent.transactionHash);
        expect(await cast(["nonce", accounts[3].address, "--rpc-url", n2])).toBe(String(nonceBefore + 1));
        const supply = await cast(["call", "--rpc-url", n2, tokenAddress, "totalSupply()(uint256)"]);
        expect(supply.split(" ")[0]).toBe("1000000");
        const balance = BigInt(await cast(["balance", accounts[0].address, "--rpc-url", n2]));
        expect(balance).toBeGreaterThan(0n);
        expect(balance).toBeLessThan(FUNDS);
      }),
    120_000,
  );

  it(
    "fuzzed malformed requests all get a JSON-RPC error and the node keeps serving",
    () =>
      withLogs(async () => {
        const url = net.nodes[1].rpcUrl;
        let seed = 0xe2e;
        const rand = (n: number): number => {
          seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
          return seed % n;
        };
        const junk = [
          null,
          true,
          1,
          -1,
          1e300,
          "",
          "0x",
          "0xzz",
          "latest",
          [],
          {},
          [[[]]],
          { a: 1 },
          "x".repeat(5000),
        ];
        const methods = [
          "eth_getBalance",
          "eth_call",
          "eth_getLogs",
          "eth_sendRawTransaction",
          "eth_getBlockByNumber",
          "eth_nope",
          "",
          "rpc.discover",
        ];
        const bodies: string[] = [
          "{",
          "]",
          "null",
          "42",
          '"x"',
          "[]",
          '{"jsonrpc":"2.0"}',
          '{"jsonrpc":"2.0","id":1}',
          "\u0000\u0001",
        ];
        bodies.push(
          JSON.stringify(
            Array.from({ length: 5000 }, (_, id) => ({ jsonrpc: "2.0", id, method: "eth_chainId" })),
          ),
        );
        for (let i = 0; i < 60; i++) {
          const params = Array.from({ length: rand(4) }, () => junk[rand(junk.length)]);
          bodies.push(
            JSON.stringify({
              jsonrpc: "2.0",
              id: i,
              method: methods[rand(methods.length)],
              params: rand(5) === 0 ? junk[rand(junk.length)] : params,
            }),
          );
        }
        for (const [i, body] of bodies.entries()) {
          const response = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
          });
          const text = await response.text();
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            throw new Error(
              `fuzz seed 0xe2e case ${i}: status ${response.status}, not JSON: ${text.slice(0, 200)}`,
            );
          }
          const entries = Array.isArray(parsed) ? parsed : [parsed];
          const errored = entries.some((e) => typeof e === "object" && e !== null && "error" in e);
          if (!errored)
            throw new Error(
              `fuzz seed 0xe2e case ${i}: no error for ${body.slice(0, 200)} -> ${text.slice(0, 200)}`,
            );
        }
        expect(BigInt(await rpcCall<string>(url, "eth_chainId"))).toBe(BigInt(CHAIN_ID));
      }),
    120_000,
  );
});

async function waitFor(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
