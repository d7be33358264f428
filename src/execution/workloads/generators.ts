import { createTx } from "@ethereumjs/tx";
import { keccak256 } from "../../crypto/keccak.ts";
import { evmCommon } from "../evm-common.ts";
import { toExecTx } from "../exec-tx.ts";
import { FlatState } from "../flat-state.ts";
import { bytesToHex, hexToBytes } from "../hex.ts";
import type { SequentialExecutor } from "../sequential-executor.ts";
import type { BlockEnv, ExecTx, Fork, Hex } from "../types.ts";
import { KECCAK_EMPTY } from "../types.ts";
import { encodeArgs, encodeCall, SELECTORS } from "./abi.ts";
import { deriveAccounts, type TestAccount } from "./accounts.ts";
import { COUNTER_INITCODE, PAIR_INITCODE, TOKEN_INITCODE } from "./contracts.ts";

/**
 * Reusable workload generators for tests and benches (the parallel executor's property test and
 * its bench ratios import these). Every generator is deterministic for a given seed.
 */

export const WORKLOAD_CHAIN_ID = 4242n;
export const ONE_ETHER = 10n ** 18n;

export function workloadEnv(overrides: Partial<BlockEnv> = {}): BlockEnv {
  return {
    chainId: WORKLOAD_CHAIN_ID,
    fork: "cancun",
    number: 1n,
    timestamp: 1_700_000_000n,
    coinbase: "0x00000000000000000000000000000000000fee00",
    baseFee: 7n,
    gasLimit: 30_000_000_000n,
    prevRandao: new Uint8Array(32),
    ...overrides,
  };
}

/** Tracks the next nonce of each sender so generated txs chain correctly. */
export class NonceBook {
  private readonly next = new Map<Hex, bigint>();
  take(sender: Hex): bigint {
    const nonce = this.next.get(sender) ?? 0n;
    this.next.set(sender, nonce + 1n);
    return nonce;
  }
}

/** An ExecTx whose sender is given (already recovered): no signature work. */
export function unsignedTx(fields: {
  sender: Hex;
  nonce: bigint;
  to: Hex | undefined;
  value?: bigint;
  data?: Uint8Array;
  gasLimit?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
}): ExecTx {
  return {
    type: 2,
    chainId: WORKLOAD_CHAIN_ID,
    nonce: fields.nonce,
    gasLimit: fields.gasLimit ?? 200_000n,
    to: fields.to,
    value: fields.value ?? 0n,
    data: fields.data ?? new Uint8Array(0),
    accessList: [],
    maxFeePerGas: fields.maxFeePerGas ?? 100n,
    maxPriorityFeePerGas: fields.maxPriorityFeePerGas ?? 2n,
    sender: fields.sender,
    // A synthetic hash (these txs were never signed), deterministic from the fields.
    hash: bytesToHex(
      keccak256(
        new TextEncoder().encode(
          `${fields.sender}:${fields.nonce}:${fields.to}:${fields.value}:${fields.maxPriorityFeePerGas}:${fields.data === undefined ? "" : bytesToHex(fields.data)}`,
        ),
      ),
    ),
    size: 110 + (fields.data?.length ?? 0),
  };
}

/** A state where every account holds `balance`. */
export function fundedState(
  accounts: readonly { address: Hex }[],
  balance = 1_000_000n * ONE_ETHER,
): FlatState {
  const state = new FlatState();
  for (const { address } of accounts)
    state.putAccount(address, { nonce: 0n, balance, codeHash: KECCAK_EMPTY });
  state.takeChanges();
  return state;
}

