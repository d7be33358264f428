/**
 * Caches @ethereumjs/evm's JUMPDEST analysis per code array.
 *
 * The interpreter re-runs `_getValidJumpDestinations` (a full pass over the code that also builds
 * a per-byte opcode table and decodes every PUSH immediate) on every call frame: for a short
 * ERC-20 `transfer` it was ~7% of the CPU profile. The analysis depends only on the code bytes
 * and the fork's opcode table, and the interpreter only reads its result, so we keep it in a
 * WeakMap keyed by the opcode table and by the code array. Contract code from the flat state is
 * the same Uint8Array on every call (it is stored once per code hash), so repeated calls hit;
 * a code array nobody holds any more is dropped with its entry.
 *
 * The Interpreter class is not exported by the package, so its module is imported by file URL
 * (the same module instance the EVM uses). The patch is installed once per process and changes
 * no result: the cached value is exactly what the original method returns for that code.
 */

interface Analysis {
  jumps: Uint8Array;
  pushes: Record<number, bigint>;
  opcodesCached: unknown[];
}

interface InterpreterProto {
  _getValidJumpDestinations(this: InterpreterLike, code: Uint8Array): Analysis;
  __megaseqJumpdestCache?: true;
}

interface InterpreterLike {
  _evm: { _opcodeMap: object };
}

let installed: Promise<void> | undefined;

/** Installs the cache (idempotent). */
export function installJumpdestCache(): Promise<void> {
  installed ??= install();
  return installed;
}

async function install(): Promise<void> {
  const index = import.meta.resolve("@ethereumjs/evm");
  const mod = (await import(new URL("./interpreter.js", index).href)) as {
    Interpreter: { prototype: InterpreterProto };
  };
  const proto = mod.Interpreter.prototype;
  if (proto.__megaseqJumpdestCache === true) return;
  const original = proto._getValidJumpDestinations;
  const byTable = new WeakMap<object, WeakMap<Uint8Array, Analysis>>();
  proto._getValidJumpDestinations = function (this: InterpreterLike, code: Uint8Array): Analysis {
    const table = this._evm._opcodeMap;
    let byCode = byTable.get(table);
    if (byCode === undefined) {
      byCode = new WeakMap();
      byTable.set(table, byCode);
    }
    let analysis = byCode.get(code);
    if (analysis === undefined) {
      analysis = original.call(this, code);
      byCode.set(code, analysis);
    }
    return analysis;
  };
  proto.__megaseqJumpdestCache = true;
}
