import { readFileSync } from "node:fs";
import {
  type Abi,
  type Account,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  formatUnits,
  type Hex,
  isAddress,
  parseUnits,
} from "viem";
import { z } from "zod";
import { CodedError } from "../util/coded-error.ts";
import { connectL1, type L1Clients } from "./clients.ts";
import type { Deployment } from "./deploy.ts";
import { loadL1Account } from "./keys.ts";
import { explainRevert } from "./revert.ts";

/**
 * What every staking command needs: an L1 RPC, the deployment's addresses and (to send) an
 * account from a key file. Everything is checked before anything is sent.
 */
export class OperatorError extends CodedError<
  | "NO_RPC"
  | "NO_DEPLOYMENT"
  | "BAD_DEPLOYMENT"
  | "NO_KEY"
  | "BAD_AMOUNT"
  | "BAD_ADDRESS"
  | "BAD_ARGUMENT"
  | "TX_FAILED"
> {}

export interface OperatorOptions {
  rpc?: string;
  deployment?: string;
  key?: string;
}

const address = z.string().refine((s) => isAddress(s), "not an address");
const DeploymentSchema = z.object({
  chainId: z.number(),
  contracts: z.object({
    MegaToken: address,
    StakingManager: address,
    Slashing: address,
    Governor: address,
    Timelock: address,
  }),
});

export function loadDeployment(path: string | undefined): Deployment["contracts"] & { chainId: number } {
  const file = path ?? process.env.MEGASEQ_DEPLOYMENT;
  if (!file) {
    throw new OperatorError(
      "NO_DEPLOYMENT",
      "no deployment: pass --deployment FILE (written by `megaseq l1 deploy --out`)",
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new OperatorError("BAD_DEPLOYMENT", `cannot read deployment ${file}: ${(error as Error).message}`);
  }
  const parsed = DeploymentSchema.safeParse(json);
  if (!parsed.success) {
    throw new OperatorError(
      "BAD_DEPLOYMENT",
      `${file} is not a megaseq deployment: ${parsed.error.issues[0]?.message}`,
    );
  }
  return { chainId: parsed.data.chainId, ...(parsed.data.contracts as Deployment["contracts"]) };
}

export function resolveRpc(rpc: string | undefined): string {
  const url = rpc ?? process.env.MEGASEQ_L1_RPC;
  if (!url) throw new OperatorError("NO_RPC", "no L1 RPC: pass --rpc URL (or set MEGASEQ_L1_RPC)");
  return url;
}

export function requireKey(key: string | undefined): Account {
  const file = key ?? process.env.MEGASEQ_L1_KEY;
  if (!file) throw new OperatorError("NO_KEY", "this sends a transaction: pass --key FILE (an L1 key file)");
  return loadL1Account(file);
}

/** "12.5" MEGA → wei; refuses negatives, signs, exponents and more than 18 decimals. */
export function parseMega(text: string, what = "amount"): bigint {
  if (!/^\d+(\.\d{1,18})?$/.test(text.trim())) {
    throw new OperatorError(
      "BAD_AMOUNT",
      `${what} "${text}" is not a MEGA amount like 12.5 (at most 18 decimals)`,
    );
  }
  const wei = parseUnits(text.trim(), 18);
  if (wei === 0n) throw new OperatorError("BAD_AMOUNT", `${what} must be more than zero`);
  return wei;
}

export function formatMega(wei: bigint): string {
  return formatUnits(wei, 18);
}

export function parseAddress(text: string, what = "address"): Address {
  if (!isAddress(text)) throw new OperatorError("BAD_ADDRESS", `${what} "${text}" is not an address`);
  return text;
}

export function parseInteger(text: string, what: string, max?: bigint): bigint {
  if (!/^\d+$/.test(text)) throw new OperatorError("BAD_ARGUMENT", `${what} "${text}" is not a whole number`);
  const value = BigInt(text);
  if (max !== undefined && value > max)
    throw new OperatorError("BAD_ARGUMENT", `${what} ${value} is above ${max}`);
  return value;
}

export interface OperatorContext {
  l1: L1Clients;
  contracts: Deployment["contracts"];
  account: Account | undefined;
}

/** Connects to the RPC with the deployment (and the key, when `needsKey`). */
export async function operatorContext(opts: OperatorOptions, needsKey: boolean): Promise<OperatorContext> {
  const contracts = loadDeployment(opts.deployment);
  const rpc = resolveRpc(opts.rpc);
  const account = needsKey ? requireKey(opts.key) : opts.key ? requireKey(opts.key) : undefined;
  const l1 = await connectL1(rpc, account);
  if (l1.chain.id !== contracts.chainId) {
    throw new OperatorError(
      "BAD_DEPLOYMENT",
      `the RPC is chain ${l1.chain.id} but the deployment is for chain ${contracts.chainId}`,
    );
  }
  const { chainId: _chainId, ...addresses } = contracts;
  return { l1, contracts: addresses, account };
}

export interface SentTx {
  hash: Hex;
  blockNumber: bigint;
  gasUsed: bigint;
}

/**
 * Simulates a contract call first (so a revert is explained in words and nothing is sent), then
 * sends it and waits for the receipt.
 */
export async function sendTx<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, "nonpayable" | "payable">,
>(
  ctx: OperatorContext,
  call: {
    address: Address;
    abi: abi;
    functionName: functionName;
    args: ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>;
  },
): Promise<SentTx> {
  const wallet = ctx.l1.walletClient;
  if (!wallet) throw new OperatorError("NO_KEY", "this sends a transaction: pass --key FILE");
  let request: unknown;
  try {
    ({ request } = await ctx.l1.publicClient.simulateContract({
      ...(call as { address: Address; abi: Abi; functionName: string; args: readonly unknown[] }),
      account: wallet.account,
    }));
  } catch (error) {
    return explainRevert(error);
  }
  const hash = await wallet.writeContract(request as Parameters<typeof wallet.writeContract>[0]);
  const receipt = await ctx.l1.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") {
    throw new OperatorError("TX_FAILED", `transaction ${hash} reverted on chain`);
  }
  return { hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
}
