import type { Common } from "@ethereumjs/common";
import { createEVM, type EVM, type EVMResult } from "@ethereumjs/evm";
import { Address } from "@ethereumjs/util";
import { reject } from "./errors.ts";
import { evmCommon } from "./evm-common.ts";
import { EvmStateManager } from "./evm-state-manager.ts";
import { installFastJournal } from "./fast-journal.ts";
import { installFastOpcodes } from "./fast-opcodes.ts";
import { bytesToHex, hexToBytes } from "./hex.ts";
import { floorDataGas } from "./intrinsic-gas.ts";
import { installJumpdestCache } from "./jumpdest-cache.ts";
import { installSyncStepLoop } from "./sync-step-loop.ts";
import { checkTxStatic } from "./tx-checks.ts";
import type { AccountData, BlockEnv, ExecTx, Fork, Hex, Log, StateWriter } from "./types.ts";
import { KECCAK_EMPTY } from "./types.ts";

/** EIP-3529: refunds are capped at gasUsed / 5. */
const REFUND_QUOTIENT = 5n;

/** What one included transaction did (the executor turns this into a receipt). */
export interface TxOutcome {
  status: 0 | 1;
  /** Gas charged after refunds (and the EIP-7623 floor on Prague). */
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  /** gasUsed * (effectiveGasPrice - baseFee): what the fee recipient gets. */
  priorityFee: bigint;
  /** gasUsed * baseFee: burned. */
  burned: bigint;
  logs: Log[];
  contractAddress: Hex | undefined;
  /** True when the native-transfer fast path ran (no interpreter). */
  fastPath: boolean;
}

export interface TxEnvelopeOpts {
  chainId: bigint;
  fork: Fork;
  /** Accept legacy txs without an EIP-155 chain id (default true, as Ethereum does). */
  allowUnprotected?: boolean;
  /** Let native transfers to code-less accounts skip the interpreter (default true). */
  fastPath?: boolean;
}

interface BlockLike {
  header: {
    number: bigint;
    coinbase: Address;
    timestamp: bigint;
    difficulty: bigint;
    prevRandao: Uint8Array;
    gasLimit: bigint;
    baseFeePerGas: bigint | undefined;
    slotNumber: bigint;
    getBlobGasPrice: () => bigint | undefined;
  };
}

function isEmpty(account: AccountData | undefined): boolean {
  return (
    account === undefined ||
    (account.nonce === 0n && account.balance === 0n && account.codeHash === KECCAK_EMPTY)
  );
}

/**
 * The transaction envelope around @ethereumjs/evm's `runCall`: validation (chain id, nonce,
 * intrinsic gas, fee caps, balance, initcode size), up-front gas purchase, EIP-2929 warm set,
 * the call itself, EIP-3529 refunds, fee split (base fee burned, priority fee to the block's
 * coinbase), EIP-6780 selfdestructs and EIP-161 cleanup of touched empty accounts.
 *
 * A tx that fails validation throws TxRejectedError BEFORE any state write. A tx that passes is
 * included whatever its execution does (status 0 on revert / exceptional halt).
 */
export class TxEnvelope {
  readonly opts: Required<TxEnvelopeOpts>;
  readonly common: Common;
  private readonly evm: EVM;
  private readonly stateManager: EvmStateManager;
  private readonly precompiles: Set<Hex>;
  private readonly precompileKeys: string[];
  private blockEnv: BlockEnv | undefined;
  private block: BlockLike | undefined;

  private constructor(
    opts: Required<TxEnvelopeOpts>,
    common: Common,
    evm: EVM,
    stateManager: EvmStateManager,
  ) {
    this.opts = opts;
    this.common = common;
    this.evm = evm;
    this.stateManager = stateManager;
    this.precompiles = new Set(
      [...evm.precompiles.keys()].map((a) => `0x${a.replace(/^0x/, "")}`.toLowerCase() as Hex),
    );
    this.precompileKeys = [...this.precompiles].map((a) => a.slice(2));
  }

