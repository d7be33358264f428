// Summarises the V8 CPU profiles of an e2e run (E2E_PROFILE_DIR=<dir> E2E_PROFILE_ALL=1) over one
// load's window: CPU ms per committed transaction for every node, split by stage, and the top
// functions by self time. Usage:
//   node_modules/.bin/node bench/load/profile-summary.ts <dir> [native|erc20] [--top N]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Stages, tried from the innermost frame outwards: the first frame that matches names the stage. */
const STAGES: [string, (f: CallFrame) => boolean][] = [
  ["idle", (f) => f.functionName === "(idle)"],
  ["gc", (f) => f.functionName === "(garbage collector)"],
  ["bls", (f) => /@chainsafe\/blst|src\/crypto\/bls/.test(f.url)],
  ["secp256k1", (f) => /secp256k1|recovery-worker/.test(f.url)],
  ["ssz hashing", (f) => /@chainsafe\/(ssz|as-sha256|persistent-merkle-tree)|hash-tree|hashtree/.test(f.url)],
  ["noise", (f) => /libp2p-noise|@noble\/ciphers|chacha/.test(f.url)],
  ["yamux", (f) => /libp2p-yamux/.test(f.url)],
  ["gossipsub", (f) => /gossipsub/.test(f.url)],
  ["libp2p other", (f) => /@libp2p|libp2p|it-|uint8arraylist|protons|multiformats/.test(f.url)],
  ["leveldb", (f) => /classic-level|abstract-level|src\/storage/.test(f.url)],
  ["execution", (f) => /src\/execution|@ethereumjs\/evm/.test(f.url)],
  ["mempool", (f) => /src\/mempool/.test(f.url)],
  ["rpc", (f) => /src\/rpc/.test(f.url)],
  ["consensus", (f) => /src\/consensus|src\/types|consensus-host|consensus-wire/.test(f.url)],
  ["node chain", (f) => /src\/node\/(node-chain|preconf|tx-gossip)/.test(f.url)],
  ["node other", (f) => /src\/node|src\/p2p/.test(f.url)],
  ["hash-wasm", (f) => /hash-wasm/.test(f.url)],
  ["rlp", (f) => /@ethereumjs\/rlp/.test(f.url)],
  ["node internals", (f) => f.url.startsWith("node:")],
  ["program", (f) => f.functionName === "(program)"],
];

export interface ProfileStats {
  totalMs: number;
  byStage: Map<string, number>;
  bySelf: Map<string, number>;
  /** Inclusive time of the project's own functions (src/), each counted once per sample. */
  byInclusive: Map<string, number>;
}

/** Self time by stage and by function, over samples taken between fromUs and toUs. */
export function summarise(profile: CpuProfile, fromUs: number, toUs: number): ProfileStats {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stageOf = new Map<number, string>();
  const stage = (id: number): string => {
    const cached = stageOf.get(id);
    if (cached !== undefined) return cached;
    let found = "other";
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = (byId.get(at) as ProfileNode).callFrame;
      const hit = STAGES.find(([, match]) => match(frame));
      if (hit) {
        found = hit[0];
        break;
      }
    }
    stageOf.set(id, found);
    return found;
  };
  const stats: ProfileStats = { totalMs: 0, byStage: new Map(), bySelf: new Map(), byInclusive: new Map() };
  const ownFrames = new Map<number, string[]>();
  const own = (id: number): string[] => {
    let keys = ownFrames.get(id);
    if (keys === undefined) {
      const set = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const f = (byId.get(at) as ProfileNode).callFrame;
        const m = /\/(src\/.*)$/.exec(f.url);
        if (m && !f.url.includes("node_modules")) set.add(`${f.functionName || "(anon)"} ${m[1]}`);
      }
      keys = [...set];
      ownFrames.set(id, keys);
    }
    return keys;
  };
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i];
    t += dt;
    if (t < fromUs || t > toUs) continue;
    const id = profile.samples[i];
    const ms = dt / 1000;
    const s = stage(id);
    stats.byStage.set(s, (stats.byStage.get(s) ?? 0) + ms);
    const f = (byId.get(id) as ProfileNode).callFrame;
    const key = `${f.functionName || "(anon)"} ${f.url.replace(/^.*\/(node_modules|src)\//, "$1/")}:${f.lineNumber + 1}`;
    stats.bySelf.set(key, (stats.bySelf.get(key) ?? 0) + ms);
    if (s !== "idle") for (const k of own(id)) stats.byInclusive.set(k, (stats.byInclusive.get(k) ?? 0) + ms);
    stats.totalMs += ms;
  }
  return stats;
}

