// End-to-end: pre-signed load through JSON-RPC into 4 real `megaseq node` processes on loopback.
// Committed throughput of native transfers and ERC-20 transfers (counted from committed blocks),
// and round trips of realtime_sendRawTransaction (preconfirmation) and eth_sendRawTransactionSync
// (BFT commit), idle and under load. Sizes: E2E_SENDERS, E2E_PER_SENDER, E2E_PROBES; leader term:
// E2E_TERM_ROUNDS (default 1);
// E2E_PROFILE_DIR runs node 0 under --cpu-prof (E2E_PROFILE_ALL=1: every node, into node<i>/, with
// the loads' windows in window-<load>.json for bench/load/profile-summary.ts); E2E_NATIVE_ONLY=1
// skips the ERC-20 load; E2E_KEEP=1 keeps the nodes' data dirs and logs.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Hex, keccak256 } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { TOKEN_INITCODE } from "../../src/execution/workloads/contracts.ts";
import { type BenchResult, machineInfo, median, percentile, progress } from "../harness.ts";
import {
  loadAccounts,
  MAX_FEE,
  signNativeTransfers,
  signTokenTransfers,
  TIP,
  tokenAddressOf,
} from "../load/accounts.ts";
import { roundTrips, sendAll, waitCommitted } from "../load/driver.ts";
import {
  cpuMeter,
  type LoadSummary,
  sampleMetrics,
  summarize,
  tcpBytesMeter,
  timeline,
} from "../load/metrics-sampler.ts";
import { logTail, rpcCall, startRpcNetwork } from "../load/network.ts";

const CHAIN_ID = 31_378;
const envInt = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
};

async function probeTxs(account: PrivateKeyAccount, count: number): Promise<Hex[]> {
  return signNativeTransfers(CHAIN_ID, [account], count);
}

const hashes = (txs: Hex[]): Set<string> => new Set(txs.map((t) => keccak256(t).toLowerCase()));
const round = (x: number): number => Math.round(x * 100) / 100;
const cpuMsPerTx = (cpuSeconds: number[], txs: number): number =>
  txs > 0 ? Math.round((cpuSeconds.reduce((a, b) => a + b, 0) * 1e6) / txs) / 1000 : -1;

