import type { EVM } from "@ethereumjs/evm";

/**
 * Faster handlers for MSTORE, SLOAD and SSTORE on one EVM instance, with the same effects.
 *
 * ethereumjs turns the 256-bit word into bytes with `setLengthLeft(bigIntToBytes(word), 32)`:
 * a hex string, a regex-validated hex parse and a second copy, per MSTORE and per SLOAD key.
 * In the ERC-20 profile that conversion was ~10% of the CPU. Here the word is written as four
 * 64-bit limbs straight into a 32-byte buffer. Gas is unchanged (base and dynamic gas are charged
 * by the interpreter before the handler runs; the handlers below only do the data movement).
 *
 * The EVM builds its opcode table per instance, so the patch affects only the EVM passed in.
 */

interface RunStateLike {
  stack: { popN(n: number): bigint[]; pop(): bigint; push(v: bigint): void };
  memory: {
    write(offset: number, size: number, value: Uint8Array): void;
    read(offset: number, size: number, avoidCopy?: boolean): Uint8Array;
  };
  opCode: number;
  interpreter: {
    storageLoad(key: Uint8Array): Promise<Uint8Array>;
    storageStore(key: Uint8Array, value: Uint8Array): Promise<void>;
    log(data: Uint8Array, topicsCount: number, topics: Uint8Array[]): void;
    _evm: { common: { isActivatedEIP(eip: number): boolean } };
  };
}

interface OpcodeEntry {
  opcodeInfo: { code: number; name: string };
  opHandler: (runState: RunStateLike) => unknown;
}

const MASK64 = (1n << 64n) - 1n;

const MASK128 = (1n << 128n) - 1n;
const WORD = new Uint8Array(32);
const WORD_VIEW = new DataView(WORD.buffer);

/**
 * The 32-byte big-endian form of a 256-bit word, written into `out`. Words below 2^64 or 2^128
 * (offsets, amounts, most values) take one or two limb writes.
 */
export function writeWord(word: bigint, out: Uint8Array): Uint8Array {
  const view = WORD_VIEW;
  if (word <= MASK64) {
    view.setBigUint64(0, 0n);
    view.setBigUint64(8, 0n);
    view.setBigUint64(16, 0n);
    view.setBigUint64(24, word);
  } else if (word <= MASK128) {
    view.setBigUint64(0, 0n);
    view.setBigUint64(8, 0n);
    view.setBigUint64(16, word >> 64n);
    view.setBigUint64(24, BigInt.asUintN(64, word));
  } else {
    view.setBigUint64(0, word >> 192n);
    view.setBigUint64(8, BigInt.asUintN(64, word >> 128n));
    view.setBigUint64(16, BigInt.asUintN(64, word >> 64n));
    view.setBigUint64(24, BigInt.asUintN(64, word));
  }
  out.set(WORD);
  return out;
}

const EMPTY = new Uint8Array(0);

/** Minimal big-endian bytes of a 256-bit word (0 → empty), as `bigIntToBytes` gives for non-zero. */
export function minimalBytes(word: bigint): Uint8Array {
  if (word === 0n) return EMPTY.slice();
  const full = writeWord(word, new Uint8Array(32));
  let i = 0;
  while (full[i] === 0) i++;
  return i === 0 ? full : full.slice(i);
}

/** Big-endian bytes (any length ≤ 32) to a bigint. */
function wordFrom(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let v = 0n;
  let i = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (; i + 8 <= bytes.length; i += 8) v = (v << 64n) | view.getBigUint64(i);
  for (; i < bytes.length; i++) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

// Memory.write copies the value, so one scratch buffer serves every MSTORE.
const scratch = new Uint8Array(32);

export function installFastOpcodes(evm: EVM): void {
  const map = (evm as unknown as { _opcodeMap: OpcodeEntry[] })._opcodeMap;
  const mstore = map[0x52];
  const sload = map[0x54];
  const sstore = map[0x55];
  if (
    mstore?.opcodeInfo.name !== "MSTORE" ||
    sload?.opcodeInfo.name !== "SLOAD" ||
    sstore?.opcodeInfo.name !== "SSTORE" ||
    map[0xa0]?.opcodeInfo.name !== "LOG"
  ) {
    throw new Error("unexpected @ethereumjs/evm opcode table: MSTORE/SLOAD/SSTORE/LOG not where expected");
  }
  // MLOAD: the word read straight from memory by 64-bit limbs (ethereumjs: bytes → hex → BigInt).
  const mload = map[0x51];
  if (mload?.opcodeInfo.name !== "MLOAD") throw new Error("unexpected @ethereumjs/evm opcode table: MLOAD");
  mload.opHandler = (runState: RunStateLike): void => {
    const pos = runState.stack.pop();
    runState.stack.push(wordFrom(runState.memory.read(Number(pos), 32, true)));
  };
  mstore.opHandler = (runState: RunStateLike): void => {
    const [offset, word] = runState.stack.popN(2);
    runState.memory.write(Number(offset), 32, writeWord(word, scratch));
  };
  sload.opHandler = async (runState: RunStateLike): Promise<void> => {
    const key = runState.stack.pop();
    // A fresh buffer: the key may be kept (access lists, traces).
    const value = await runState.interpreter.storageLoad(writeWord(key, new Uint8Array(32)));
    runState.stack.push(wordFrom(value));
  };
  // SSTORE without EIP-8037 state gas (that fork keeps the original handler): the same
  // storageStore call, with the key and the minimal value bytes built without hex strings.
  const originalSstore = sstore.opHandler;
  sstore.opHandler = async (runState: RunStateLike): Promise<void> => {
    if (runState.interpreter._evm.common.isActivatedEIP(8037)) {
      await originalSstore(runState);
      return;
    }
    const [key, val] = runState.stack.popN(2);
    await runState.interpreter.storageStore(writeWord(key, new Uint8Array(32)), minimalBytes(val));
  };
  // LOG0-4: topics as 32-byte words without hex strings (the gas rule ran before).
  const log = (runState: RunStateLike): void => {
    const [memOffset, memLength] = runState.stack.popN(2);
    const topicsCount = runState.opCode - 0xa0;
    const topics = runState.stack.popN(topicsCount);
    const topicsBuf: Uint8Array[] = new Array(topicsCount);
    for (let i = 0; i < topicsCount; i++) topicsBuf[i] = writeWord(topics[i], new Uint8Array(32));
    const data =
      memLength === 0n ? new Uint8Array(0) : runState.memory.read(Number(memOffset), Number(memLength));
    runState.interpreter.log(data, topicsCount, topicsBuf);
  };
  for (let op = 0xa0; op <= 0xa4; op++) map[op].opHandler = log;
}
