import { z } from "zod";
import { LOG_LEVELS } from "../logger.ts";

// The TOML file's shape (snake_case keys, as operators write them). Every message says what form
// the value must take; unknown keys are errors, so a typo never silently falls back to a default.

const multiaddr = z
  .string()
  .regex(/^(\/[a-z0-9-]+\/[^/\s]+)+$/, 'expected a multiaddr like "/ip4/0.0.0.0/tcp/9000"');
const peerAddr = z
  .string()
  .regex(
    /^(\/[a-z0-9-]+\/[^/\s]+)*\/p2p\/[1-9A-HJ-NP-Za-km-z]+$/,
    'expected a multiaddr ending in the peer id, like "/ip4/10.0.0.2/tcp/9000/p2p/12D3KooW..."',
  );
const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected "host:port", like "127.0.0.1:9100"');
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte hex address");
const path = z.string().min(1, "expected a file path");
const url = z
  .string()
  .regex(/^(https?|wss?):\/\/\S+$/, 'expected an http(s) or ws(s) URL, like "http://127.0.0.1:8545"');
const positiveInt = (what: string) =>
  z
    .number({ error: `expected a positive integer (${what})` })
    .int(`expected an integer (${what})`)
    .positive(`expected a positive integer (${what})`);
const nonNegativeInt = (what: string) =>
  z
    .number({ error: `expected an integer >= 0 (${what})` })
    .int(`expected an integer (${what})`)
    .nonnegative(`expected an integer >= 0 (${what})`);

export const ConfigFileSchema = z
  .object({
    data_dir: path,
    chain_id: positiveInt("chain id"),
    logging: z
      .object({ level: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(", ")}` }) })
      .strict(),
    p2p: z
      .object({
        listen: z.array(multiaddr).min(1, "expected at least one listen address"),
        bootnodes: z.array(peerAddr),
        static_peers: z.array(peerAddr),
        peer_key_file: path,
        max_peers: positiveInt("connections"),
        gossip_mesh_degree: nonNegativeInt("peers"),
      })
      .strict(),
    rpc: z
      .object({
        enabled: z.boolean({ error: "expected true or false" }),
        address: hostPort,
        max_body_bytes: positiveInt("bytes"),
        max_batch: positiveInt("requests per batch"),
        max_connections: positiveInt("connections"),
        admin_enabled: z.boolean({ error: "expected true or false" }),
      })
      .strict(),
    metrics: z
      .object({ enabled: z.boolean({ error: "expected true or false" }), address: hostPort })
      .strict(),
    keys: z.object({ bls_keystore: path, bls_password_file: path }).strict(),
    l1: z
      .object({
        rpc_url: url,
        staking_manager: address.optional(),
        slashing: address.optional(),
        token: address.optional(),
        confirmations: nonNegativeInt("L1 blocks"),
        poll_interval_ms: positiveInt("milliseconds"),
        reporter_key_file: path.optional(),
      })
      .strict(),
  })
  .strict();

export type ConfigFile = z.infer<typeof ConfigFileSchema>;

/** The sections of the file (tables), for environment overrides. */
export const CONFIG_SECTIONS = ["logging", "p2p", "rpc", "metrics", "keys", "l1"] as const;
export const TOP_LEVEL_KEYS = ["data_dir", "chain_id"] as const;

export function sectionKeys(section: (typeof CONFIG_SECTIONS)[number]): string[] {
  // Strict objects inside a refined object: reach the shape through the inner schema.
  const shape = ConfigFileSchema.shape[section].shape as Record<string, unknown>;
  return Object.keys(shape);
}
