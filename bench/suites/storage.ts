import { measureCommitThroughput } from "../../src/storage/measure.ts";
import { type BenchResult, progress } from "../harness.ts";

/** LevelDB commit throughput with the real schema (keys also wanted in `exec`: leveldb_*). */
export async function run(): Promise<BenchResult> {
  progress("EVM blocks of 1000 account + 2000 slot updates, and 2 KiB mini-blocks");
  const m = await measureCommitThroughput();
  return {
    metrics: {
      leveldb_evm_block_commits_per_s: m.blocksPerS,
      leveldb_state_entries_per_s: m.stateEntriesPerS,
      leveldb_mini_blocks_per_s: m.miniBlocksPerS,
    },
    ratios: {},
  };
}
