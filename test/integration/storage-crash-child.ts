// Child process of the crash-recovery test: writes the deterministic chain as fast as it can and
// prints one line per durable write, until the parent kills it with SIGKILL.
import { ChainStore } from "../../src/storage/index.ts";
import { evmBlock, MINI_PER_BLOCK, miniBlockBytes } from "./storage-crash-workload.ts";

const path = process.argv[2];
const limit = BigInt(process.argv[3] ?? "100000");
const store = await ChainStore.open({ path });
const report = await store.recover();
const M = BigInt(MINI_PER_BLOCK);
// Re-execution of `report.replay` is, for this workload, just continuing the loop: mini-blocks
// that are already stored are not written again, and the next EVM block covers them.
let seq = report.head === undefined ? 0n : report.head.lastMiniBlock + 1n;
process.stdout.write(`start ${seq} ${report.replay.length}\n`);
for (; seq < limit; seq++) {
  const last = store.lastMiniBlock();
  if (last === undefined || seq > last) {
    await store.putMiniBlock(seq, miniBlockBytes(seq));
    process.stdout.write(`mb ${seq}\n`);
  }
  if ((seq + 1n) % M === 0n) {
    const n = (seq + 1n) / M;
    await store.commitEvmBlock(evmBlock(n));
    process.stdout.write(`blk ${n}\n`);
  }
}
await store.close();
process.stdout.write("done\n");