function main(): void {
  const [dir, load = "native", ...rest] = process.argv.slice(2);
  if (dir === undefined) throw new Error("usage: profile-summary.ts <dir> [native|erc20] [--top N]");
  const top = rest[0] === "--top" ? Number(rest[1]) : 25;
  const window = JSON.parse(readFileSync(join(dir, `window-${load}.json`), "utf8")) as {
    fromUs: number;
    toUs: number;
    committed: number;
  };
  const perTx = (ms: number): number => Math.round((ms / window.committed) * 1000) / 1000;
  const nodeDirs = readdirSync(dir).filter((d) => /^node\d+$/.test(d));
  const all: ProfileStats = { totalMs: 0, byStage: new Map(), bySelf: new Map(), byInclusive: new Map() };
  const rows: Record<string, Record<string, number>> = {};
  for (const d of nodeDirs.sort()) {
    // The main thread's profile is the largest one (recovery workers write their own).
    const files = readdirSync(join(dir, d)).filter((f) => f.endsWith(".cpuprofile"));
    for (const f of files) {
      const profile = JSON.parse(readFileSync(join(dir, d, f), "utf8")) as CpuProfile;
      const s = summarise(profile, window.fromUs, window.toUs);
      const thread = `${d}/${f.split(".")[2] ?? f}`;
      rows[thread] = { totalMs: Math.round(s.totalMs) };
      for (const [k, v] of s.byStage) {
        rows[thread][k] = perTx(v);
        all.byStage.set(k, (all.byStage.get(k) ?? 0) + v);
      }
      for (const [k, v] of s.bySelf) all.bySelf.set(k, (all.bySelf.get(k) ?? 0) + v);
      for (const [k, v] of s.byInclusive) all.byInclusive.set(k, (all.byInclusive.get(k) ?? 0) + v);
      all.totalMs += s.totalMs;
    }
  }
  const busy = all.totalMs - (all.byStage.get("idle") ?? 0);
  console.log(
    `window ${((window.toUs - window.fromUs) / 1e6).toFixed(1)} s, ${window.committed} committed txs; ` +
      `busy CPU over all threads ${Math.round(busy)} ms = ${perTx(busy)} ms per tx`,
  );
  console.log("stage: ms per committed tx, summed over the nodes (and share of busy time)");
  for (const [k, v] of [...all.byStage].sort((a, b) => b[1] - a[1])) {
    if (k === "idle") continue;
    console.log(`  ${k.padEnd(16)} ${perTx(v).toFixed(3)}  ${((100 * v) / busy).toFixed(1)}%`);
  }
  console.log("per thread (ms per tx by stage):");
  for (const [thread, row] of Object.entries(rows)) console.log(`  ${thread} ${JSON.stringify(row)}`);
  console.log(`top ${top} project functions by inclusive time (ms per tx, all nodes):`);
  for (const [k, v] of [...all.byInclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${perTx(v).toFixed(4)}  ${k}`);
  }
  console.log(`top ${top} functions by self time (ms per tx, all nodes):`);
  for (const [k, v] of [...all.bySelf].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    if (k.startsWith("(idle)")) continue;
    console.log(`  ${perTx(v).toFixed(4)}  ${k}`);
  }
}

if (process.argv[1] === import.meta.filename) main();
