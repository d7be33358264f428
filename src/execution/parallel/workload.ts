import { FlatState } from "../flat-state.ts";
import { hexToBytes } from "../hex.ts";
import { SequentialExecutor } from "../sequential-executor.ts";
import type { BlockEnv, ExecTx, Hex } from "../types.ts";
import { encodeCall, SELECTORS } from "../workloads/abi.ts";
import { seededRandom } from "../workloads/accounts.ts";
import { COUNTER_INITCODE, TOKEN_INITCODE } from "../workloads/contracts.ts";

/**
 * Workloads for the parallel executor, from no contention to full contention: native transfers,
 * ERC-20 transfers (optionally all to one hot account), shared counters, reverts, contract
 * creations, transfers to the fee recipient, and invalid transactions. Transactions are built as
 * ExecTx directly (senders need no keys: the executors take recovered senders).
 */
export const COINBASE = "0x00000000000000000000000000000000000c0ffe" as Hex;
const DEPLOYER = "0x00000000000000000000000000000000000d0001" as Hex;
export const GWEI = 1_000_000_000n;

export const addrOf = (tag: number, i: number): Hex =>
  `0x${tag.toString(16).padStart(8, "0")}${i.toString(16).padStart(32, "0")}` as Hex;
export const sender = (i: number): Hex => addrOf(0x5e, i);
const recipient = (i: number): Hex => addrOf(0x4ec, i);

let hashCounter = 0;
function nextHash(): Hex {
  hashCounter++;
  return `0x${hashCounter.toString(16).padStart(64, "0")}` as Hex;
}

export function mkTx(
  from: Hex,
  nonce: bigint,
  to: Hex | undefined,
  data: Uint8Array,
  opts: { value?: bigint; gasLimit?: bigint; tip?: bigint } = {},
): ExecTx {
  return {
    type: 2,
    chainId: 1n,
    nonce,
    gasLimit: opts.gasLimit ?? 200_000n,
    to,
    value: opts.value ?? 0n,
    data,
    accessList: [],
    maxFeePerGas: 20n * GWEI,
    maxPriorityFeePerGas: opts.tip ?? GWEI,
    sender: from,
    hash: nextHash(),
    size: 120 + data.length,
  };
}

export function blockEnv(number = 1n): BlockEnv {
  return {
    chainId: 1n,
    fork: "cancun",
    number,
    timestamp: 1_700_000_000n + number,
    coinbase: COINBASE,
    baseFee: 7n * GWEI,
    gasLimit: 60_000_000n,
    prevRandao: new Uint8Array(32),
  };
}

export interface Genesis {
  state: FlatState;
  token: Hex;
  counters: Hex[];
  senders: number;
}

