import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { CodedError } from "../util/coded-error.ts";

export class L1ConnectError extends CodedError<"RPC_UNREACHABLE" | "BAD_RPC_URL"> {}

export interface L1Clients {
  chain: Chain;
  publicClient: PublicClient<Transport, Chain>;
  walletClient: WalletClient<Transport, Chain, Account> | undefined;
}

/**
 * Connects to an L1 JSON-RPC endpoint: reads its chain id (which also proves it answers) and
 * builds viem clients. The wallet client exists only when an account is given.
 */
export async function connectL1(rpcUrl: string, account?: Account): Promise<L1Clients> {
  let url: URL;
  try {
    url = new URL(rpcUrl);
  } catch {
    throw new L1ConnectError("BAD_RPC_URL", `not a URL: ${rpcUrl}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new L1ConnectError("BAD_RPC_URL", `the L1 RPC must be http(s): ${rpcUrl}`);
  }
  const transport = http(rpcUrl, { retryCount: 0, timeout: 120_000 });
  let chainId: number;
  try {
    chainId = await createPublicClient({ transport }).getChainId();
  } catch (error) {
    throw new L1ConnectError(
      "RPC_UNREACHABLE",
      `cannot reach the L1 RPC at ${rpcUrl}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
    );
  }
  const chain = defineChain({
    id: chainId,
    name: `l1-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 50 });
  const walletClient = account ? createWalletClient({ chain, transport, account }) : undefined;
  return { chain, publicClient, walletClient };
}
