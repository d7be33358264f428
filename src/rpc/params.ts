import { z } from "zod";
import type { AccessListEntry, AccountOverride, CallRequest, StateOverrides } from "./backend.ts";
import type { Hex } from "./hex.ts";

/**
 * zod schemas for every parameter shape the methods take. Each parses wire JSON into the
 * backend's types (bigint quantities, lower-case hex), so handlers never see raw strings.
 */

/** A QUANTITY of at most 256 bits. Leading zeros are tolerated: some clients send them. */
export const quantity = z
  .string()
  .regex(/^0x[0-9a-fA-F]{1,64}$/, "expected a hex quantity like 0x1a")
  .transform((s) => BigInt(s));

/** A quantity or a JSON number (timeouts, block counts: clients send both). */
export const quantityOrNumber = z.union([
  quantity,
  z.number().int("expected an integer").nonnegative().max(Number.MAX_SAFE_INTEGER).transform(BigInt),
]);

export const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte hex address")
  .transform((s) => s.toLowerCase() as Hex);

export const hash32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected a 32-byte hex hash")
  .transform((s) => s.toLowerCase() as Hex);

/** A storage slot: geth accepts any quantity up to 32 bytes and pads it. */
export const storageSlot = z
  .string()
  .regex(/^0x[0-9a-fA-F]{1,64}$/, "expected a hex storage slot of at most 32 bytes")
  .transform((s) => `0x${s.slice(2).toLowerCase().padStart(64, "0")}` as Hex);

export const data = z
  .string()
  .regex(/^0x([0-9a-fA-F]{2})*$/, "expected even-length hex data")
  .transform((s) => s.toLowerCase() as Hex);

export const BLOCK_TAGS = ["latest", "pending", "safe", "finalized", "earliest"] as const;
export type BlockTag = (typeof BLOCK_TAGS)[number];

export type BlockSelector =
  | { kind: "tag"; tag: BlockTag }
  | { kind: "number"; number: bigint }
  | { kind: "hash"; hash: Hex; requireCanonical: boolean };

const blockTag = z.enum(BLOCK_TAGS, {
  error: () => "expected a block tag (latest|pending|safe|finalized|earliest), a hex number or a block hash",
});

/** A tag or a number (no hash): eth_getBlockByNumber, filters, fee history. */
export const blockNumberOrTag = z.union([
  blockTag.transform((tag): BlockSelector => ({ kind: "tag", tag })),
  quantity.transform((number): BlockSelector => ({ kind: "number", number })),
]);

/** EIP-1898: a tag, a number, a hash, or `{blockNumber}` / `{blockHash, requireCanonical}`. */
export const blockSelector = z.union([
  blockTag.transform((tag): BlockSelector => ({ kind: "tag", tag })),
  hash32.transform((hash): BlockSelector => ({ kind: "hash", hash, requireCanonical: false })),
  quantity.transform((number): BlockSelector => ({ kind: "number", number })),
  z
    .object({ blockNumber: quantity })
    .strict()
    .transform((o): BlockSelector => ({ kind: "number", number: o.blockNumber })),
  z
    .object({ blockHash: hash32, requireCanonical: z.boolean().optional() })
    .strict()
    .transform(
      (o): BlockSelector => ({
        kind: "hash",
        hash: o.blockHash,
        requireCanonical: o.requireCanonical ?? false,
      }),
    ),
]);

const MAX_ACCESS_LIST = 1024;

export const accessList = z
  .array(z.object({ address, storageKeys: z.array(hash32).max(MAX_ACCESS_LIST) }))
  .max(MAX_ACCESS_LIST)
  .transform((list): AccessListEntry[] => list);

