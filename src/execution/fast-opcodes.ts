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
  memory: { write(offset: number, size: number, value: Uint8Array): void };
  interpreter: {
    storageLoad(key: Uint8Array): Promise<Uint8Array>;
    storageStore(key: Uint8Array, value: Uint8Array): Promise<void>;
    _evm: { common: { isActivatedEIP(eip: number): boolean } };
  };
}

interface OpcodeEntry {
  opcodeInfo: { code: number; name: string };
  opHandler: (runState: RunStateLike) => unknown;
}

const MASK64 = (1n << 64n) - 1n;

/** The 32-byte big-endian form of a 256-bit word, written into `out`. */
export function writeWord(word: bigint, out: Uint8Array): Uint8Array {
  const view = new DataView(out.buffer, out.byteOffset, 32);
  view.setBigUint64(24, word & MASK64);
  view.setBigUint64(16, (word >> 64n) & MASK64);
  view.setBigUint64(8, (word >> 128n) & MASK64);
  view.setBigUint64(0, (word >> 192n) & MASK64);
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
    sstore?.opcodeInfo.name !== "SSTORE"
  ) {
    throw new Error("unexpected @ethereumjs/evm opcode table: MSTORE/SLOAD/SSTORE not where expected");
  }
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
}
