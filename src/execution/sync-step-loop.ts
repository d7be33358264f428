/**
 * Runs @ethereumjs/evm's synchronous opcodes without an `await` per step.
 *
 * The interpreter's loop does `await this.runStep(op)` for every opcode, and `runStep` is an
 * async function: each PUSH, DUP, ADD or JUMP costs a promise, a microtask turn and the garbage
 * they leave. Most opcodes are synchronous (static gas, synchronous handler), and so are the
 * dynamic gas rules of the memory-touching ones (MLOAD, MSTORE, KECCAK256, RETURN, LOG, ...),
 * even though ethereumjs declares those rules `async`.
 *
 * The replacement `run` below is the original loop with one change: an opcode whose handler is
 * synchronous, and whose gas rule is static or one of the rules mirrored here, is executed inline
 * (the same steps in the same order as `runStep`: dynamic gas, invalid check, `useGas`, pc++, the
 * EIP-7928 pending-OOG check, the handler, the access-witness commit). Every other opcode (SLOAD,
 * SSTORE, CALL, CREATE, BALANCE, ...) still goes through `runStep`. A mirrored gas rule is used
 * only when the opcode's entry still holds the exact ethereumjs function it mirrors.
 *
 * Frames that need the original loop's extra features take it unchanged: EOF (EIP-3540), Verkle
 * or binary-tree code chunk witnesses (EIP-6800/7864), the profiler, DEBUG, and `step` listeners
 * (tracers). Results and gas are identical (the conformance run covers every opcode).
 */

import {
  type Common,
  type EvmErrorClass,
  type GasHandler,
  loadMirroredGasRules,
  type RunState,
} from "./mirrored-gas-rules.ts";

interface OpcodeInfo {
  code: number;
  name: string;
  feeBigInt: bigint;
  isAsync: boolean;
  dynamicGas: boolean;
  isInvalid: boolean;
}

interface OpEntry {
  opcodeInfo: OpcodeInfo;
  opHandler: (runState: RunState, common: Common) => unknown;
  gasHandler: GasHandler | undefined;
}

interface InterpreterLike {
  _runState: RunState;
  _evm: {
    _opcodeMap: OpEntry[];
    DEBUG: boolean;
    events: { listenerCount(name: string): number } | undefined;
  };
  common: Common;
  profilerOpts: { enabled?: boolean } | undefined;
  _getValidJumpDestinations(code: Uint8Array): {
    jumps: Uint8Array;
    pushes: Record<number, bigint>;
    opcodesCached: OpEntry[];
  };
  runStep(entry: OpEntry | undefined): Promise<void>;
  useGas(amount: bigint, context: OpcodeInfo): void;
}

interface RunResult {
  runState: RunState;
  exceptionError: unknown;
}

type RunFn = (this: InterpreterLike, code: Uint8Array, opts?: { pc?: number }) => Promise<RunResult>;

interface InterpreterProto {
  run: RunFn;
  __megaseqSyncSteps?: true;
}

const EVM_ERROR_TYPE = "EVMError";

let installed: Promise<void> | undefined;

/** Installs the loop (idempotent, once per process). */
export function installSyncStepLoop(): Promise<void> {
  installed ??= install();
  return installed;
}

