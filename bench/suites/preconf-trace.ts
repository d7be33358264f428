// Where the milliseconds of a realtime round trip go: 4 real node processes write per-hop
// timestamps (MEGASEQ_HOP_TRACE, src/rpc/hop-trace.ts; CLOCK_MONOTONIC, shared by the processes of
// one machine), the driver stamps the client's send and receive with the same clock, and each
// probe's hops are lined up by hash. Probes are sequential, through node 1 and through the node
// leading the round (asked before each probe). Sizes: PRECONF_TRACE_PROBES (30 per target),
// PRECONF_TRACE_METHOD (realtime_sendRawTransaction | eth_sendRawTransactionSync),
// PRECONF_TRACE_LOAD (transfers per sender of a 300-sender background load; 0 = idle).
// PRECONF_TRACE_PRINT=1 prints every probe's timeline.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hex } from "viem";
import { keccak256 } from "viem";
import { type BenchResult, machineInfo, percentile, progress } from "../harness.ts";
import { loadAccounts, signNativeTransfers } from "../load/accounts.ts";
import { sendAll } from "../load/driver.ts";
import { rpcCall, startRpcNetwork } from "../load/network.ts";

const CHAIN_ID = 31_378;
const envInt = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v >= 0 && process.env[name] !== undefined ? v : fallback;
};

interface Hop {
  us: bigint;
  node: number;
  what: string;
}

interface Probe {
  hash: string;
  via: number;
  sendUs: bigint;
  recvUs: bigint;
}

const nowUs = (): bigint => process.hrtime.bigint() / 1000n;
const ms = (from: bigint, to: bigint): number => Number(to - from) / 1000;

/** The spans of one probe (ms), from its hops; absent spans are left out. */
function spans(p: Probe, hops: Hop[]): Record<string, number> {
  const at = (pred: (h: Hop) => boolean): Hop | undefined => hops.find(pred);
  const out: Record<string, number> = { total: ms(p.sendUs, p.recvUs) };
  const rin = at((h) => h.node === p.via && h.what === "rpc.in");
  const adm = at((h) => h.node === p.via && h.what === "rpc.admitted");
  const rec = at((h) => h.node === p.via && h.what.startsWith("rpc.receipt"));
  if (rin) out.client_to_rpc_in = ms(p.sendUs, rin.us);
  if (rin && adm) out.rpc_admission = ms(rin.us, adm.us);
  if (adm && rec) out.admitted_to_receipt = ms(adm.us, rec.us);
  if (rec) out.receipt_to_client = ms(rec.us, p.recvUs);
  // The forward whose answer resolved the call: its answer is the last hop before rpc.receipt.
  const answer = rec
    ? hops.filter((h) => h.node === p.via && h.what.startsWith("fwd.answer") && h.us <= rec.us).at(-1)
    : undefined;
  if (answer && rec && ms(answer.us, rec.us) < 1) {
    const send = at((h) => h.node === p.via && h.what.startsWith("fwd.send"));
    const served = hops.filter((h) => h.what.startsWith("srv.receipt") && h.us <= answer.us).at(-1);
    const recv = served && at((h) => h.node === served.node && h.what === "srv.recv");
    if (send && recv) out.forward_to_leader = ms(send.us, recv.us);
    if (recv && served) out.leader_recv_to_receipt = ms(recv.us, served.us);
    if (served) out.answer_to_rpc_node = ms(served.us, answer.us);
  }
  const built = at((h) => h.what === "build.preconfirmed");
  const commit = at((h) => h.what === "commit.in");
  const commitHere = at((h) => h.node === p.via && h.what === "commit.in");
  if (adm && built) out.admitted_to_proposed = ms(adm.us, built.us);
  if (built && commit) out.proposed_to_first_commit = ms(built.us, commit.us);
  if (commitHere && rec && rec.what.endsWith("committed"))
    out.commit_here_to_receipt = ms(commitHere.us, rec.us);
  return out;
}

