// worker_threads entry of the parallel executor: runs batches of transactions speculatively over
// its multi-version memory and posts back what each one read and wrote.
import { parentPort } from "node:worker_threads";
import { TxEnvelope } from "../tx-envelope.ts";
import type { BlockEnv, ExecTx, Fork } from "../types.ts";
import { decodeWrites, encodable, encodeResult } from "./codec.ts";
import { executeOne } from "./execute-one.ts";
import { WorkerMemory } from "./mv-memory.ts";
import type { FromWorker, SpecResult, ToWorker } from "./protocol.ts";

const port = parentPort;
if (port === null) throw new Error("parallel executor worker started outside worker_threads");

/** This thread's CPU usage (Node 22 has it; its type definitions do not yet). */
const threadCpuUsage = (): NodeJS.CpuUsage =>
  (process as unknown as { threadCpuUsage(): NodeJS.CpuUsage }).threadCpuUsage();

const envelopes = new Map<string, TxEnvelope>();
const memory = new WorkerMemory();
let block:
  | { id: number; env: BlockEnv; txs: ExecTx[]; envelope: TxEnvelope; signals: Int32Array }
  | undefined;

async function envelopeFor(chainId: bigint, fork: Fork): Promise<TxEnvelope> {
  const key = `${chainId}:${fork}`;
  let envelope = envelopes.get(key);
  if (envelope === undefined) {
    envelope = await TxEnvelope.create({ chainId, fork });
    envelopes.set(key, envelope);
  }
  return envelope;
}

async function handle(msg: ToWorker): Promise<void> {
  if (msg.type === "block") {
    if (msg.resetCache) memory.resetCache();
    memory.newBlock();
    memory.fill(msg.fill);
    const { blockHashes, ...rest } = msg.env;
    const hashes = new Map(blockHashes);
    const env: BlockEnv = { ...rest, blockHash: (n: bigint) => hashes.get(n) };
    block = {
      id: msg.blockId,
      env,
      txs: msg.txs,
      envelope: await envelopeFor(env.chainId, env.fork),
      signals: msg.signals,
    };
    return;
  }
  if (block === undefined || block.id !== msg.blockId) return;
  memory.fill(msg.fill);
  for (const { index, writes } of msg.mv)
    memory.write(index, typeof writes === "string" ? decodeWrites(writes) : writes);
  const results: (SpecResult | string)[] = [];
  for (const index of msg.indices) {
    // main fell back to sequential for this block: the rest of the batch is wasted work.
    if (Atomics.load(block.signals, 0) === block.id) break;
    const result = await executeOne(
      block.envelope,
      block.env,
      block.txs[index],
      index,
      memory.readerFor(index),
    );
    if (result.missing === undefined && result.error === undefined) memory.write(index, result.writes);
    results.push(encodable(result) ? encodeResult(result) : result);
  }
  const cpu = threadCpuUsage();
  const reply: FromWorker = {
    type: "results",
    blockId: msg.blockId,
    results,
    cpuMicros: cpu.user + cpu.system,
  };
  Atomics.add(block.signals, 1, 1);
  port!.postMessage(reply);
}

// Messages are handled strictly one after another: a batch may await inside the EVM.
let chain: Promise<void> = Promise.resolve();
port.on("message", (msg: ToWorker) => {
  chain = chain.then(() => handle(msg));
});
port.postMessage({ type: "ready" } satisfies FromWorker);
