import { bytesToHex, hexToBytes } from "../hex.ts";
import type { TxOutcome } from "../tx-envelope.ts";
import type { AccountData, Hex, Log } from "../types.ts";
import type { ReadSet, SpecResult, WriteSet } from "./protocol.ts";

/**
 * Compact text encoding of what crosses between the executor's threads most often: a
 * speculative result that made only puts (reads, write set, outcome) and a forwarded write set.
 *
 * Why text: the keys are already hex strings, and a single flat string crosses postMessage as
 * one memcpy, where the structured clone of the same objects visits every array, object, string
 * and bigint on both sides (~30 µs per ERC-20 result, measured) and leaves that much more
 * garbage in both isolates. Tokens are joined by ","; no token can contain one (hex, decimal
 * digits, "~" for an absent account, "" for an absent contract address).
 * Everything else (recorded calls, code, rejections, errors, misses) keeps the structured clone.
 */

const SEP = ",";
const ABSENT = "~";

function hexOf(value: bigint): string {
  return value.toString(16);
}

function big(token: string): bigint {
  return BigInt(`0x${token}`);
}

class Tokens {
  private readonly t: string[];
  private i = 0;

  constructor(text: string) {
    this.t = text.split(SEP);
  }
  next(): string {
    if (this.i >= this.t.length) throw new Error("truncated parallel-executor message");
    return this.t[this.i++];
  }
  int(): number {
    return Number(this.next());
  }
  hex(): Hex {
    return this.next() as Hex;
  }
  bigint(): bigint {
    return big(this.next());
  }
  account(): AccountData | null {
    const nonce = this.next();
    if (nonce === ABSENT) return null;
    return { nonce: big(nonce), balance: this.bigint(), codeHash: this.hex() };
  }
  done(): boolean {
    return this.i === this.t.length;
  }
}

function pushAccount(out: string[], account: AccountData | null): void {
  if (account === null) out.push(ABSENT);
  else out.push(hexOf(account.nonce), hexOf(account.balance), account.codeHash);
}

function pushWrites(out: string[], w: WriteSet): void {
  out.push(String(w.accounts.length));
  for (const [address, account] of w.accounts) {
    out.push(address);
    pushAccount(out, account);
  }
  out.push(String(w.slots.length));
  for (const [address, slot, value] of w.slots) out.push(address, slot, hexOf(value));
  out.push(String(w.cleared.length));
  for (const address of w.cleared) out.push(address);
}

function readWrites(t: Tokens): WriteSet {
  const w: WriteSet = { accounts: [], slots: [], cleared: [], code: [] };
  for (let n = t.int(); n > 0; n--) w.accounts.push([t.hex(), t.account()]);
  for (let n = t.int(); n > 0; n--) w.slots.push([t.hex(), t.hex(), t.bigint()]);
  for (let n = t.int(); n > 0; n--) w.cleared.push(t.hex());
  return w;
}

/** A write set without code (code goes by structured clone): see `encodeForwarded`. */
export function encodeWrites(w: WriteSet): string {
  const out: string[] = [];
  pushWrites(out, w);
  return out.join(SEP);
}

export function decodeWrites(text: string): WriteSet {
  const t = new Tokens(text);
  const w = readWrites(t);
  if (!t.done()) throw new Error("trailing data in a parallel-executor write set");
  return w;
}

/** Whether `encodeResult` can carry this result (no calls to replay, no code, no rejection). */
export function encodable(r: SpecResult): boolean {
  return (
    r.outcome !== undefined &&
    r.ops === undefined &&
    r.missing === undefined &&
    r.error === undefined &&
    r.rejected === undefined &&
    r.writes.code.length === 0
  );
}

export function encodeResult(r: SpecResult): string {
  const out: string[] = [String(r.index)];
  const reads = r.reads;
  out.push(String(reads.accounts.length));
  for (const [address, account] of reads.accounts) {
    out.push(address);
    pushAccount(out, account);
  }
  out.push(String(reads.slots.length));
  for (const [address, slot, value] of reads.slots) out.push(address, slot, hexOf(value));
  out.push(String(reads.hasStorage.length));
  for (const [address, flag] of reads.hasStorage) out.push(address, flag ? "1" : "0");
  pushWrites(out, r.writes);
  const o = r.outcome!;
  out.push(
    String(o.status),
    hexOf(o.gasUsed),
    hexOf(o.effectiveGasPrice),
    hexOf(o.priorityFee),
    hexOf(o.burned),
    o.contractAddress ?? "",
    o.fastPath ? "1" : "0",
    String(o.logs.length),
  );
  for (const log of o.logs) {
    out.push(log.address, String(log.topics.length));
    for (const topic of log.topics) out.push(topic);
    out.push(bytesToHex(log.data));
  }
  return out.join(SEP);
}

export function decodeResult(text: string): SpecResult {
  const t = new Tokens(text);
  const index = t.int();
  const reads: ReadSet = { accounts: [], slots: [], hasStorage: [] };
  for (let n = t.int(); n > 0; n--) reads.accounts.push([t.hex(), t.account()]);
  for (let n = t.int(); n > 0; n--) reads.slots.push([t.hex(), t.hex(), t.bigint()]);
  for (let n = t.int(); n > 0; n--) reads.hasStorage.push([t.hex(), t.next() === "1"]);
  const writes = readWrites(t);
  const status = t.int() === 1 ? 1 : 0;
  const gasUsed = t.bigint();
  const effectiveGasPrice = t.bigint();
  const priorityFee = t.bigint();
  const burned = t.bigint();
  const contract = t.next();
  const fastPath = t.next() === "1";
  const logs: Log[] = [];
  for (let n = t.int(); n > 0; n--) {
    const address = t.hex();
    const topics: Hex[] = [];
    for (let k = t.int(); k > 0; k--) topics.push(t.hex());
    logs.push({ address, topics, data: hexToBytes(t.next()) });
  }
  if (!t.done()) throw new Error("trailing data in a parallel-executor result");
  const outcome: TxOutcome = {
    status,
    gasUsed,
    effectiveGasPrice,
    priorityFee,
    burned,
    logs,
    contractAddress: contract === "" ? undefined : (contract as Hex),
    fastPath,
  };
  return {
    index,
    reads,
    missing: undefined,
    ops: undefined,
    writes,
    outcome,
    rejected: undefined,
    error: undefined,
  };
}
