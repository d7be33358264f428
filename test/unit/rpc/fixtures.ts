import {
  defineChain,
  encodeAbiParameters,
  encodeErrorResult,
  type PrivateKeyAccount,
  parseAbi,
  toEventSelector,
  toFunctionSelector,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ANVIL_DEV_KEYS } from "../../../src/l1/anvil.ts";
import type { Hex } from "../../../src/rpc/hex.ts";
import { RpcServer, type RpcServerOptions } from "../../../src/rpc/server.ts";
import { MemoryChain, type MemoryChainOptions } from "./memory-chain.ts";

export const CHAIN_ID = 4242;
export const ETHER = 10n ** 18n;

export const alice: PrivateKeyAccount = privateKeyToAccount(ANVIL_DEV_KEYS[0]);
export const bob: PrivateKeyAccount = privateKeyToAccount(ANVIL_DEV_KEYS[1]);

export const testChain = defineChain({
  id: CHAIN_ID,
  name: "megaseq-test",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: ["http://127.0.0.1:1"] } },
});

/** A scripted ERC-20-like token: transfer(to, amount) emits Transfer; balanceOf answers 42; fail() reverts. */
export const TOKEN: Hex = "0x00000000000000000000000000000000000c0de1";
export const tokenAbi = parseAbi([
  "event Transfer(address indexed from, address indexed to, uint256 value)",
  "function transfer(address to, uint256 amount) returns (bool)",
  "function balanceOf(address who) view returns (uint256)",
  "function fail() view",
  "error Unauthorized(address who)",
]);
export const TRANSFER_TOPIC = toEventSelector("Transfer(address,address,uint256)") as Hex;

function pad(address: string): Hex {
  return `0x${address.slice(2).toLowerCase().padStart(64, "0")}`;
}

export function installToken(chain: MemoryChain): void {
  chain.contracts.set(TOKEN, {
    logs(input, from) {
      // transfer(address,uint256): selector + 2 words.
      const to = `0x${input.slice(10 + 24, 10 + 64)}`;
      const amount = `0x${input.slice(10 + 64, 10 + 128)}` as Hex;
      return [{ topics: [TRANSFER_TOPIC, pad(from), pad(to)], data: amount }];
    },
    call(req) {
      const selector = (req.data ?? "0x").slice(0, 10);
      if (selector === "0x70a08231") {
        return {
          status: "success",
          returnData: encodeAbiParameters([{ type: "uint256" }], [42n]),
          gasUsed: 24_000n,
        };
      }
      if (selector === toFunctionSelector("fail()")) {
        // fail(): a custom error.
        return {
          status: "revert",
          returnData: encodeErrorResult({
            abi: tokenAbi,
            errorName: "Unauthorized",
            args: [req.from ?? alice.address],
          }),
          gasUsed: 23_000n,
        };
      }
      if (selector === "0xdeadbeef") {
        return {
          status: "revert",
          returnData: encodeErrorResult({
            abi: parseAbi(["error Error(string)"]),
            errorName: "Error",
            args: ["not enough tokens"],
          }),
          gasUsed: 23_000n,
        };
      }
      return {
        status: "success",
        returnData: encodeAbiParameters([{ type: "bool" }], [true]),
        gasUsed: 30_000n,
      };
    },
  });
}

export interface Harness {
  chain: MemoryChain;
  server: RpcServer;
  url: string;
  wsUrl: string;
  stop(): Promise<void>;
}

export async function startHarness(
  chainOpts: MemoryChainOptions = {},
  serverOpts: RpcServerOptions = {},
): Promise<Harness> {
  const chain = new MemoryChain({
    chainId: BigInt(CHAIN_ID),
    funded: [
      { address: alice.address.toLowerCase() as Hex, balance: 1000n * ETHER },
      { address: bob.address.toLowerCase() as Hex, balance: 1000n * ETHER },
    ],
    ...chainOpts,
  });
  installToken(chain);
  const server = new RpcServer(serverOpts, {
    backend: chain,
    onInternalError: (method, error) => {
      throw new Error(`internal error in ${method}: ${String(error)}`);
    },
  });
  const { url, wsUrl } = await server.start();
  return { chain, server, url, wsUrl, stop: () => server.stop() };
}

/** POSTs a raw body; returns status and parsed JSON (or the text when it is not JSON). */
export async function post(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown; text: string }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

export async function rpc(
  url: string,
  method: string,
  params: unknown[] = [],
): Promise<{ result?: unknown; error?: { code: number; message: string; data?: unknown } }> {
  const { json } = await post(url, JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }));
  return json as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
}