async function install(): Promise<void> {
  const index = import.meta.resolve("@ethereumjs/evm");
  const at = (path: string): string => new URL(path, index).href;
  const interpreterMod = (await import(at("./interpreter.js"))) as {
    Interpreter: { prototype: InterpreterProto };
  };
  const eip7928Mod = (await import(at("./opcodes/EIP7928.js"))) as {
    consumeEip7928PostTargetCallOog(runState: RunState): void;
  };
  const errorsMod = (await import(at("./errors.js"))) as { EVMError: EvmErrorClass };

  const proto = interpreterMod.Interpreter.prototype;
  if (proto.__megaseqSyncSteps === true) return;
  const { sync: syncGas, async: asyncGas } = await loadMirroredGasRules();
  const consumePendingOog = eip7928Mod.consumeEip7928PostTargetCallOog;
  const EVMError = errorsMod.EVMError;
  const original = proto.run;

  proto.run = async function run(this: InterpreterLike, code: Uint8Array, opts: { pc?: number } = {}) {
    const common = this.common;
    const evm = this._evm;
    if (
      common.isActivatedEIP(3540) ||
      common.isActivatedEIP(6800) ||
      common.isActivatedEIP(7864) ||
      this.profilerOpts?.enabled === true ||
      evm.DEBUG ||
      (evm.events?.listenerCount("step") ?? 0) > 0
    ) {
      return original.call(this, code, opts);
    }
    const runState = this._runState;
    runState.code = code;
    runState.programCounter = opts.pc ?? runState.programCounter;
    const pc0 = runState.programCounter;
    if (pc0 !== 0 && (pc0 < 0 || pc0 >= code.length)) {
      throw new Error("Internal error: program counter not in range");
    }
    const opcodeMap = evm._opcodeMap;
    let err: unknown;
    let cachedOpcodes: OpEntry[] | undefined;
    let doJumpAnalysis = true;
    while (runState.programCounter < runState.code.length) {
      const programCounter = runState.programCounter;
      let opCode: number;
      let opCodeObj: OpEntry | undefined;
      if (doJumpAnalysis) {
        opCode = runState.code[programCounter];
        if (opCode === 0x56 || opCode === 0x57 || opCode === 0x5e) {
          const { jumps, pushes, opcodesCached } = this._getValidJumpDestinations(runState.code);
          runState.validJumps = jumps;
          runState.cachedPushes = pushes;
          runState.shouldDoJumpAnalysis = false;
          cachedOpcodes = opcodesCached;
          doJumpAnalysis = false;
        }
      } else {
        opCodeObj = (cachedOpcodes as OpEntry[])[programCounter];
        opCode = opCodeObj.opcodeInfo.code;
      }
      runState.opCode = opCode;
      try {
        const entry = opCodeObj ?? opcodeMap[opCode];
        const info = entry.opcodeInfo;
        // runStep's steps, in its order, without its promise (and without the rule's when the
        // gas rule has a synchronous copy).
        let gas = info.feeBigInt;
        let viaRunStep = false;
        if (info.dynamicGas) {
          const handler = entry.gasHandler as GasHandler;
          const syncRule = syncGas.get(handler);
          if (syncRule !== undefined) gas = syncRule(runState, gas, common);
          else {
            const asyncRule = asyncGas.get(handler);
            if (asyncRule !== undefined) gas = await asyncRule(runState, gas, common);
            else viaRunStep = true;
          }
        }
        if (viaRunStep) await this.runStep(opCodeObj);
        else {
          if (info.isInvalid) throw new EVMError(EVMError.errorMessages.INVALID_OPCODE);
          this.useGas(gas, info);
          runState.programCounter++;
          consumePendingOog(runState);
          if (info.isAsync) await entry.opHandler(runState, common);
          else entry.opHandler(runState, common);
          runState.env.accessWitness?.commit();
        }
      } catch (e) {
        runState.env.accessWitness?.revert();
        if (
          !(typeof e === "object" && e !== null && (e as { errorType?: string }).errorType === EVM_ERROR_TYPE)
        ) {
          throw e;
        }
        if ((e as { error?: string }).error !== EVMError.errorMessages.STOP) err = e;
        break;
      }
    }
    if (
      err === undefined &&
      runState.eip8037BurnLeftoverAfterCreateHaltOntoAlive === true &&
      runState.gasLeft > 0n
    ) {
      runState.gasLeft = 0n;
      err = new EVMError(EVMError.errorMessages.OUT_OF_GAS);
    }
    return { runState, exceptionError: err };
  };
  proto.__megaseqSyncSteps = true;
}