  static async create(opts: TxEnvelopeOpts): Promise<TxEnvelope> {
    const full: Required<TxEnvelopeOpts> = {
      chainId: opts.chainId,
      fork: opts.fork,
      allowUnprotected: opts.allowUnprotected ?? true,
      fastPath: opts.fastPath ?? true,
    };
    await installJumpdestCache();
    await installSyncStepLoop();
    const common = evmCommon(opts.chainId, opts.fork);
    const stateManager = new EvmStateManager({ state: new NoState() });
    const holder: { env: BlockEnv | undefined } = { env: undefined };
    const blockchain = {
      getBlock: async (n: number): Promise<{ hash(): Uint8Array }> => {
        const hash = holder.env?.blockHash?.(BigInt(n)) ?? new Uint8Array(32);
        return { hash: () => hash };
      },
      putBlock: async (): Promise<void> => {},
      shallowCopy(): unknown {
        return this;
      },
    };
    const evm = await createEVM({ common, stateManager, blockchain: blockchain as never });
    installFastOpcodes(evm);
    installFastJournal(evm);
    const envelope = new TxEnvelope(full, common, evm, stateManager);
    envelope.envHolder = holder;
    return envelope;
  }

  private envHolder: { env: BlockEnv | undefined } = { env: undefined };

  private blockFor(env: BlockEnv): BlockLike {
    if (this.blockEnv !== env || this.block === undefined) {
      this.blockEnv = env;
      this.envHolder.env = env;
      this.block = evmBlockFor(env);
    }
    return this.block;
  }

  /**
   * Checks everything that makes a tx invalid for inclusion, against the current state.
   * Returns the intrinsic gas and the effective gas price. Writes nothing.
   */
  validate(env: BlockEnv, tx: ExecTx, state: StateWriter): { intrinsic: bigint; effectiveGasPrice: bigint } {
    const { intrinsic } = checkTxStatic(tx, {
      chainId: env.chainId,
      fork: env.fork,
      allowUnprotected: this.opts.allowUnprotected,
    });
    if (tx.gasLimit > env.gasLimit) throw reject("GAS_LIMIT_EXCEEDS_BLOCK", { gasLimit: tx.gasLimit });
    if (tx.maxFeePerGas < env.baseFee) {
      throw reject("FEE_CAP_BELOW_BASE_FEE", { maxFeePerGas: tx.maxFeePerGas, baseFee: env.baseFee });
    }
    const sender = state.getAccount(tx.sender);
    const nonce = sender?.nonce ?? 0n;
    if (tx.nonce < nonce) throw reject("NONCE_TOO_LOW", { nonce: tx.nonce, expected: nonce });
    if (tx.nonce > nonce) throw reject("NONCE_TOO_HIGH", { nonce: tx.nonce, expected: nonce });
    if (sender !== undefined && sender.codeHash !== KECCAK_EMPTY) throw reject("SENDER_NOT_EOA");
    const balance = sender?.balance ?? 0n;
    if (balance < tx.gasLimit * tx.maxFeePerGas + tx.value) {
      throw reject("INSUFFICIENT_FUNDS", { balance, cost: tx.gasLimit * tx.maxFeePerGas + tx.value });
    }
    const tip = tx.maxFeePerGas - env.baseFee;
    const effectiveGasPrice = env.baseFee + (tx.maxPriorityFeePerGas < tip ? tx.maxPriorityFeePerGas : tip);
    return { intrinsic, effectiveGasPrice };
  }

  /** True when the tx can take the native-transfer fast path (the callee has no code to run). */
  isFastTransfer(tx: ExecTx, state: StateWriter): boolean {
    if (!this.opts.fastPath || tx.to === undefined) return false;
    if (this.precompiles.has(tx.to)) return false;
    const to = state.getAccount(tx.to);
    return to === undefined || to.codeHash === KECCAK_EMPTY;
  }

