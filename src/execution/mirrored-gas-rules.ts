import { writeWord } from "./fast-opcodes.ts";

/**
 * Copies of @ethereumjs/evm 10.1.3's dynamic gas rules (opcodes/gas.js) that the step loop
 * (`sync-step-loop.ts`) runs instead of the originals:
 *
 * - the memory-expansion rules (EXP, KECCAK256, CALLDATACOPY, CODECOPY, MLOAD, MSTORE, MSTORE8,
 *   MCOPY, LOG0-4, RETURN, REVERT) are synchronous in substance but declared `async` upstream:
 *   here they return the gas directly, so the loop needs no promise;
 * - SLOAD's and SSTORE's rules build the slot key with `setLengthLeft(bigIntToBytes(key), 32)`
 *   (a hex string, a regex check, a parse and an array spread per access): here the key is
 *   written as four 64-bit limbs. The gas logic itself is ethereumjs's own functions (EIP-2929
 *   access, EIP-2200 net metering), imported from the same module instances.
 *
 * Each copy is keyed by the exact function it replaces; the loop uses a copy only when an
 * opcode's entry still holds that function. Forks with Verkle/binary-tree witnesses, EOF, or
 * the EIP-7928/8037/8038 rules never reach these copies (the loop, or the copy itself, hands
 * those to the original).
 */

export type Word = bigint;

export interface RunState {
  programCounter: number;
  opCode: number;
  code: Uint8Array;
  stack: { peek(n?: number): Word[] };
  memoryWordCount: bigint;
  highestMemCost: bigint;
  gasLeft: bigint;
  validJumps: Uint8Array;
  cachedPushes: Record<number, bigint>;
  shouldDoJumpAnalysis: boolean;
  env: { accessWitness?: { commit(): void; revert(): void } };
  interpreter: {
    isStatic(): boolean;
    storageLoad(key: Uint8Array, original?: boolean, trackBAL?: boolean): Promise<Uint8Array>;
  };
  eip8037BurnLeftoverAfterCreateHaltOntoAlive?: boolean;
}

export interface Common {
  isActivatedEIP(eip: number): boolean;
  param(name: string): bigint;
  hardfork(): string;
  gteHardfork(hardfork: string): boolean;
}

export type GasHandler = (runState: RunState, gas: bigint, common: Common) => Promise<bigint>;
export type SyncGas = (runState: RunState, gas: bigint, common: Common) => bigint;

export interface EvmErrorClass {
  new (message: string): Error;
  errorMessages: {
    OUT_OF_GAS: string;
    INVALID_OPCODE: string;
    STOP: string;
    OUT_OF_RANGE: string;
    STATIC_STATE_CHANGE: string;
  };
}

export interface MirroredRules {
  sync: Map<GasHandler, SyncGas>;
  async: Map<GasHandler, GasHandler>;
}

interface GasModules {
  handlers: Map<number, GasHandler>;
  subMemUsage(runState: RunState, offset: bigint, length: bigint, common: Common): bigint;
  divCeil(a: bigint, b: bigint): bigint;
  setLengthLeftStorage(value: Uint8Array): Uint8Array;
  accessStorageEIP2929(
    runState: RunState,
    key: Uint8Array,
    isSstore: boolean,
    common: Common,
    chargeGas?: boolean,
  ): bigint;
  updateSstoreGasEIP2200(
    runState: RunState,
    current: Uint8Array,
    original: Uint8Array,
    value: Uint8Array,
    key: Uint8Array,
    common: Common,
  ): bigint;
  EVMError: EvmErrorClass;
}

/** Loads ethereumjs's modules (the same instances the EVM uses) and builds the copies. */
export async function loadMirroredGasRules(): Promise<MirroredRules> {
  const index = import.meta.resolve("@ethereumjs/evm");
  const at = (path: string): string => new URL(path, index).href;
  const gas = (await import(at("./opcodes/gas.js"))) as { dynamicGasHandlers: Map<number, GasHandler> };
  const util = (await import(at("./opcodes/util.js"))) as Pick<
    GasModules,
    "subMemUsage" | "divCeil" | "setLengthLeftStorage"
  >;
  const eip2929 = (await import(at("./opcodes/EIP2929.js"))) as Pick<GasModules, "accessStorageEIP2929">;
  const eip2200 = (await import(at("./opcodes/EIP2200.js"))) as Pick<GasModules, "updateSstoreGasEIP2200">;
  const errors = (await import(at("./errors.js"))) as { EVMError: EvmErrorClass };
  return mirroredGasRules({
    handlers: gas.dynamicGasHandlers,
    subMemUsage: util.subMemUsage,
    divCeil: util.divCeil,
    setLengthLeftStorage: util.setLengthLeftStorage,
    accessStorageEIP2929: eip2929.accessStorageEIP2929,
    updateSstoreGasEIP2200: eip2200.updateSstoreGasEIP2200,
    EVMError: errors.EVMError,
  });
}

function mirroredGasRules(m: GasModules): MirroredRules {
  const { subMemUsage, divCeil, EVMError } = m;
  const sync = new Map<GasHandler, SyncGas>();
  const async = new Map<GasHandler, GasHandler>();
  const mirror = (opcode: number, rule: SyncGas): void => {
    const handler = m.handlers.get(opcode);
    if (handler !== undefined) sync.set(handler, rule);
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
  mirror(0x39, copyRule); // CODECOPY (the EIP-6800/7864 chunk charge never applies here)
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

  // SLOAD: EIP-2929 access cost of the slot (Verkle/binary-tree witnesses take the original loop).
  mirror(0x54, (rs, gas, common) => {
    if (!common.isActivatedEIP(2929)) return gas;
    const key = writeWord(rs.stack.peek()[0], new Uint8Array(32));
    return gas + m.accessStorageEIP2929(rs, key, false, common, true);
  });

  // SSTORE on Istanbul-and-later forks without EIP-7928/8037/8038 (the others: the original).
  const sstore = m.handlers.get(0x55);
  if (sstore !== undefined) {
    async.set(sstore, async (rs, gas, common) => {
      if (
        common.isActivatedEIP(7928) ||
        common.isActivatedEIP(8037) ||
        common.isActivatedEIP(8038) ||
        common.isActivatedEIP(6800) ||
        common.isActivatedEIP(7864) ||
        !common.gteHardfork("istanbul") ||
        common.hardfork() === "constantinople"
      ) {
        return sstore(rs, gas, common);
      }
      if (rs.interpreter.isStatic()) throw new EVMError(EVMError.errorMessages.STATIC_STATE_CHANGE);
      const [key, val] = rs.stack.peek(2);
      const keyBytes = writeWord(key, new Uint8Array(32));
      const current = m.setLengthLeftStorage(await rs.interpreter.storageLoad(keyBytes, false, false));
      const original = m.setLengthLeftStorage(await rs.interpreter.storageLoad(keyBytes, true, false));
      // setLengthLeftStorage's form of the new value: empty for 0, else the 32-byte word.
      const value = val === 0n ? new Uint8Array(0) : writeWord(val, new Uint8Array(32));
      gas += m.updateSstoreGasEIP2200(rs, current, original, value, keyBytes, common);
      if (common.isActivatedEIP(2929)) gas += m.accessStorageEIP2929(rs, keyBytes, true, common, true);
      return gas;
    });
  }
  return { sync, async };
}
