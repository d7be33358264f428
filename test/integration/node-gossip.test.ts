import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BitArray } from "@chainsafe/ssz";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConsensusMessage } from "../../src/consensus/index.ts";
import { secretKeyFromSeed, sign } from "../../src/crypto/index.ts";
import { encodeConsensusMessage } from "../../src/node/consensus-wire.ts";
import { loadGenesis } from "../../src/node/genesis.ts";
import { createLocalNetwork, type LocalNetwork } from "../../src/node/local-network.ts";
import { P2pHost } from "../../src/p2p/index.ts";
import {
  type Block,
  BlockHeader,
  Justification,
  MiniBlockPayload,
  type QuorumCertificate,
  type SignedVote,
  signingRootOfHeader,
  signingRootOfTimeout,
  signingRootOfVote,
  type TimeoutMessage,
} from "../../src/types/index.ts";
import {
  committedHeight,
  logTail,
  metric,
  startValidator,
  type TestNode,
  waitUntil,
} from "./node-helpers.ts";

const CHAIN_ID = 4242;
const SEED = "node-gossip-test";

/**
 * Consensus gossip attacks on four real `megaseq node` processes. An attacker (a libp2p host in
 * this process, connected to node 0 only) publishes correctly encoded proposals, votes and
 * timeouts that are invalid: a bad BLS signature, a signature over another chain id, an unknown
 * signer, an unknown epoch. Node 0 rejects each in its gossip validator: counted by reason, the
 * attacker penalised (and finally banned), nothing forwarded (the other nodes never see them),
 * and the network keeps committing.
 */