/** A transaction-like object for eth_call / eth_estimateGas. `input` wins over `data` as in geth. */
export const callRequest = z
  .object({
    from: address.optional(),
    to: address.nullable().optional(),
    gas: quantity.optional(),
    gasPrice: quantity.optional(),
    maxFeePerGas: quantity.optional(),
    maxPriorityFeePerGas: quantity.optional(),
    value: quantity.optional(),
    data: data.optional(),
    input: data.optional(),
    nonce: quantity.optional(),
    accessList: accessList.optional(),
    chainId: quantity.optional(),
    type: quantity.optional(),
  })
  .refine((o) => o.data === undefined || o.input === undefined || o.data === o.input, {
    message: 'both "data" and "input" are set and not equal',
  })
  .transform((o): CallRequest => {
    const req: CallRequest = {};
    if (o.from !== undefined) req.from = o.from;
    if (o.to !== undefined) req.to = o.to;
    if (o.gas !== undefined) req.gas = o.gas;
    if (o.gasPrice !== undefined) req.gasPrice = o.gasPrice;
    if (o.maxFeePerGas !== undefined) req.maxFeePerGas = o.maxFeePerGas;
    if (o.maxPriorityFeePerGas !== undefined) req.maxPriorityFeePerGas = o.maxPriorityFeePerGas;
    if (o.value !== undefined) req.value = o.value;
    const input = o.input ?? o.data;
    if (input !== undefined) req.data = input;
    if (o.nonce !== undefined) req.nonce = o.nonce;
    if (o.accessList !== undefined) req.accessList = o.accessList;
    return req;
  });

const MAX_OVERRIDE_ACCOUNTS = 256;
const MAX_OVERRIDE_SLOTS = 4096;

const slotMap = z
  .record(hash32, hash32)
  .refine((m) => Object.keys(m).length <= MAX_OVERRIDE_SLOTS, `at most ${MAX_OVERRIDE_SLOTS} slots`);

export const stateOverrides = z
  .record(
    address,
    z
      .object({
        balance: quantity.optional(),
        nonce: quantity.optional(),
        code: data.optional(),
        state: slotMap.optional(),
        stateDiff: slotMap.optional(),
      })
      .strict()
      .refine((o) => o.state === undefined || o.stateDiff === undefined, {
        message: '"state" and "stateDiff" cannot both be set',
      }),
  )
  .refine(
    (m) => Object.keys(m).length <= MAX_OVERRIDE_ACCOUNTS,
    `at most ${MAX_OVERRIDE_ACCOUNTS} overridden accounts`,
  )
  .transform((m): StateOverrides => {
    const out: StateOverrides = {};
    for (const [addr, o] of Object.entries(m)) {
      const acc: AccountOverride = {};
      if (o.balance !== undefined) acc.balance = o.balance;
      if (o.nonce !== undefined) acc.nonce = o.nonce;
      if (o.code !== undefined) acc.code = o.code;
      if (o.state !== undefined) acc.state = o.state as Record<Hex, Hex>;
      if (o.stateDiff !== undefined) acc.stateDiff = o.stateDiff as Record<Hex, Hex>;
      out[addr.toLowerCase() as Hex] = acc;
    }
    return out;
  });

export const MAX_FILTER_ADDRESSES = 1000;
const MAX_TOPIC_ALTERNATIVES = 1000;

const topicPosition = z.union([z.null(), hash32, z.array(hash32.nullable()).max(MAX_TOPIC_ALTERNATIVES)]);

export interface FilterCriteria {
  fromBlock?: BlockSelector;
  toBlock?: BlockSelector;
  blockHash?: Hex;
  addresses: Hex[] | null;
  topics: (Hex[] | null)[];
}

export const filterCriteria = z
  .object({
    fromBlock: blockNumberOrTag.optional(),
    toBlock: blockNumberOrTag.optional(),
    blockHash: hash32.optional(),
    address: z
      .union([address, z.array(address).max(MAX_FILTER_ADDRESSES)])
      .nullable()
      .optional(),
    topics: z.array(topicPosition).max(4, "at most 4 topic positions").nullable().optional(),
  })
  .refine((o) => o.blockHash === undefined || (o.fromBlock === undefined && o.toBlock === undefined), {
    message: "blockHash cannot be combined with fromBlock/toBlock",
  })
  .transform((o): FilterCriteria => {
    const addresses = o.address == null ? null : Array.isArray(o.address) ? o.address : [o.address];
    const topics = (o.topics ?? []).map((t): Hex[] | null => {
      if (t === null) return null;
      if (typeof t === "string") return [t];
      // A position listing null among alternatives matches anything.
      if (t.length === 0 || t.includes(null)) return null;
      return t as Hex[];
    });
    const out: FilterCriteria = { addresses: addresses && addresses.length === 0 ? null : addresses, topics };
    if (o.fromBlock !== undefined) out.fromBlock = o.fromBlock;
    if (o.toBlock !== undefined) out.toBlock = o.toBlock;
    if (o.blockHash !== undefined) out.blockHash = o.blockHash;
    return out;
  });