/** Native transfers between random funded accounts (or to fresh addresses with `freshRecipients`). */
export function nativeTransfers(
  accounts: readonly TestAccount[],
  count: number,
  random: () => number,
  nonces = new NonceBook(),
  opts: { freshRecipients?: boolean; hotSender?: boolean } = {},
): ExecTx[] {
  const txs: ExecTx[] = [];
  for (let i = 0; i < count; i++) {
    const from = opts.hotSender === true ? accounts[0] : accounts[Math.floor(random() * accounts.length)];
    const to =
      opts.freshRecipients === true
        ? (`0x${(0xabc00000 + i).toString(16).padStart(40, "0")}` as Hex)
        : accounts[Math.floor(random() * accounts.length)].address;
    txs.push(
      unsignedTx({
        sender: from.address,
        nonce: nonces.take(from.address),
        to,
        value: BigInt(Math.floor(random() * 1_000_000)),
        gasLimit: 21_000n,
      }),
    );
  }
  return txs;
}

/** Contract address for a CREATE from `sender` at `nonce` (keccak(rlp([sender, nonce]))[12:]). */
export function createAddress(sender: Hex, nonce: bigint): Hex {
  const senderBytes = hexToBytes(sender);
  let nonceBytes: Uint8Array;
  if (nonce === 0n) nonceBytes = Uint8Array.of(0x80);
  else if (nonce < 0x80n) nonceBytes = Uint8Array.of(Number(nonce));
  else {
    const raw = hexToBytes(nonce.toString(16));
    nonceBytes = new Uint8Array([0x80 + raw.length, ...raw]);
  }
  const body = new Uint8Array([0x94, ...senderBytes, ...nonceBytes]);
  const list = new Uint8Array([0xc0 + body.length, ...body]);
  return bytesToHex(keccak256(list).subarray(12));
}

/** Deploys initcode (+ constructor args) with a real creation tx; returns the contract address. */
export async function deploy(
  executor: SequentialExecutor,
  state: FlatState,
  env: BlockEnv,
  deployer: Hex,
  nonces: NonceBook,
  initcode: string,
  constructorArgs = "",
): Promise<Hex> {
  const nonce = nonces.take(deployer);
  const tx = unsignedTx({
    sender: deployer,
    nonce,
    to: undefined,
    data: hexToBytes(initcode + constructorArgs),
    gasLimit: 5_000_000n,
  });
  const result = await executor.executeBlock(env, [tx], state);
  const receipt = result.receipts[0];
  if (receipt === undefined || receipt.status !== 1 || receipt.contractAddress === undefined) {
    throw new Error(`deployment failed: ${JSON.stringify(result.rejected)}`);
  }
  return receipt.contractAddress;
}

export interface Erc20Setup {
  state: FlatState;
  env: BlockEnv;
  accounts: TestAccount[];
  token: Hex;
  nonces: NonceBook;
}

/** A token contract with every account minted 10^24 units. Setup runs through the executor. */
export async function erc20Setup(
  executor: SequentialExecutor,
  accountCount: number,
  seed = 1,
): Promise<Erc20Setup> {
  const accounts = deriveAccounts(accountCount, seed);
  const state = fundedState(accounts);
  const env = workloadEnv();
  const nonces = new NonceBook();
  const deployer = accounts[0].address;
  const token = await deploy(executor, state, env, deployer, nonces, TOKEN_INITCODE);
  const mints = accounts.map((a) =>
    unsignedTx({
      sender: deployer,
      nonce: nonces.take(deployer),
      to: token,
      data: encodeCall(SELECTORS.mint, [{ address: a.address }, { uint: 10n ** 24n }]),
    }),
  );
  await executor.executeBlock(env, mints, state);
  state.takeChanges();
  return { state, env, accounts, token, nonces };
}

/** ERC-20 transfers between random accounts (`hot`: everyone sends to accounts[0]). */
export function erc20Transfers(
  setup: Erc20Setup,
  count: number,
  random: () => number,
  hot = false,
): ExecTx[] {
  const txs: ExecTx[] = [];
  for (let i = 0; i < count; i++) {
    const from = setup.accounts[Math.floor(random() * setup.accounts.length)];
    const to = hot ? setup.accounts[0] : setup.accounts[Math.floor(random() * setup.accounts.length)];
    txs.push(
      unsignedTx({
        sender: from.address,
        nonce: setup.nonces.take(from.address),
        to: setup.token,
        data: encodeCall(SELECTORS.transfer, [
          { address: to.address },
          { uint: BigInt(1 + Math.floor(random() * 1000)) },
        ]),
        gasLimit: 100_000n,
      }),
    );
  }
  return txs;
}