  /**
   * Validates and executes one tx over `state`. Throws TxRejectedError (no writes) when invalid.
   * `creditCoinbase: false` leaves the priority fee out of the state (the parallel executor
   * credits fee recipients lazily); the outcome still reports it.
   */
  async execute(env: BlockEnv, tx: ExecTx, state: StateWriter, creditCoinbase = true): Promise<TxOutcome> {
    const { intrinsic, effectiveGasPrice } = this.validate(env, tx, state);
    if (this.isFastTransfer(tx, state)) {
      return this.executeTransfer(env, tx, state, intrinsic, effectiveGasPrice, creditCoinbase);
    }
    return this.executeEvm(env, tx, state, intrinsic, effectiveGasPrice, creditCoinbase);
  }

  private executeTransfer(
    env: BlockEnv,
    tx: ExecTx,
    state: StateWriter,
    intrinsic: bigint,
    effectiveGasPrice: bigint,
    creditCoinbase: boolean,
  ): TxOutcome {
    const to = tx.to as Hex;
    const gasUsed = intrinsic > floorDataGas(tx.data, env.fork) ? intrinsic : floorDataGas(tx.data, env.fork);
    const sender = state.getAccount(tx.sender) as AccountData;
    state.putAccount(tx.sender, {
      nonce: sender.nonce + 1n,
      balance: sender.balance - tx.value - gasUsed * effectiveGasPrice,
      codeHash: sender.codeHash,
    });
    const recipient = state.getAccount(to);
    const credited = {
      nonce: recipient?.nonce ?? 0n,
      balance: (recipient?.balance ?? 0n) + tx.value,
      codeHash: recipient?.codeHash ?? KECCAK_EMPTY,
    };
    // EIP-161: a touched account that ends up empty is removed.
    if (isEmpty(credited)) {
      if (recipient !== undefined) state.putAccount(to, undefined);
    } else state.putAccount(to, credited);
    const priorityFee = gasUsed * (effectiveGasPrice - env.baseFee);
    if (creditCoinbase) creditFeeRecipient(state, env.coinbase, priorityFee);
    return {
      status: 1,
      gasUsed,
      effectiveGasPrice,
      priorityFee,
      burned: gasUsed * env.baseFee,
      logs: [],
      contractAddress: undefined,
      fastPath: true,
    };
  }

