import solc from "solc";
import {
  type Abi,
  type BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  getContract,
  type Hex,
  http,
  parseAbi,
} from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DevChain } from "../../../src/rpc/dev-chain.ts";
import { RpcServer } from "../../../src/rpc/server.ts";
import { alice, bob, CHAIN_ID, ETHER, testChain } from "./fixtures.ts";

/** A small token: enough EVM surface (storage, events, require strings, custom errors). */
const SOURCE = `
// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;
contract Token {
  mapping(address => uint256) public balanceOf;
  uint256 public totalSupply;
  event Transfer(address indexed from, address indexed to, uint256 value);
  error Unauthorized(address who);
  address immutable owner;
  constructor(uint256 supply) { owner = msg.sender; balanceOf[msg.sender] = supply; totalSupply = supply; emit Transfer(address(0), msg.sender, supply); }
  function transfer(address to, uint256 amount) external returns (bool) {
    require(balanceOf[msg.sender] >= amount, "insufficient balance");
    balanceOf[msg.sender] -= amount; balanceOf[to] += amount;
    emit Transfer(msg.sender, to, amount);
    return true;
  }
  function mint(uint256 amount) external { if (msg.sender != owner) revert Unauthorized(msg.sender); balanceOf[owner] += amount; totalSupply += amount; }
}`;

function compile(): { abi: Abi; bytecode: Hex } {
  const input = {
    language: "Solidity",
    sources: { "Token.sol": { content: SOURCE } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (out.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const c = out.contracts["Token.sol"].Token;
  return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
}

describe("DevChain: the RPC server over the execution engine, driven by viem", () => {
  let server: RpcServer;
  let url: string;
  let chain: DevChain;
  beforeAll(async () => {
    chain = await DevChain.create({
      chainId: BigInt(CHAIN_ID),
      alloc: [
        { address: alice.address.toLowerCase() as Hex, balance: 100n * ETHER },
        { address: bob.address.toLowerCase() as Hex, balance: 100n * ETHER },
      ],
    });
    server = new RpcServer({}, { backend: chain });
    url = (await server.start()).url;
  });
  afterAll(async () => {
    await server.stop();
  });

  it("deploys an ERC-20 compiled by solc-js, transfers, reads logs, estimates gas and decodes reverts", async () => {
    const { abi, bytecode } = compile();
    const client = createPublicClient({ chain: testChain, transport: http(url) });
    const wallet = createWalletClient({ account: alice, chain: testChain, transport: http(url) });
    const deployHash = await wallet.deployContract({ abi, bytecode, args: [1_000_000n] });
    const deployed = await client.waitForTransactionReceipt({ hash: deployHash, pollingInterval: 10 });
    expect(deployed.status).toBe("success");
    const address = deployed.contractAddress as Hex;
    expect((await client.getCode({ address }))?.length).toBeGreaterThan(100);
    const token = getContract({ address, abi, client: { public: client, wallet } });

    expect(await token.read.balanceOf([alice.address])).toBe(1_000_000n);
    const gas = await client.estimateContractGas({
      address,
      abi,
      functionName: "transfer",
      args: [bob.address, 250n],
      account: alice,
    });
    expect(gas).toBeGreaterThan(21_000n);
    expect(gas).toBeLessThan(100_000n);
    const hash = await token.write.transfer([bob.address, 250n]);
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 10 });
    expect(receipt.status).toBe("success");
    expect(receipt.gasUsed).toBeLessThanOrEqual(gas);
    expect(await token.read.balanceOf([bob.address])).toBe(250n);
    // State at an older block still answers the old value.
    expect(await token.read.balanceOf([bob.address], { blockNumber: deployed.blockNumber })).toBe(0n);

    const transfers = await client.getContractEvents({
      address,
      abi: parseAbi(["event Transfer(address indexed from, address indexed to, uint256 value)"]),
      eventName: "Transfer",
      fromBlock: 0n,
    });
    expect(transfers.map((l) => l.args.value)).toEqual([1_000_000n, 250n]);
    expect(transfers[1].transactionHash).toBe(hash);

    const tooMuch = await client
      .simulateContract({
        address,
        abi,
        functionName: "transfer",
        args: [alice.address, 10n ** 9n],
        account: bob,
      })
      .catch((e: unknown) => e);
    const reverted = (tooMuch as BaseError).walk(
      (e) => e instanceof ContractFunctionRevertedError,
    ) as ContractFunctionRevertedError;
    expect(reverted.reason).toBe("insufficient balance");
    const unauthorized = await client
      .simulateContract({ address, abi, functionName: "mint", args: [1n], account: bob })
      .catch((e: unknown) => e);
    const custom = (unauthorized as BaseError).walk(
      (e) => e instanceof ContractFunctionRevertedError,
    ) as ContractFunctionRevertedError;
    expect(custom.data?.errorName).toBe("Unauthorized");

    // A reverted transaction is included with status 0.
    const failed = await token.write.mint([5n], { account: bob, gas: 100_000n });
    expect((await client.waitForTransactionReceipt({ hash: failed, pollingInterval: 10 })).status).toBe(
      "reverted",
    );

    const block = await client.getBlock({ blockNumber: receipt.blockNumber });
    expect(block.stateRoot).toMatch(/^0x[0-9a-f]{64}$/);
    expect(block.parentHash).toBe((await client.getBlock({ blockNumber: receipt.blockNumber - 1n })).hash);
  });

  it("state overrides apply to eth_call only", async () => {
    const client = createPublicClient({ chain: testChain, transport: http(url) });
    const rich = "0x00000000000000000000000000000000000000aa";
    const balance = await client.getBalance({ address: rich });
    expect(balance).toBe(0n);
    const res = await client.request({
      method: "eth_call",
      params: [
        { from: rich, to: bob.address, value: "0x1" },
        "latest",
        { [rich]: { balance: "0xde0b6b3a7640000" } },
      ],
    } as never);
    expect(res).toBe("0x");
    expect(await client.getBalance({ address: rich })).toBe(0n);
  });

  it("sendRawTransactionSync and realtime_ return the executed receipt; rejections use geth's words", async () => {
    const client = createPublicClient({ chain: testChain, transport: http(url) });
    const wallet = createWalletClient({ account: bob, chain: testChain, transport: http(url) });
    const request = await wallet.prepareTransactionRequest({ to: alice.address, value: 7n });
    const serializedTransaction = await wallet.signTransaction(request);
    const receipt = await client.sendRawTransactionSync({ serializedTransaction });
    expect(receipt.status).toBe("success");
    const again = await client.sendRawTransaction({ serializedTransaction }).catch((e: Error) => e);
    expect(String((again as Error).message)).toMatch(/already known|nonce too low/);
    const gap = await wallet.signTransaction({ ...request, nonce: (request.nonce ?? 0) + 5 });
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "realtime_sendRawTransaction", params: [gap] }),
    });
    const body = (await res.json()) as { error: { code: number; data: string } };
    expect(body.error.code).toBe(5);
    expect(BigInt(body.error.data)).toBe(BigInt((request.nonce ?? 0) + 1));
  });
});
