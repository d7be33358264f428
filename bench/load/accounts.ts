// Deterministic load accounts and ahead-of-time signing: the bench signs every transaction before
// the clock starts, so the measured path is RPC + consensus + execution, not the client's ECDSA.
import { encodeFunctionData, getContractAddress, type Hex, parseAbi } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";

export const TOKEN_ABI = parseAbi([
  "function mint(address to, uint256 amount)",
  "function transfer(address to, uint256 amount) returns (bool)",
]);

export const MAX_FEE = 20_000_000_000n;
export const TIP = 1_000_000_000n;

export function loadAccounts(count: number, tag: number): PrivateKeyAccount[] {
  return Array.from({ length: count }, (_, i) =>
    privateKeyToAccount(`0x${(tag * 1_000_000 + i + 1).toString(16).padStart(64, "0")}` as Hex),
  );
}

export interface SignOpts {
  chainId: number;
  nonce: number;
  to: Hex;
  value?: bigint;
  data?: Hex;
  gas: bigint;
}

export function sign(account: PrivateKeyAccount, o: SignOpts): Promise<Hex> {
  return account.signTransaction({
    type: "eip1559",
    chainId: o.chainId,
    nonce: o.nonce,
    to: o.to,
    value: o.value ?? 0n,
    ...(o.data ? { data: o.data } : {}),
    gas: o.gas,
    maxFeePerGas: MAX_FEE,
    maxPriorityFeePerGas: TIP,
  });
}

/** Native transfers: `perSender` consecutive nonces from each sender, to the next sender. */
export async function signNativeTransfers(
  chainId: number,
  senders: PrivateKeyAccount[],
  perSender: number,
  firstNonce = 0,
): Promise<Hex[]> {
  const out: Hex[] = [];
  // Interleaved by nonce so that a prefix of the list never has a nonce gap.
  for (let k = 0; k < perSender; k++) {
    for (const [i, s] of senders.entries()) {
      const to = senders[(i + 1) % senders.length].address;
      out.push(await sign(s, { chainId, nonce: firstNonce + k, to, value: 1n, gas: 21_000n }));
    }
  }
  return out;
}

export function tokenAddressOf(deployer: Hex): Hex {
  return getContractAddress({ from: deployer, nonce: 0n });
}

/** Each sender mints itself tokens (nonce firstNonce), then sends `perSender` transfers. */
export async function signTokenTransfers(
  chainId: number,
  token: Hex,
  senders: PrivateKeyAccount[],
  perSender: number,
  firstNonce = 0,
): Promise<{ mints: Hex[]; transfers: Hex[] }> {
  const mints: Hex[] = [];
  for (const s of senders) {
    const data = encodeFunctionData({ abi: TOKEN_ABI, functionName: "mint", args: [s.address, 1_000_000n] });
    mints.push(await sign(s, { chainId, nonce: firstNonce, to: token, data, gas: 120_000n }));
  }
  const transfers: Hex[] = [];
  for (let k = 0; k < perSender; k++) {
    for (const [i, s] of senders.entries()) {
      const to = senders[(i + 1) % senders.length].address;
      const data = encodeFunctionData({ abi: TOKEN_ABI, functionName: "transfer", args: [to, 1n] });
      transfers.push(await sign(s, { chainId, nonce: firstNonce + 1 + k, to: token, data, gas: 80_000n }));
    }
  }
  return { mints, transfers };
}
