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

type Word = bigint;

interface Stack {
  peek(n?: number): Word[];
}

interface RunState {
  programCounter: number;
  opCode: number;
  code: Uint8Array;
  stack: Stack;
  memoryWordCount: bigint;
  highestMemCost: bigint;
  gasLeft: bigint;
  validJumps: Uint8Array;
  cachedPushes: Record<number, bigint>;
  shouldDoJumpAnalysis: boolean;
  env: { accessWitness?: { commit(): void; revert(): void } };
  interpreter: { isStatic(): boolean };
  eip8037BurnLeftoverAfterCreateHaltOntoAlive?: boolean;
}

interface Common {
  isActivatedEIP(eip: number): boolean;
  param(name: string): bigint;
}

interface OpcodeInfo {
  code: number;
  name: string;
  feeBigInt: bigint;
  isAsync: boolean;
  dynamicGas: boolean;
  isInvalid: boolean;
}

type GasHandler = (runState: RunState, gas: bigint, common: Common) => Promise<bigint>;
type SyncGas = (runState: RunState, gas: bigint, common: Common) => bigint;

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

interface EvmErrorClass {
  new (message: string): Error;
  errorMessages: {
    OUT_OF_GAS: string;
    INVALID_OPCODE: string;
    STOP: string;
    OUT_OF_RANGE: string;
    STATIC_STATE_CHANGE: string;
  };
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
  const gasMod = (await import(at("./opcodes/gas.js"))) as { dynamicGasHandlers: Map<number, GasHandler> };
  const utilMod = (await import(at("./opcodes/util.js"))) as {
    subMemUsage(runState: RunState, offset: bigint, length: bigint, common: Common): bigint;
    divCeil(a: bigint, b: bigint): bigint;
  };
  const eip7928Mod = (await import(at("./opcodes/EIP7928.js"))) as {
    consumeEip7928PostTargetCallOog(runState: RunState): void;
  };
  const errorsMod = (await import(at("./errors.js"))) as { EVMError: EvmErrorClass };

  const proto = interpreterMod.Interpreter.prototype;
  if (proto.__megaseqSyncSteps === true) return;
  const syncGas = mirroredGasRules(gasMod.dynamicGasHandlers, utilMod, errorsMod.EVMError);
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
        const gasRule = info.dynamicGas ? syncGas.get(entry.gasHandler as GasHandler) : undefined;
        if (info.isAsync || (info.dynamicGas && gasRule === undefined)) {
          await this.runStep(opCodeObj);
        } else {
          // runStep's steps, in its order, without the promise.
          let gas = info.feeBigInt;
          if (gasRule !== undefined) gas = gasRule(runState, gas, common);
          if (info.isInvalid) throw new EVMError(EVMError.errorMessages.INVALID_OPCODE);
          this.useGas(gas, info);
          runState.programCounter++;
          consumePendingOog(runState);
          entry.opHandler(runState, common);
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

/**
 * Synchronous copies of ethereumjs's memory-expansion gas rules (opcodes/gas.js, @ethereumjs/evm
 * 10.1.3), keyed by the async function each one mirrors. Verkle/binary-tree code-chunk charges
 * (CODECOPY under EIP-6800/7864) are left out: such forks take the original loop.
 */
function mirroredGasRules(
  handlers: Map<number, GasHandler>,
  util: {
    subMemUsage(runState: RunState, offset: bigint, length: bigint, common: Common): bigint;
    divCeil(a: bigint, b: bigint): bigint;
  },
  EVMError: EvmErrorClass,
): Map<GasHandler, SyncGas> {
  const { subMemUsage, divCeil } = util;
  const rules = new Map<GasHandler, SyncGas>();
  const mirror = (opcode: number, rule: SyncGas): void => {
    const handler = handlers.get(opcode);
    if (handler !== undefined) rules.set(handler, rule);
  };
  const copyRule: SyncGas = (rs, gas, common) => {
    const [memOffset, , dataLength] = rs.stack.peek(3);
    gas += subMemUsage(rs, memOffset, dataLength, common);
    if (dataLength !== 0n) gas += common.param("copyGas") * divCeil(dataLength, 32n);
    return gas;
  };
  const memRange: SyncGas = (rs, gas, common) => {
    const [offset, length] = rs.stack.peek(2);
    return gas + subMemUsage(rs, offset, length, common);
  };
  mirror(0x0a, (rs, gas, common) => {
    const [, exponent] = rs.stack.peek(2);
    if (exponent === 0n) return gas;
    let byteLength = exponent.toString(2).length / 8;
    if (byteLength > Math.trunc(byteLength)) byteLength = Math.trunc(byteLength) + 1;
    if (byteLength < 1 || byteLength > 32) throw new EVMError(EVMError.errorMessages.OUT_OF_RANGE);
    return gas + BigInt(byteLength) * common.param("expByteGas");
  });
  mirror(0x20, (rs, gas, common) => {
    const [offset, length] = rs.stack.peek(2);
    gas += subMemUsage(rs, offset, length, common);
    return gas + common.param("keccak256WordGas") * divCeil(length, 32n);
  });
  mirror(0x37, copyRule); // CALLDATACOPY
  mirror(0x39, copyRule); // CODECOPY (without the EIP-6800/7864 chunk charge)
  mirror(0x51, (rs, gas, common) => gas + subMemUsage(rs, rs.stack.peek()[0], 32n, common));
  mirror(0x52, (rs, gas, common) => gas + subMemUsage(rs, rs.stack.peek()[0], 32n, common));
  mirror(0x53, (rs, gas, common) => gas + subMemUsage(rs, rs.stack.peek()[0], 1n, common));
  mirror(0x5e, (rs, gas, common) => {
    const [dst, src, length] = rs.stack.peek(3);
    gas += 3n * ((length + 31n) / 32n);
    gas += subMemUsage(rs, src, length, common);
    return gas + subMemUsage(rs, dst, length, common);
  });
  const logRule: SyncGas = (rs, gas, common) => {
    if (rs.interpreter.isStatic()) throw new EVMError(EVMError.errorMessages.STATIC_STATE_CHANGE);
    const [memOffset, memLength] = rs.stack.peek(2);
    const topics = rs.opCode - 0xa0;
    if (topics < 0 || topics > 4) throw new EVMError(EVMError.errorMessages.OUT_OF_RANGE);
    gas += subMemUsage(rs, memOffset, memLength, common);
    return gas + common.param("logTopicGas") * BigInt(topics) + memLength * common.param("logDataGas");
  };
  for (let op = 0xa0; op <= 0xa4; op++) mirror(op, logRule);
  mirror(0xf3, memRange); // RETURN
  mirror(0xfd, memRange); // REVERT
  return rules;
}
