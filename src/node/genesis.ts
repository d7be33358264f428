import { readFileSync } from "node:fs";
import { z } from "zod";
import type { ValidatorInfo } from "../consensus/index.ts";
import { keccak256 } from "../crypto/index.ts";
import { CodedError } from "../util/coded-error.ts";

export class GenesisError extends CodedError<"GENESIS_UNREADABLE" | "GENESIS_INVALID"> {}

const hex = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), `expected 0x followed by ${bytes * 2} hex digits`);
const decimal = z.string().regex(/^\d+$/, "expected a decimal integer string");

const ValidatorEntry = z.object({
  address: hex(20),
  blsPubkey: hex(48),
  votingPower: decimal,
  /** libp2p peer id: votes go straight to the next leader's peer. */
  peerId: z.string().min(1),
  /** Multiaddr including /p2p/<peerId>; dialed as a static peer. */
  multiaddr: z.string().min(1),
});

const GenesisSchema = z.object({
  chainId: z.number().int().positive(),
  /** Wall-clock ms of genesis; EVM block timestamps count from here. */
  timestampMs: z.number().int().nonnegative(),
  /**
   * The consensus epoch of the genesis validator set. With L1 epochs it is the StakingManager
   * epoch whose frozen set `validators` holds (evidence of epoch e is checked on L1 against
   * `validatorSet(e)`). Default 0.
   */
  epoch: z.number().int().nonnegative().optional(),
  validators: z.array(ValidatorEntry).min(1).max(1024),
  /** L2 balances at genesis (wei, decimal strings). */
  alloc: z.record(hex(20), decimal),
  consensus: z.object({
    baseTimeoutMs: z.number().int().positive(),
    backoffFactor: z.number().min(1),
    maxTimeoutMs: z.number().int().positive(),
    leaderTermRounds: z.number().int().positive(),
    reputationWindow: z.number().int().nonnegative(),
    /**
     * Rounds per epoch: the first committed block with round >= this ends the epoch, and the next
     * set is read from L1 at that block's L1 origin. Absent or 0: one epoch forever (no L1 needed).
     */
    epochLengthRounds: z.number().int().nonnegative().optional(),
  }),
  /**
   * Where the validator set came from: the L1 StakingManager (contracts.StakingManager) and the
   * block the genesis set was read at (the floor of the first mini-block's L1 origin). With
   * consensus.epochLengthRounds > 0 every validator reads later sets from this StakingManager.
   */
  l1: z
    .object({
      rpcUrl: z.string(),
      chainId: z.number().int().positive(),
      contracts: z.record(z.string(), hex(20)),
      anchorBlock: z.number().int().nonnegative(),
    })
    .optional(),
});

export type GenesisJson = z.infer<typeof GenesisSchema>;

export interface Genesis {
  json: GenesisJson;
  /** keccak256 of the file's canonical JSON: two nodes talk only if theirs agree. */
  hash: Uint8Array;
  validators: ValidatorInfo[];
}

export function parseGenesis(text: string, source = "genesis"): Genesis {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new GenesisError("GENESIS_INVALID", `${source} is not JSON: ${(error as Error).message}`);
  }
  const parsed = GenesisSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GenesisError(
      "GENESIS_INVALID",
      `${source}: ${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
  }
  const json = parsed.data;
  const validators = json.validators.map((v, index) => ({
    index,
    address: v.address.toLowerCase(),
    pubkey: Buffer.from(v.blsPubkey.slice(2), "hex"),
    votingPower: BigInt(v.votingPower),
  }));
  if (validators.some((v) => v.votingPower === 0n)) {
    throw new GenesisError("GENESIS_INVALID", `${source}: every validator needs voting power above 0`);
  }
  return { json, hash: keccak256(new TextEncoder().encode(canonicalJson(json))), validators };
}

export function loadGenesis(path: string): Genesis {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new GenesisError(
      "GENESIS_UNREADABLE",
      `cannot read genesis file ${path}: ${(error as Error).message}`,
    );
  }
  return parseGenesis(text, path);
}

/** JSON with object keys sorted at every level, so the hash does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