export interface SwapSetup extends Erc20Setup {
  token1: Hex;
  pair: Hex;
}

/** Two tokens and a constant-product pair with deep liquidity; every account approved the pair. */
export async function swapSetup(
  executor: SequentialExecutor,
  accountCount: number,
  seed = 2,
): Promise<SwapSetup> {
  const base = await erc20Setup(executor, accountCount, seed);
  const { state, env, accounts, nonces, token } = base;
  const deployer = accounts[0].address;
  const token1 = await deploy(executor, state, env, deployer, nonces, TOKEN_INITCODE);
  const pair = await deploy(
    executor,
    state,
    env,
    deployer,
    nonces,
    PAIR_INITCODE,
    encodeArgs([{ address: token }, { address: token1 }]),
  );
  const txs: ExecTx[] = [];
  for (const a of accounts) {
    txs.push(
      unsignedTx({
        sender: deployer,
        nonce: nonces.take(deployer),
        to: token1,
        data: encodeCall(SELECTORS.mint, [{ address: a.address }, { uint: 10n ** 24n }]),
      }),
    );
    for (const t of [token, token1]) {
      txs.push(
        unsignedTx({
          sender: a.address,
          nonce: nonces.take(a.address),
          to: t,
          data: encodeCall(SELECTORS.approve, [{ address: pair }, { uint: (1n << 256n) - 1n }]),
        }),
      );
    }
  }
  txs.push(
    unsignedTx({
      sender: deployer,
      nonce: nonces.take(deployer),
      to: pair,
      data: encodeCall(SELECTORS.addLiquidity, [{ uint: 10n ** 23n }, { uint: 10n ** 23n }]),
      gasLimit: 300_000n,
    }),
  );
  const result = await executor.executeBlock(env, txs, state);
  if (result.receipts.some((r) => r.status !== 1)) throw new Error("swap setup failed");
  state.takeChanges();
  return { ...base, token1, pair };
}

export function swaps(setup: SwapSetup, count: number, random: () => number): ExecTx[] {
  const txs: ExecTx[] = [];
  for (let i = 0; i < count; i++) {
    const from = setup.accounts[Math.floor(random() * setup.accounts.length)];
    txs.push(
      unsignedTx({
        sender: from.address,
        nonce: setup.nonces.take(from.address),
        to: setup.pair,
        data: encodeCall(SELECTORS.swap, [
          { uint: BigInt(1000 + Math.floor(random() * 1e6)) },
          { bool: random() < 0.5 },
        ]),
        gasLimit: 200_000n,
      }),
    );
  }
  return txs;
}

/** Deploys the shared Counter (full contention: every bump writes one slot). */
export async function counterSetup(
  executor: SequentialExecutor,
  state: FlatState,
  env: BlockEnv,
  deployer: Hex,
  nonces: NonceBook,
): Promise<Hex> {
  return deploy(executor, state, env, deployer, nonces, COUNTER_INITCODE);
}

/** Signs a native transfer with @ethereumjs/tx (native secp256k1) and returns the raw bytes. */
export function signedTransfer(
  from: TestAccount,
  nonce: bigint,
  to: Hex,
  value: bigint,
  fork: Fork = "cancun",
  chainId = WORKLOAD_CHAIN_ID,
): Uint8Array {
  const common = evmCommon(chainId, fork);
  const tx = createTx(
    {
      type: 2,
      chainId,
      nonce,
      to,
      value,
      gasLimit: 21_000n,
      maxFeePerGas: 100n,
      maxPriorityFeePerGas: 2n,
    },
    { common },
  ).sign(from.privateKey);
  return tx.serialize();
}

/** Re-exported so callers can turn a signed tx into an ExecTx without another import. */
export { toExecTx };