export async function run(): Promise<BenchResult> {
  const senders = envInt("E2E_SENDERS", 300);
  const perSender = envInt("E2E_PER_SENDER", 10);
  const probes = envInt("E2E_PROBES", 30);
  const profileDir = process.env.E2E_PROFILE_DIR;
  const nativeOnly = process.env.E2E_NATIVE_ONLY === "1";
  const native = loadAccounts(senders, 1);
  const tokenSenders = loadAccounts(senders, 2);
  const [deployer] = loadAccounts(1, 3);
  const [preIdle, syncIdle, preLoaded, syncLoaded, preLeader] = [4, 5, 6, 7, 8].map(
    (t) => loadAccounts(1, t)[0],
  );
  const all = [...native, ...tokenSenders, deployer, preIdle, syncIdle, preLoaded, syncLoaded, preLeader];
  const alloc = Object.fromEntries(all.map((a) => [a.address, (10n ** 21n).toString()]));

  progress(
    `signing: ${senders} senders x ${perSender} native + ERC-20 transfers, ${probes} probes per phase`,
  );
  const t = performance.now();
  const nativeTxs = await signNativeTransfers(CHAIN_ID, native, perSender);
  const token = tokenAddressOf(deployer.address);
  const { mints, transfers } = await signTokenTransfers(CHAIN_ID, token, tokenSenders, perSender);
  const deployTx = await deployer.signTransaction({
    type: "eip1559",
    chainId: CHAIN_ID,
    nonce: 0,
    data: TOKEN_INITCODE as Hex,
    gas: 1_000_000n,
    maxFeePerGas: MAX_FEE,
    maxPriorityFeePerGas: TIP,
  });
  const probeSets = await Promise.all(
    [preIdle, syncIdle, preLoaded, syncLoaded, preLeader].map((a) => probeTxs(a, probes)),
  );
  progress(
    `signed ${nativeTxs.length + mints.length + transfers.length + 4 * probes + 1} txs in ${Math.round(performance.now() - t)} ms`,
  );

  progress("starting 4 nodes");
  const net = await startRpcNetwork({
    chainId: CHAIN_ID,
    alloc,
    seed: "e2e-bench",
    baseTimeoutMs: 500,
    leaderTermRounds: envInt("E2E_TERM_ROUNDS", 1),
    ...(profileDir ? { profileDir, profileAll: process.env.E2E_PROFILE_ALL === "1" } : {}),
  });
  // The load's window on the monotonic clock V8's profiles use (µs), for profile-summary.ts.
  const markWindow = (load: string, fromUs: bigint, committed: number): void => {
    if (profileDir === undefined) return;
    const toUs = process.hrtime.bigint() / 1000n;
    writeFileSync(
      join(profileDir, `window-${load}.json`),
      JSON.stringify({ fromUs: Number(fromUs), toUs: Number(toUs), committed }),
    );
  };
  const urls = net.nodes.map((n) => n.rpcUrl);
  let result: BenchResult;
  try {
    await rpcCall(urls[0], "eth_sendRawTransactionSync", [deployTx, 30_000]);
    progress(`token deployed at ${token}`);

    progress("idle latency");
    const preconfIdle = await roundTrips(urls[1], "realtime_sendRawTransaction", probeSets[0]);
    const commitIdle = await roundTrips(urls[2], "eth_sendRawTransactionSync", probeSets[1]);
    // The same round trip sent to the RPC of the validator that leads at that moment (asked
    // before each probe): what a client of the sequencer's own RPC sees, without the forwarding hop.
    const byAddress = new Map(net.net.validators.map((v) => [v.address.toLowerCase(), v.index]));
    const leaderUrl = async (): Promise<string> => {
      const status = await rpcCall<{ leader: string }>(urls[0], "mega_consensusStatus");
      return urls[byAddress.get(status.leader.toLowerCase()) ?? 0];
    };
    const preconfLeader: { ms: number[]; errors: string[] } = { ms: [], errors: [] };
    for (const raw of probeSets[4]) {
      const r = await roundTrips(await leaderUrl(), "realtime_sendRawTransaction", [raw]);
      preconfLeader.ms.push(...r.ms);
      preconfLeader.errors.push(...r.errors);
    }
    if (preconfIdle.errors.length + commitIdle.errors.length > 0)
      progress(`idle probe errors: ${[...preconfIdle.errors, ...commitIdle.errors].join("; ")}`);

    progress(`native load: ${nativeTxs.length} transfers`);
    const from = BigInt(await rpcCall<string>(urls[0], "eth_blockNumber")) + 1n;
    const t0 = Date.now();
    const t0Us = process.hrtime.bigint() / 1000n;
    let loadDone = false;
    const loadedProbes = Promise.all([
      roundTripsWhile(urls[1], "realtime_sendRawTransaction", probeSets[2], () => loadDone),
      roundTripsWhile(urls[3], "eth_sendRawTransactionSync", probeSets[3], () => loadDone),
    ]);
    const nativeSampler = sampleMetrics(net.nodes[0].metricsUrl);
    const nativeCpu = cpuMeter(net.nodes.map((n) => n.child.pid));
    const p2pPorts = net.net.validators.map((v) => v.p2pPort);
    const nativeBytes = tcpBytesMeter(p2pPorts);
    const sendStats = await sendAll(urls, nativeTxs);
    const sentAt = Date.now();
    const nat = await waitCommitted(urls[0], from, hashes(nativeTxs), 120_000);
    loadDone = true;
    markWindow("native", t0Us, nat.committed);
    const nativeSamples = await nativeSampler.stop();
    const nativeCpuUsed = nativeCpu();
    const nativeP2pBytes = nativeBytes();
    progress(`CPU seconds during the native load: ${JSON.stringify(nativeCpuUsed)}`);
    const nativeNode0 = summarize(nativeSamples);
    if (process.env.E2E_TRACE) for (const line of timeline(nativeSamples)) progress(`node 0 ${line}`);
    progress(`node 0 during the native load: ${JSON.stringify(nativeNode0)}`);
    const [preconfLoaded, commitLoaded] = await loadedProbes;
    const nativeSeconds = (nat.at - t0) / 1000;
    progress(
      `native: sent ${sendStats.sent} (rejected ${sendStats.rejected}${sendStats.firstErrors.length ? `: ${sendStats.firstErrors.join("; ")}` : ""}) in ${sentAt - t0} ms, committed ${nat.committed} in ${Math.round(nativeSeconds * 1000)} ms over ${nat.blocks} blocks`,
    );

    const ercPhase = nativeOnly ? undefined : await erc20Load();
    async function erc20Load(): Promise<{
      stats: Awaited<ReturnType<typeof sendAll>>;
      committed: number;
      blocks: number;
      seconds: number;
      node0: LoadSummary | undefined;
      cpu: ReturnType<ReturnType<typeof cpuMeter>>;
      p2pBytes: number;
    }> {
      progress(`ERC-20: ${mints.length} mints, then ${transfers.length} transfers`);
      const mintFrom = BigInt(await rpcCall<string>(urls[0], "eth_blockNumber")) + 1n;
      await sendAll(urls, mints);
      await waitCommitted(urls[0], mintFrom, hashes(mints), 120_000);
      const erc20From = BigInt(await rpcCall<string>(urls[0], "eth_blockNumber")) + 1n;
      const t1 = Date.now();
      const t1Us = process.hrtime.bigint() / 1000n;
      const ercSampler = sampleMetrics(net.nodes[0].metricsUrl);
      const ercCpu = cpuMeter(net.nodes.map((n) => n.child.pid));
      const ercBytes = tcpBytesMeter(p2pPorts);
      const stats = await sendAll(urls, transfers);
      const erc = await waitCommitted(urls[0], erc20From, hashes(transfers), 120_000);
      markWindow("erc20", t1Us, erc.committed);
      const ercSamples = await ercSampler.stop();
      const cpu = ercCpu();
      const p2pBytes = ercBytes();
      progress(`CPU seconds during the ERC-20 load: ${JSON.stringify(cpu)}`);
      const node0 = summarize(ercSamples);
      if (process.env.E2E_TRACE) for (const line of timeline(ercSamples)) progress(`node 0 ${line}`);
      progress(`node 0 during the ERC-20 load: ${JSON.stringify(node0)}`);
      const seconds = (erc.at - t1) / 1000;
      progress(
        `ERC-20: sent ${stats.sent} (rejected ${stats.rejected}), committed ${erc.committed} in ${Math.round(seconds * 1000)} ms`,
      );
      return { stats, committed: erc.committed, blocks: erc.blocks, seconds, node0, cpu, p2pBytes };
    }

    const stat = (ms: number[], p: number): number => (ms.length > 0 ? round(percentile(ms, p)) : -1);
    const metrics: Record<string, number> = {
      committed_tx_per_s: round(nat.committed / nativeSeconds),
      committed_erc20_tx_per_s: ercPhase ? round(ercPhase.committed / ercPhase.seconds) : -1,
      // CPU the 4 node processes spent during the load, per committed transaction (ms).
      node_cpu_ms_per_native_tx: cpuMsPerTx(nativeCpuUsed.nodes, nat.committed),
      node_cpu_ms_per_erc20_tx: ercPhase ? cpuMsPerTx(ercPhase.cpu.nodes, ercPhase.committed) : -1,
      // The nodes' main threads only (the rest is sender recovery workers, fsync, LevelDB).
      node_main_cpu_ms_per_native_tx: cpuMsPerTx(nativeCpuUsed.nodesMain, nat.committed),
      // Bytes between the nodes (p2p, both directions, all links) per committed transaction.
      p2p_bytes_per_native_tx: Math.round(nativeP2pBytes / Math.max(1, nat.committed)),
      p2p_bytes_per_erc20_tx: ercPhase ? Math.round(ercPhase.p2pBytes / Math.max(1, ercPhase.committed)) : -1,
      preconf_p50_ms_idle: stat(preconfIdle.ms, 50),
      preconf_p99_ms_idle: stat(preconfIdle.ms, 99),
      commit_p50_ms_idle: stat(commitIdle.ms, 50),
      commit_p99_ms_idle: stat(commitIdle.ms, 99),
      preconf_at_leader_p50_ms_idle: stat(preconfLeader.ms, 50),
      preconf_at_leader_p99_ms_idle: stat(preconfLeader.ms, 99),
      preconf_p50_ms_loaded: stat(preconfLoaded.ms, 50),
      preconf_p99_ms_loaded: stat(preconfLoaded.ms, 99),
      commit_p50_ms_loaded: stat(commitLoaded.ms, 50),
      commit_p99_ms_loaded: stat(commitLoaded.ms, 99),
    };
    metrics.preconf_p50_ms = metrics.preconf_p50_ms_loaded;
    metrics.preconf_p99_ms = metrics.preconf_p99_ms_loaded;
    metrics.commit_p50_ms = metrics.commit_p50_ms_loaded;
    metrics.commit_p99_ms = metrics.commit_p99_ms_loaded;
    result = {
      metrics,
      ratios: {
        preconf_loaded_over_idle: round(
          metrics.preconf_p50_ms_loaded / Math.max(1e-9, metrics.preconf_p50_ms_idle),
        ),
        commit_loaded_over_idle: round(
          metrics.commit_p50_ms_loaded / Math.max(1e-9, metrics.commit_p50_ms_idle),
        ),
      },
      details: {
        ...machineInfo(),
        senders,
        perSender,
        node0DuringNative: nativeNode0,
        node0DuringErc20: ercPhase?.node0,
        cpuSecondsNative: nativeCpuUsed,
        cpuSecondsErc20: ercPhase?.cpu,
        native: {
          sendMs: sentAt - t0,
          sent: sendStats.sent,
          rejected: sendStats.rejected,
          committed: nat.committed,
          blocks: nat.blocks,
        },
        erc20: ercPhase && {
          sent: ercPhase.stats.sent,
          rejected: ercPhase.stats.rejected,
          committed: ercPhase.committed,
          blocks: ercPhase.blocks,
        },
        samples: {
          preconfIdle: preconfIdle.ms.length,
          commitIdle: commitIdle.ms.length,
          preconfAtLeaderIdle: preconfLeader.ms.length,
          preconfLoaded: preconfLoaded.ms.length,
          commitLoaded: commitLoaded.ms.length,
        },
        medians: { preconfIdle: preconfIdle.ms.length ? round(median(preconfIdle.ms)) : -1 },
        probeErrors: [...preconfLoaded.errors, ...commitLoaded.errors].slice(0, 5),
      },
    };
  } catch (error) {
    // Keep the data dirs and logs of a failed run: a node that died under load is the finding.
    for (const n of net.nodes) {
      progress(
        `node ${n.index} (exit ${n.child.exitCode ?? n.child.signalCode ?? "running"}): ${logTail(n.logFile, 800)}`,
      );
    }
    progress(`stopping nodes, keeping ${net.dir}`);
    await net.stop(true);
    throw error;
  }
  const keep = process.env.E2E_KEEP === "1";
  progress(keep ? `stopping nodes, keeping ${net.dir}` : "stopping nodes");
  await net.stop(keep);
  return result;
}

/** Probe round trips while the load runs (at least a few, so there is always a loaded sample). */
async function roundTripsWhile(
  url: string,
  method: "realtime_sendRawTransaction" | "eth_sendRawTransactionSync",
  txs: Hex[],
  done: () => boolean,
): Promise<{ ms: number[]; errors: string[] }> {
  const ms: number[] = [];
  const errors: string[] = [];
  for (const raw of txs) {
    if (done() && ms.length >= 3) break;
    const r = await roundTrips(url, method, [raw]);
    ms.push(...r.ms);
    errors.push(...r.errors);
  }
  return { ms, errors: errors.slice(0, 5) };
}