/** Funds `senders` EOAs (`sender(i)`), deploys a Token (minted to every sender) and 4 Counters. */
export async function buildGenesis(senders: number): Promise<Genesis> {
  const state = new FlatState();
  const rich = 10n ** 24n;
  state.putAccount(DEPLOYER, {
    nonce: 0n,
    balance: rich,
    codeHash: "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
  });
  for (let i = 0; i < senders; i++) {
    state.putAccount(sender(i), {
      nonce: 0n,
      balance: rich,
      codeHash: "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    });
  }
  const seq = new SequentialExecutor();
  let nonce = 0n;
  const deploy = async (initcode: string): Promise<Hex> => {
    const r = await seq.executeBlock(
      blockEnv(0n),
      [mkTx(DEPLOYER, nonce++, undefined, hexToBytes(initcode), { gasLimit: 3_000_000n })],
      state,
    );
    const address = r.receipts[0]?.contractAddress;
    if (address === undefined) throw new Error("deployment failed");
    return address;
  };
  const token = await deploy(TOKEN_INITCODE);
  const counters: Hex[] = [];
  for (let i = 0; i < 4; i++) counters.push(await deploy(COUNTER_INITCODE));
  const mints: ExecTx[] = [];
  for (let i = 0; i < senders; i++) {
    mints.push(
      mkTx(
        DEPLOYER,
        nonce++,
        token,
        encodeCall(SELECTORS.mint, [{ address: sender(i) }, { uint: 10n ** 30n }]),
      ),
    );
  }
  await seq.executeBlock(blockEnv(0n), mints, state);
  state.takeChanges();
  return { state, token, counters, senders };
}

/** A deep copy of a root FlatState (both executors must start from equal, independent states). */
export function cloneState(src: FlatState): FlatState {
  const dst = new FlatState();
  for (const [address, account] of src.entries()) {
    const code = src.getCode(address);
    if (code.length > 0) dst.adoptCode(account.codeHash, code);
    dst.putAccount(address, account);
    for (const [slot, value] of src.storageEntries(address)) dst.putStorage(address, slot, value);
  }
  dst.takeChanges();
  return dst;
}

export interface WorkloadParams {
  seed: number;
  txs: number;
  /** 0 = independent transactions, 1 = every transaction on the same hot keys. */
  contention: number;
  /** How many distinct senders are used (few senders = long same-sender nonce chains). */
  activeSenders: number;
  /** Include reverts, creations, invalid txs and transfers to the fee recipient. */
  mixed: boolean;
  /** Senders in turn (k % activeSenders) instead of at random: no sender repeats within activeSenders txs. */
  roundRobin?: boolean;
  /** Only these kinds: "native" | "erc20" (default: the mix chosen by `mixed`). */
  only?: "native" | "erc20";
}

/** A block of transactions; `nonces` carries each sender's next nonce across blocks. */
export function makeBlock(g: Genesis, p: WorkloadParams, nonces: Map<Hex, bigint>): ExecTx[] {
  const rand = seededRandom(p.seed);
  const txs: ExecTx[] = [];
  const pick = (n: number): number => Math.floor(rand() * n);
  for (let k = 0; k < p.txs; k++) {
    const active = Math.min(p.activeSenders, g.senders);
    const from = sender(p.roundRobin === true ? k % active : pick(active));
    const nonce = nonces.get(from) ?? 0n;
    const hot = rand() < p.contention;
    const kind = p.only === "native" ? 0 : p.only === "erc20" ? 1 : p.mixed ? pick(10) : pick(3);
    let tx: ExecTx;
    let valid = true;
    switch (kind) {
      case 0:
        tx = mkTx(from, nonce, hot ? recipient(0) : recipient(pick(1000)), new Uint8Array(0), {
          value: BigInt(1 + pick(1000)),
          gasLimit: 21_000n,
          tip: BigInt(1 + pick(3)) * GWEI,
        });
        break;
      case 1:
        tx = mkTx(
          from,
          nonce,
          g.token,
          encodeCall(SELECTORS.transfer, [
            { address: hot ? recipient(0) : recipient(pick(1000)) },
            { uint: BigInt(1 + pick(100)) },
          ]),
        );
        break;
      case 2:
        tx = mkTx(
          from,
          nonce,
          hot ? g.counters[0] : g.counters[pick(g.counters.length)],
          encodeCall(SELECTORS.bump, []),
        );
        break;
      case 3:
        tx = mkTx(
          from,
          nonce,
          g.counters[hot ? 0 : pick(g.counters.length)],
          encodeCall(SELECTORS.bumpAndRevert, []),
        );
        break;
      case 4:
        tx = mkTx(from, nonce, undefined, hexToBytes(COUNTER_INITCODE), { gasLimit: 400_000n });
        break;
      case 5:
        tx = mkTx(from, nonce, COINBASE, new Uint8Array(0), { value: 5n, gasLimit: 21_000n });
        break;
      case 6:
        // Nonce gap: rejected, changes nothing, and the sender's next tx uses the right nonce.
        tx = mkTx(from, nonce + 3n, recipient(1), new Uint8Array(0), { value: 1n, gasLimit: 21_000n });
        valid = false;
        break;
      case 7:
        // Reads the hot account's token balance via transferFrom without allowance: reverts.
        tx = mkTx(
          from,
          nonce,
          g.token,
          encodeCall(SELECTORS.transferFrom, [{ address: recipient(0) }, { address: from }, { uint: 1n }]),
        );
        break;
      case 8:
        // ERC-20 transfer to a fresh account, then a bump: two writes per tx.
        tx = mkTx(
          from,
          nonce,
          g.token,
          encodeCall(SELECTORS.transfer, [{ address: sender(pick(g.senders)) }, { uint: 1n }]),
        );
        break;
      default:
        tx = mkTx(from, nonce, hot ? recipient(0) : recipient(pick(50)), new Uint8Array([1, 2, 3]), {
          value: 1n,
          gasLimit: 30_000n,
        });
    }
    if (valid) nonces.set(from, nonce + 1n);
    txs.push(tx);
  }
  return txs;
}