  private async executeEvm(
    env: BlockEnv,
    tx: ExecTx,
    state: StateWriter,
    intrinsic: bigint,
    effectiveGasPrice: bigint,
    creditCoinbase: boolean,
  ): Promise<TxOutcome> {
    const evm = this.evm;
    const journal = evm.journal;
    this.stateManager.state = state;
    this.stateManager.startTx();
    journal.cleanJournal();
    evm.transientStorage.clear();

    // Buy the gas up front at the effective price.
    const sender = state.getAccount(tx.sender) as AccountData;
    state.putAccount(tx.sender, {
      nonce: sender.nonce,
      balance: sender.balance - tx.gasLimit * effectiveGasPrice,
      codeHash: sender.codeHash,
    });

    // EIP-2929 / 2930 / 3651 warm set.
    // What `addAlwaysWarmAddress` does (the key is the unprefixed hex), without its per-call
    // regex check of the prefix: precompiles, sender, recipient and coinbase on every tx.
    const alwaysWarm = (journal as unknown as { alwaysWarmJournal: Map<string, Set<string>> })
      .alwaysWarmJournal;
    const warm = (unprefixed: string): void => {
      if (!alwaysWarm.has(unprefixed)) alwaysWarm.set(unprefixed, new Set());
    };
    for (const key of this.precompileKeys) warm(key);
    warm(tx.sender.slice(2));
    if (tx.to !== undefined) warm(tx.to.slice(2));
    warm(env.coinbase.slice(2));
    for (const item of tx.accessList) {
      journal.addAlwaysWarmAddress(item.address);
      for (const key of item.storageKeys) journal.addAlwaysWarmSlot(item.address, key);
    }

    const caller = new Address(hexToBytes(tx.sender));
    const result: EVMResult = await evm.runCall({
      block: this.blockFor(env) as never,
      gasPrice: effectiveGasPrice,
      caller,
      origin: caller,
      gasLimit: tx.gasLimit - intrinsic,
      to: tx.to === undefined ? undefined : new Address(hexToBytes(tx.to)),
      value: tx.value,
      data: tx.data,
    });
    const exec = result.execResult;
    let gasUsed = intrinsic + exec.executionGasUsed;
    const refundCap = gasUsed / REFUND_QUOTIENT;
    const refund = exec.exceptionError === undefined ? (exec.gasRefund ?? 0n) : 0n;
    gasUsed -= refund < refundCap ? refund : refundCap;
    const floor = floorDataGas(tx.data, env.fork);
    if (gasUsed < floor) gasUsed = floor;

    const after = state.getAccount(tx.sender) ?? { nonce: 0n, balance: 0n, codeHash: KECCAK_EMPTY };
    state.putAccount(tx.sender, {
      nonce: after.nonce,
      balance: after.balance + (tx.gasLimit - gasUsed) * effectiveGasPrice,
      codeHash: after.codeHash,
    });

    const priorityFee = gasUsed * (effectiveGasPrice - env.baseFee);
    if (creditCoinbase) {
      creditFeeRecipient(state, env.coinbase, priorityFee);
      // The coinbase counts as touched even with a zero fee (EIP-161 cleanup below).
      (journal as unknown as { touchAccount(a: string): void }).touchAccount(env.coinbase.slice(2));
    }

    // EIP-6780: only accounts created in this tx are really destroyed.
    if (exec.selfdestruct !== undefined && exec.exceptionError === undefined) {
      for (const address of exec.selfdestruct.keys()) {
        if (exec.createdAddresses?.has(address) === true)
          state.putAccount(address.toLowerCase() as Hex, undefined);
      }
    }
    await journal.cleanup();

    const logs: Log[] = [];
    if (exec.exceptionError === undefined && exec.logs !== undefined) {
      for (const [address, topics, data] of exec.logs) {
        logs.push({ address: bytesToHex(address), topics: topics.map((t) => bytesToHex(t)), data });
      }
    }
    return {
      status: exec.exceptionError === undefined ? 1 : 0,
      gasUsed,
      effectiveGasPrice,
      priorityFee,
      burned: gasUsed * env.baseFee,
      logs,
      contractAddress:
        tx.to === undefined && exec.exceptionError === undefined && result.createdAddress !== undefined
          ? (result.createdAddress.toString().toLowerCase() as Hex)
          : undefined,
      fastPath: false,
    };
  }
}

function creditFeeRecipient(state: StateWriter, coinbase: Hex, amount: bigint): void {
  const account = state.getAccount(coinbase);
  if (amount === 0n && account === undefined) return;
  state.putAccount(coinbase, {
    nonce: account?.nonce ?? 0n,
    balance: (account?.balance ?? 0n) + amount,
    codeHash: account?.codeHash ?? KECCAK_EMPTY,
  });
}

/** Placeholder state before the first tx binds a real one. */
class NoState implements StateWriter {
  getAccount(): AccountData | undefined {
    return undefined;
  }
  getCode(): Uint8Array {
    return new Uint8Array(0);
  }
  getStorage(): bigint {
    return 0n;
  }
  putAccount(): void {
    throw new Error("no state bound");
  }
  putCode(): void {
    throw new Error("no state bound");
  }
  putStorage(): void {
    throw new Error("no state bound");
  }
  clearStorage(): void {
    throw new Error("no state bound");
  }
  checkpoint(): number {
    return 0;
  }
  revert(): void {}
  commit(): void {}
}

/** The block header fields @ethereumjs/evm reads (NUMBER, COINBASE, TIMESTAMP, ...) for `env`. */
export function evmBlockFor(env: BlockEnv): BlockLike {
  const blobGasPrice = env.blobBaseFee ?? 1n;
  return {
    header: {
      number: env.number,
      coinbase: new Address(hexToBytes(env.coinbase)),
      timestamp: env.timestamp,
      difficulty: 0n,
      prevRandao: env.prevRandao,
      gasLimit: env.gasLimit,
      baseFeePerGas: env.baseFee,
      slotNumber: 0n,
      getBlobGasPrice: () => blobGasPrice,
    },
  };
}