describe("megaseq node: invalid consensus gossip", () => {
  let dir: string;
  let net: LocalNetwork;
  const nodes: TestNode[] = [];
  const attackers: P2pHost[] = [];

  const secretKey = (index: number): Uint8Array =>
    secretKeyFromSeed(new TextEncoder().encode(`${SEED}/validator/${index}`.padEnd(32, ".")));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "megaseq-gossip-"));
    net = await createLocalNetwork({
      dir,
      validators: 4,
      chainId: CHAIN_ID,
      seed: SEED,
      consensus: { baseTimeoutMs: 500, maxTimeoutMs: 4_000 },
    });
    // Node 0 logs each penalty ("peer penalised", at debug level).
    for (const v of net.validators)
      nodes.push(startValidator(dir, net.genesisFile, v, v.index === 0 ? "debug" : "info"));
    await waitUntil("first commits", async () => {
      const hs = await Promise.all(nodes.map((n) => committedHeight(n.metricsUrl)));
      return hs.every((h) => (h ?? 0) >= 5);
    });
  });

  afterAll(async () => {
    await Promise.all(attackers.map((a) => a.stop().catch(() => {})));
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh attacker host dialed to node 0 only, once node 0's consensus topics are known to it. */
  async function attacker(): Promise<P2pHost> {
    const genesis = loadGenesis(net.genesisFile);
    const victim = net.validators[0];
    const host = new P2pHost(
      {
        chainId: CHAIN_ID,
        listen: ["/ip4/127.0.0.1/tcp/0"],
        staticPeers: [`/ip4/127.0.0.1/tcp/${victim.p2pPort}/p2p/${victim.peerId}`],
      },
      {
        status: () => ({
          chainId: CHAIN_ID,
          genesisHash: genesis.hash,
          epoch: 0n,
          committedHeight: 0n,
          committedHash: new Uint8Array(32),
        }),
      },
    );
    // Subscribing lets the victim tell us its own subscriptions; what it sends us is dropped.
    for (const kind of ["proposal", "vote", "timeout"] as const) {
      host.setTopicHandler(kind, {
        validate: () => ({ result: "ignore", reason: "attacker" }),
        deliver: () => {},
      });
    }
    attackers.push(host);
    await host.start();
    await waitUntil(
      "the victim's consensus subscriptions, as the attacker sees them",
      () =>
        (["proposal", "vote", "timeout"] as const).every((k) => host.topicPeers(k).includes(victim.peerId)),
      30_000,
    );
    return host;
  }

  const rejected = async (i: number, topic: string, reason: string): Promise<number> => {
    const text = await fetch(`${nodes[i].metricsUrl}/metrics`).then((r) => r.text());
    const m = new RegExp(
      `^megaseq_p2p_gossip_rejected_total\\{topic="${topic}",reason="${reason}"\\} (\\S+)$`,
      "m",
    ).exec(text);
    return m ? Number(m[1]) : 0;
  };

  const roundOf = async (i: number): Promise<number> =>
    (await metric(nodes[i].metricsUrl, "megaseq_consensus_round")) ?? 0;

  /** Node 0's logged penalties of `peer` (pino JSON lines of the p2p module). */
  const penalties = (peer: string): { reason: string; penalty: number }[] =>
    readFileSync(nodes[0].logFile, "utf8")
      .split("\n")
      .filter((line) => line.includes('"peer penalised"') && line.includes(peer))
      .map((line) => JSON.parse(line) as { reason: string; penalty: number });

  /** Publishes `make()` (fresh each time) at most once a second until node 0 counts the rejection. */
  async function attack(
    host: P2pHost,
    kind: "proposal" | "vote" | "timeout",
    reason: string,
    make: (round: number) => ConsensusMessage,
  ): Promise<void> {
    const before = await rejected(0, kind, reason);
    await waitUntil(
      `node 0 to reject a ${kind} as ${reason}`,
      async () => {
        const round = await roundOf(0);
        await host.publish(kind, encodeConsensusMessage(make(round + 2))).catch(() => 0);
        return waitUntil(
          "rejection counted",
          async () => (await rejected(0, kind, reason)) > before,
          1_000,
        ).catch(() => false);
      },
      30_000,
      0,
    );
    // The log is written asynchronously: wait for the line rather than read it once.
    await waitUntil(`node 0 to log the ${reason} penalty of the ${kind} sender`, () =>
      penalties(host.peerId).some((p) => p.reason === reason && p.penalty > 0),
    );
  }

  const genesisQc = (): QuorumCertificate => ({
    epoch: 0,
    round: 0,
    blockRoot: new Uint8Array(32),
    signers: BitArray.fromBitLen(4),
    signature: new Uint8Array(96),
  });

  function proposal(round: number, proposer: number, key: Uint8Array, chainId = CHAIN_ID, epoch = 0): Block {
    const payload = {
      timestampUs: 1,
      l1OriginNumber: 0,
      l1OriginHash: new Uint8Array(32),
      deposits: [],
      txs: [],
    };
    const justify = { qc: { ...genesisQc(), epoch }, tc: [] };
    const header: BlockHeader = {
      epoch,
      round,
      proposerIndex: proposer,
      parentRoot: new Uint8Array(32),
      parentRound: 0,
      payloadRoot: MiniBlockPayload.hashTreeRoot(payload),
      stateBlockNumber: 0,
      stateRoot: new Uint8Array(32),
      justifyRoot: Justification.hashTreeRoot(justify),
    };
    return { header, payload, justify, signature: sign(key, signingRootOfHeader(chainId, header)) };
  }

  function vote(round: number, signer: number, key: Uint8Array, chainId = CHAIN_ID, epoch = 0): SignedVote {
    const v = { epoch, round, blockRoot: BlockHeader.hashTreeRoot(proposal(round, 1, key).header) };
    return { vote: v, signerIndex: signer, signature: sign(key, signingRootOfVote(chainId, v)) };
  }

  function timeout(round: number, signer: number, key: Uint8Array): TimeoutMessage {
    const t = { epoch: 0, round, highQcRound: 0 };
    return {
      timeout: t,
      signerIndex: signer,
      signature: sign(key, signingRootOfTimeout(CHAIN_ID, t)),
      highQc: genesisQc(),
      lastTc: [],
    };
  }

  it("rejects bad signatures, other chains' signatures, unknown signers and epochs, penalises, forwards none", async () => {
    const wrongKey = secretKeyFromSeed(new TextEncoder().encode("not-a-validator".padEnd(32, ".")));
    const heightBefore = (await committedHeight(nodes[0].metricsUrl)) ?? 0;

    // One attacker per attack, so that no single peer is banned before every reason is counted.
    await attack(await attacker(), "proposal", "bad_signature", (r) => ({
      kind: "proposal",
      block: proposal(r, 1, wrongKey),
    }));
    await attack(await attacker(), "vote", "bad_signature", (r) => ({
      kind: "vote",
      vote: vote(r, 2, wrongKey),
    }));
    await attack(await attacker(), "timeout", "bad_signature", (r) => ({
      kind: "timeout",
      timeout: timeout(r, 3, wrongKey),
    }));
    // Validator 2's own key, but over chain 9999's signing domain: also a bad signature here.
    const before = await rejected(0, "vote", "bad_signature");
    await attack(await attacker(), "vote", "bad_signature", (r) => ({
      kind: "vote",
      vote: vote(r, 2, secretKey(2), 9999),
    }));
    expect(await rejected(0, "vote", "bad_signature")).toBeGreaterThan(before);
    await attack(await attacker(), "vote", "unknown_signer", (r) => ({
      kind: "vote",
      vote: vote(r, 9, secretKey(2)),
    }));
    await attack(await attacker(), "proposal", "wrong_epoch", (r) => ({
      kind: "proposal",
      block: proposal(r, 1, secretKey(1), CHAIN_ID, 7),
    }));

    // Not forwarded: the other nodes, reachable from the attackers only through node 0, saw none.
    for (const i of [1, 2, 3]) {
      for (const topic of ["proposal", "vote", "timeout"]) {
        for (const reason of ["bad_signature", "unknown_signer", "wrong_epoch"]) {
          expect(await rejected(i, topic, reason)).toBe(0);
        }
      }
    }
    // ...and consensus went on throughout.
    await waitUntil(
      "commits after the attacks",
      async () => ((await committedHeight(nodes[0].metricsUrl)) ?? 0) > heightBefore + 5,
    );
  });

  it("bans a peer that keeps sending badly signed proposals; the network keeps committing", async () => {
    const host = await attacker();
    const wrongKey = secretKeyFromSeed(new TextEncoder().encode("flooder".padEnd(32, ".")));
    const disconnectsBefore = (await metric(nodes[0].metricsUrl, "megaseq_p2p_disconnects_total")) ?? 0;
    let round = await roundOf(0);
    for (let i = 0; i < 40 && host.peers().length > 0; i++) {
      await host
        .publish(
          "proposal",
          encodeConsensusMessage({ kind: "proposal", block: proposal(++round, 1, wrongKey) }),
        )
        .catch(() => 0);
    }
    await waitUntil("node 0 to cut the flooder", () => host.peers().length === 0, 30_000).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n${logTail(nodes[0].logFile, 800)}`);
      },
    );
    expect((await metric(nodes[0].metricsUrl, "megaseq_p2p_disconnects_total")) ?? 0).toBeGreaterThan(
      disconnectsBefore,
    );
    const logged = penalties(host.peerId).map((p) => p.penalty);
    expect(logged.length).toBeGreaterThan(1);
    expect(logged[logged.length - 1]).toBeGreaterThan(logged[0]); // the penalty grew with each one
    const heights = await Promise.all(nodes.map(async (n) => (await committedHeight(n.metricsUrl)) ?? 0));
    await waitUntil("every node commits after the flood", async () => {
      const now = await Promise.all(nodes.map(async (n) => (await committedHeight(n.metricsUrl)) ?? 0));
      return now.every((h, i) => h > heights[i] + 5);
    });
  });
});
