import { createEVM, type EVM } from "@ethereumjs/evm";
import { Address } from "@ethereumjs/util";
import { evmCommon } from "../execution/evm-common.ts";
import { EvmStateManager } from "../execution/evm-state-manager.ts";
import { FlatState } from "../execution/flat-state.ts";
import { bytesToHex, hexToBytes } from "../execution/hex.ts";
import { intrinsicGas } from "../execution/intrinsic-gas.ts";
import { evmBlockFor } from "../execution/tx-envelope.ts";
import type { BlockEnv, Fork, StateReader } from "../execution/types.ts";
import { KECCAK_EMPTY } from "../execution/types.ts";
import type { CallRequest, CallResult, StateOverrides } from "./backend.ts";
import type { Hex } from "./hex.ts";

/**
 * eth_call and eth_estimateGas over the execution engine's state: @ethereumjs/evm's runCall on a
 * throw-away FlatState overlay (the base state is never written), with state overrides applied
 * to the overlay. Like geth, calls skip nonce and fee checks and run at gas price 0 unless the
 * request names one.
 */
export class EvmCaller {
  private readonly evm: EVM;
  private readonly stateManager: EvmStateManager;
  private readonly precompiles: Address[];

  private constructor(evm: EVM, stateManager: EvmStateManager) {
    this.evm = evm;
    this.stateManager = stateManager;
    this.precompiles = [...evm.precompiles.keys()].map(
      (a) => new Address(hexToBytes(`0x${a.replace(/^0x/, "")}`)),
    );
  }

  static async create(chainId: bigint, fork: Fork): Promise<EvmCaller> {
    const stateManager = new EvmStateManager({ state: new FlatState() });
    const blockchain = {
      getBlock: async (): Promise<{ hash(): Uint8Array }> => ({ hash: () => new Uint8Array(32) }),
      putBlock: async (): Promise<void> => {},
      shallowCopy(): unknown {
        return this;
      },
    };
    const evm = await createEVM({
      common: evmCommon(chainId, fork),
      stateManager,
      blockchain: blockchain as never,
    });
    return new EvmCaller(evm, stateManager);
  }

  async call(
    env: BlockEnv,
    req: CallRequest,
    base: StateReader,
    overrides?: StateOverrides,
  ): Promise<CallResult> {
    const state = new FlatState({ parent: base });
    if (overrides !== undefined) applyOverrides(state, overrides);
    const data = hexToBytes(req.data ?? "0x");
    const from = (req.from ?? "0x0000000000000000000000000000000000000000") as Hex;
    const to = req.to ?? undefined;
    const intrinsic = intrinsicGas({ to, data, accessList: req.accessList ?? [] });
    const gasLimit = req.gas ?? env.gasLimit;
    if (gasLimit < intrinsic) return { status: "error", error: "intrinsic gas too low", gasUsed: intrinsic };
    this.stateManager.state = state;
    this.stateManager.startTx();
    const journal = this.evm.journal;
    journal.cleanJournal();
    this.evm.transientStorage.clear();
    const caller = new Address(hexToBytes(from));
    for (const p of this.precompiles) journal.addAlwaysWarmAddress(p.toString().slice(2));
    journal.addAlwaysWarmAddress(from.slice(2));
    if (to !== undefined) journal.addAlwaysWarmAddress(to.slice(2));
    const result = await this.evm.runCall({
      block: evmBlockFor(env) as never,
      gasPrice: req.gasPrice ?? req.maxFeePerGas ?? 0n,
      caller,
      origin: caller,
      gasLimit: gasLimit - intrinsic,
      to: to === undefined ? undefined : new Address(hexToBytes(to)),
      value: req.value ?? 0n,
      data,
    });
    const exec = result.execResult;
    const gasUsed = intrinsic + exec.executionGasUsed;
    const returnData = bytesToHex(exec.returnValue);
    if (exec.exceptionError === undefined) return { status: "success", returnData, gasUsed };
    if (exec.exceptionError.error === "revert") return { status: "revert", returnData, gasUsed };
    return { status: "error", error: exec.exceptionError.error, gasUsed };
  }

  /**
   * The smallest gas limit (within 1/64 of it, as geth's search tolerates) at which the call
   * succeeds; or the failing result at the full allowance.
   */
  async estimate(
    env: BlockEnv,
    req: CallRequest,
    base: StateReader,
    overrides?: StateOverrides,
  ): Promise<CallResult> {
    const cap = req.gas ?? env.gasLimit;
    const first = await this.call(env, { ...req, gas: cap }, base, overrides);
    if (first.status !== "success") return first;
    let lo = first.gasUsed - 1n;
    let hi = cap;
    // The first guess covers the usual case (no 63/64 or refund effects) in one more run.
    const guess = (first.gasUsed * 64n) / 63n + 2300n;
    if (guess < hi && (await this.call(env, { ...req, gas: guess }, base, overrides)).status === "success")
      hi = guess;
    while (hi - lo > 1n && (hi - lo) * 64n > hi) {
      const mid = (lo + hi) / 2n;
      const r = await this.call(env, { ...req, gas: mid }, base, overrides);
      if (r.status === "success") hi = mid;
      else lo = mid;
    }
    return { status: "success", returnData: first.returnData, gasUsed: hi };
  }
}

function applyOverrides(state: FlatState, overrides: StateOverrides): void {
  for (const [address, o] of Object.entries(overrides) as [Hex, StateOverrides[Hex]][]) {
    const current = state.getAccount(address) ?? { nonce: 0n, balance: 0n, codeHash: KECCAK_EMPTY };
    state.putAccount(address, {
      nonce: o.nonce ?? current.nonce,
      balance: o.balance ?? current.balance,
      codeHash: current.codeHash,
    });
    if (o.code !== undefined) state.putCode(address, hexToBytes(o.code));
    if (o.state !== undefined) state.clearStorage(address);
    for (const [slot, value] of Object.entries(o.state ?? o.stateDiff ?? {})) {
      state.putStorage(address, slot as Hex, BigInt(value));
    }
  }
}
