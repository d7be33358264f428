import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import {
  createKeystore,
  kdfFastInsecure,
  publicKeyFromSecretKey,
  secretKeyFromSeed,
} from "../crypto/index.ts";
import { loadOrCreatePeerKey } from "../p2p/peer-key.ts";
import type { NodeProcessOptions } from "./devnet-process.ts";
import type { GenesisJson } from "./genesis.ts";

/** One validator of a local network, with the files `megaseq node` needs. */
export interface LocalValidator {
  index: number;
  dataDir: string;
  keystoreFile: string;
  passwordFile: string;
  p2pPort: number;
  metricsPort: number;
  rpcPort: number;
  peerId: string;
  multiaddr: string;
  blsPubkey: string;
  address: string;
}

/** The `megaseq node` process options of a local validator (its data dir, keys and ports; no RPC). */
export function validatorProcessOptions(
  genesisFile: string,
  v: LocalValidator,
  logFile: string,
): NodeProcessOptions {
  return {
    genesisFile,
    dataDir: v.dataDir,
    keystoreFile: v.keystoreFile,
    passwordFile: v.passwordFile,
    p2pPort: v.p2pPort,
    metricsPort: v.metricsPort,
    logFile,
  };
}

export interface LocalNetworkOpts {
  dir: string;
  validators: number;
  chainId: number;
  /** Seed for the deterministic BLS keys of this (development-only) network. */
  seed?: string;
  /** Overrides of the consensus parameters in genesis. */
  consensus?: Partial<GenesisJson["consensus"]>;
  alloc?: GenesisJson["alloc"];
  /** Voting power per validator (defaults to equal power). */
  votingPower?: (index: number) => bigint;
  /** Address per validator (its L1 staker); defaults to a derived placeholder. */
  address?: (index: number) => string;
  l1?: GenesisJson["l1"];
}

export interface LocalNetwork {
  genesisFile: string;
  genesis: GenesisJson;
  validators: LocalValidator[];
}

export const DEFAULT_CONSENSUS: GenesisJson["consensus"] = {
  baseTimeoutMs: 1000,
  backoffFactor: 1.5,
  maxTimeoutMs: 10_000,
  leaderTermRounds: 1,
  reputationWindow: 10,
};

/** A free TCP port on loopback (bound, read, released). */
/** Ports this process has handed out: the kernel can return a just-closed one again at once. */
const handedOut = new Set<number>();

/**
 * A loopback port free right now and never handed out before by this process (a layout once got
 * the same port for a node's p2p and metrics listeners, and that node could not start).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await ephemeralPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("no unused loopback port after 50 attempts");
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Lays out a local network on this machine: per validator a data dir with its libp2p key, an
 * EIP-2335 keystore (fast KDF: these are development keys) with its password file, and ports;
 * then one genesis file naming them all. Used by the devnet and by the multi-process tests.
 */
export async function createLocalNetwork(opts: LocalNetworkOpts): Promise<LocalNetwork> {
  mkdirSync(opts.dir, { recursive: true });
  const validators: LocalValidator[] = [];
  for (let index = 0; index < opts.validators; index++) {
    const dataDir = join(opts.dir, `node${index}`);
    mkdirSync(dataDir, { recursive: true });
    const seed = new TextEncoder().encode(
      `${opts.seed ?? "megaseq-devnet"}/validator/${index}`.padEnd(32, "."),
    );
    const secretKey = secretKeyFromSeed(seed);
    const password = `devnet-${index}`;
    const passwordFile = join(dataDir, "bls-password.txt");
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    const keystore = await createKeystore(secretKey, password, { kdf: kdfFastInsecure() });
    const keystoreFile = join(dataDir, "bls-keystore.json");
    writeFileSync(keystoreFile, JSON.stringify(keystore, null, 2), { mode: 0o600 });
    const { key } = await loadOrCreatePeerKey(join(dataDir, "peer-key"));
    const peerId = peerIdFromPrivateKey(key).toString();
    const p2pPort = await freePort();
    validators.push({
      index,
      dataDir,
      keystoreFile,
      passwordFile,
      p2pPort,
      metricsPort: await freePort(),
      rpcPort: await freePort(),
      peerId,
      multiaddr: `/ip4/127.0.0.1/tcp/${p2pPort}/p2p/${peerId}`,
      blsPubkey: `0x${Buffer.from(publicKeyFromSecretKey(secretKey)).toString("hex")}`,
      address: opts.address?.(index) ?? `0x${(index + 1).toString(16).padStart(40, "0")}`,
    });
  }
  const genesis: GenesisJson = {
    chainId: opts.chainId,
    timestampMs: Date.now(),
    validators: validators.map((v) => ({
      address: v.address,
      blsPubkey: v.blsPubkey,
      votingPower: (opts.votingPower?.(v.index) ?? 100n).toString(),
      peerId: v.peerId,
      multiaddr: v.multiaddr,
    })),
    alloc: opts.alloc ?? {},
    consensus: { ...DEFAULT_CONSENSUS, ...opts.consensus },
    ...(opts.l1 ? { l1: opts.l1 } : {}),
  };
  const genesisFile = join(opts.dir, "genesis.json");
  writeFileSync(genesisFile, `${JSON.stringify(genesis, null, 2)}\n`);
  return { genesisFile, genesis, validators };
}
