import { beforeAll, describe, expect, it } from "vitest";
import {
  decodeResult,
  decodeWrites,
  encodable,
  encodeResult,
  encodeWrites,
} from "../../../../src/execution/parallel/codec.ts";
import { executeOne } from "../../../../src/execution/parallel/execute-one.ts";
import type { SpecResult } from "../../../../src/execution/parallel/protocol.ts";
import { ExactTrackingReader } from "../../../../src/execution/parallel/tracking-reader.ts";
import {
  blockEnv,
  buildGenesis,
  cloneState,
  type Genesis,
  makeBlock,
} from "../../../../src/execution/parallel/workload.ts";
import { SequentialExecutor } from "../../../../src/execution/sequential-executor.ts";
import type { Hex } from "../../../../src/execution/types.ts";

describe("parallel executor's text codec", () => {
  let genesis: Genesis;
  const results: SpecResult[] = [];

  beforeAll(async () => {
    genesis = await buildGenesis(12);
    const envelope = await new SequentialExecutor().envelope(1n, "cancun");
    const state = cloneState(genesis.state);
    const env = blockEnv(1n);
    // The mixed workload: transfers, ERC-20, counters, reverts, creations, invalid txs.
    for (const seed of [1, 2, 3]) {
      const txs = makeBlock(
        genesis,
        { seed, txs: 40, contention: 0.5, activeSenders: 12, mixed: true },
        new Map<Hex, bigint>(),
      );
      for (let i = 0; i < txs.length; i++)
        results.push(await executeOne(envelope, env, txs[i], i, new ExactTrackingReader(state)));
    }
  });

  it("round-trips every encodable result exactly, and refuses the others", () => {
    let encoded = 0;
    for (const r of results) {
      if (!encodable(r)) {
        expect(r.ops !== undefined || r.rejected !== undefined || r.writes.code.length > 0).toBe(true);
        continue;
      }
      encoded++;
      expect(decodeResult(encodeResult(r))).toEqual(r);
    }
    // Logs, reverts and plain transfers all went through the text form.
    expect(encoded).toBeGreaterThan(10);
    expect(results.some((r) => encodable(r) && r.outcome!.logs.length > 0)).toBe(true);
    expect(results.some((r) => !encodable(r))).toBe(true);
  });

  it("round-trips write sets, absent accounts and storage wipes included", () => {
    for (const r of results) {
      if (r.writes.code.length > 0) continue;
      expect(decodeWrites(encodeWrites(r.writes))).toEqual(r.writes);
    }
    const w = {
      accounts: [["0x00000000000000000000000000000000000000aa" as Hex, null]] as [Hex, null][],
      slots: [["0x00000000000000000000000000000000000000aa" as Hex, `0x${"0".repeat(64)}` as Hex, 0n]] as [
        Hex,
        Hex,
        bigint,
      ][],
      cleared: ["0x00000000000000000000000000000000000000aa" as Hex],
      code: [],
    };
    expect(decodeWrites(encodeWrites(w))).toEqual(w);
  });

  it("rejects truncated or padded text", () => {
    const r = results.find(encodable)!;
    const text = encodeResult(r);
    expect(() => decodeResult(text.slice(0, text.lastIndexOf(",")))).toThrow(/truncated/);
    expect(() => decodeResult(`${text},1`)).toThrow(/trailing/);
  });
});