export async function run(): Promise<BenchResult> {
  const probes = envInt("PRECONF_TRACE_PROBES", 30);
  const load = envInt("PRECONF_TRACE_LOAD", 0);
  const method = process.env.PRECONF_TRACE_METHOD ?? "realtime_sendRawTransaction";
  if (method !== "realtime_sendRawTransaction" && method !== "eth_sendRawTransactionSync")
    throw new Error(
      `PRECONF_TRACE_METHOD ${method}: realtime_sendRawTransaction or eth_sendRawTransactionSync`,
    );
  const dir = mkdtempSync(join(tmpdir(), "megaseq-hops-"));
  const file = join(dir, "hops.txt");
  // The node processes inherit it.
  process.env.MEGASEQ_HOP_TRACE = file;
  const [viaOne, viaLeader] = [loadAccounts(1, 4)[0], loadAccounts(1, 8)[0]];
  const loaders = load > 0 ? loadAccounts(300, 1) : [];
  const alloc = Object.fromEntries(
    [viaOne, viaLeader, ...loaders].map((a) => [a.address, (10n ** 21n).toString()]),
  );
  const txsOne = await signNativeTransfers(CHAIN_ID, [viaOne], probes);
  const txsLeader = await signNativeTransfers(CHAIN_ID, [viaLeader], probes);
  const loadTxs = load > 0 ? await signNativeTransfers(CHAIN_ID, loaders, load) : [];
  progress(
    `starting 4 nodes; ${probes} ${method} probes per target${load > 0 ? `, load ${loadTxs.length}` : ""}`,
  );
  const net = await startRpcNetwork({ chainId: CHAIN_ID, alloc, seed: "e2e-bench", baseTimeoutMs: 500 });
  const urls = net.nodes.map((n) => n.rpcUrl);
  const nodeOfPid = new Map(net.nodes.map((n) => [n.child.pid as number, n.index]));
  const byAddress = new Map(net.net.validators.map((v) => [v.address.toLowerCase(), v.index]));
  const leader = async (): Promise<number> => {
    const status = await rpcCall<{ leader: string }>(urls[0], "mega_consensusStatus");
    return byAddress.get(status.leader.toLowerCase()) ?? 0;
  };
  const sent: Probe[] = [];
  const errors: string[] = [];
  try {
    let loading: Promise<unknown> = Promise.resolve();
    if (load > 0) {
      // Slices of 300 with pauses, so that the load lasts through the probes.
      loading = (async () => {
        for (let i = 0; i < loadTxs.length; i += 300) {
          await sendAll(urls, loadTxs.slice(i, i + 300), 50, 2);
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
    }
    for (const [txs, pick] of [
      [txsOne, async () => 1],
      [txsLeader, leader],
    ] as const) {
      for (const raw of txs) {
        const via = await pick();
        const sendUs = nowUs();
        try {
          await rpcCall(urls[via], method, [raw, 10_000]);
          sent.push({ hash: keccak256(raw as Hex).slice(0, 18), via, sendUs, recvUs: nowUs() });
        } catch (error) {
          if (errors.length < 5) errors.push((error as Error).message);
        }
      }
    }
    await loading;
    // The nodes flush their hop buffers every 100 ms.
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    await net.stop();
  }
  const byHash = new Map<string, Hop[]>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line === "") continue;
    const [us, pid, hash, ...what] = line.split(" ");
    const list = byHash.get(hash) ?? [];
    list.push({ us: BigInt(us), node: nodeOfPid.get(Number(pid)) ?? -1, what: what.join(" ") });
    byHash.set(hash, list);
  }
  rmSync(dir, { recursive: true, force: true });
  const all: Record<string, number[]> = {};
  for (const p of sent) {
    const hops = (byHash.get(p.hash) ?? []).sort((a, b) => (a.us < b.us ? -1 : a.us > b.us ? 1 : 0));
    if (process.env.PRECONF_TRACE_PRINT) {
      const line = hops.map((h) => `+${ms(p.sendUs, h.us).toFixed(2)} n${h.node} ${h.what}`).join(" | ");
      progress(`${ms(p.sendUs, p.recvUs).toFixed(2)} ms via n${p.via}: ${line}`);
    }
    for (const [k, v] of Object.entries(spans(p, hops))) {
      all[k] = [...(all[k] ?? []), v];
    }
  }
  const metrics: Record<string, number> = {};
  const counts: Record<string, number> = {};
  for (const [k, v] of Object.entries(all)) {
    metrics[`${k}_p50_ms`] = Math.round(percentile(v, 50) * 100) / 100;
    metrics[`${k}_p90_ms`] = Math.round(percentile(v, 90) * 100) / 100;
    counts[k] = v.length;
  }
  return {
    metrics,
    ratios: {},
    details: { ...machineInfo(), method, probes, load: loadTxs.length, samples: counts, errors },
  };
}
