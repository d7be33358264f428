/**
 * One epoch's validator set with the derived data every check needs: total power, quorum test,
 * leader rotation, and certificate verification (QC: one message, fastAggregateVerify; TC:
 * distinct messages, aggregateVerify). Verified certificates are cached by their exact bytes.
 */
import { BitArray } from "@chainsafe/ssz";
import {
  type QuorumCertificate,
  signingRootOfTimeout,
  signingRootOfVote,
  type TimeoutCertificate,
} from "../types/index.ts";
import { bytesEqual, toHex } from "./bytes.ts";
import { buildRotation } from "./leader-schedule.ts";
import type { SafetyRules, SignatureCheck, SignatureScheme, ValidatorInfo } from "./types.ts";

const CERT_CACHE_LIMIT = 1024;

export type CertCheck = "ok" | "bad_shape" | "no_quorum" | "bad_signature";

export class Committee {
  readonly epoch: number;
  readonly chainId: number;
  readonly validators: readonly ValidatorInfo[];
  readonly totalPower: bigint;
  readonly rotation: readonly number[];
  /** Root of this epoch's genesis block (round 0), certified by the empty genesis QC. */
  readonly genesisRoot: Uint8Array;
  private readonly scheme: SignatureScheme;
  private readonly rules: SafetyRules;
  private readonly verified = new Set<string>();

  constructor(
    opts: { epoch: number; chainId: number; validators: readonly ValidatorInfo[]; genesisRoot: Uint8Array },
    modules: { scheme: SignatureScheme; rules: SafetyRules },
  ) {
    this.epoch = opts.epoch;
    this.chainId = opts.chainId;
    this.validators = opts.validators;
    this.genesisRoot = opts.genesisRoot;
    this.totalPower = opts.validators.reduce((a, v) => a + v.votingPower, 0n);
    this.rotation = buildRotation(opts.validators);
    this.scheme = modules.scheme;
    this.rules = modules.rules;
  }

  get size(): number {
    return this.validators.length;
  }

  has(index: number): boolean {
    return Number.isInteger(index) && index >= 0 && index < this.validators.length;
  }

  pubkey(index: number): Uint8Array {
    return this.validators[index].pubkey;
  }

  isQuorum(power: bigint): boolean {
    return this.rules.isQuorum(power, this.totalPower);
  }

  /** More than 1/3 of power: at least one honest member is among them. */
  isOneThird(power: bigint): boolean {
    return power * 3n > this.totalPower;
  }

  powerOf(signers: Iterable<number>): bigint {
    let p = 0n;
    for (const i of signers) p += this.validators[i].votingPower;
    return p;
  }

  genesisQc(): QuorumCertificate {
    return {
      epoch: this.epoch,
      round: 0,
      blockRoot: this.genesisRoot,
      signers: BitArray.fromBitLen(this.validators.length),
      signature: new Uint8Array(96),
    };
  }

  bitmapOf(indices: readonly number[]): BitArray {
    const bits = BitArray.fromBitLen(this.validators.length);
    for (const i of indices) bits.set(i, true);
    return bits;
  }

  private signerIndices(bits: BitArray): number[] | null {
    if (bits.bitLen !== this.validators.length) return null;
    return bits.getTrueBitIndexes();
  }

  checkQc(qc: QuorumCertificate): CertCheck {
    const plan = this.qcSignatureSet(qc);
    if (plan.check !== "ok" || plan.set === null) return plan.check;
    const ok = this.scheme.fastAggregateVerify(plan.set.publicKeys, plan.set.messages[0], qc.signature);
    if (!ok) return "bad_signature";
    this.remember(this.qcKey(qc));
    return "ok";
  }

  /**
   * Shape and quorum of a QC, and the signature set still to check (null: the genesis QC, or one
   * already verified here). Lets a host verify the pairing elsewhere, batched with other sets.
   */
  qcSignatureSet(qc: QuorumCertificate): { check: CertCheck; set: SignatureCheck | null } {
    if (qc.epoch !== this.epoch) return { check: "bad_shape", set: null };
    if (qc.round === 0) {
      // The only round-0 QC is the genesis one: no signers, zero signature, the known root.
      const ok =
        bytesEqual(qc.blockRoot, this.genesisRoot) &&
        qc.signers.getTrueBitIndexes().length === 0 &&
        qc.signature.every((b) => b === 0);
      return { check: ok ? "ok" : "bad_shape", set: null };
    }
    const signers = this.signerIndices(qc.signers);
    if (signers === null || signers.length === 0) return { check: "bad_shape", set: null };
    if (!this.isQuorum(this.powerOf(signers))) return { check: "no_quorum", set: null };
    if (this.verified.has(this.qcKey(qc))) return { check: "ok", set: null };
    const message = signingRootOfVote(this.chainId, {
      epoch: qc.epoch,
      round: qc.round,
      blockRoot: qc.blockRoot,
    });
    return {
      check: "ok",
      set: {
        kind: "aggregate",
        publicKeys: signers.map((i) => this.pubkey(i)),
        messages: [message],
        signature: qc.signature,
      },
    };
  }

  checkTc(tc: TimeoutCertificate): CertCheck {
    const plan = this.tcSignatureSet(tc);
    if (plan.check !== "ok" || plan.set === null) return plan.check;
    const ok = this.scheme.aggregateVerify(plan.set.publicKeys, plan.set.messages, tc.signature);
    if (!ok) return "bad_signature";
    this.remember(this.tcKey(tc));
    return "ok";
  }

  /** Shape and quorum of a TC, and the signature set still to check (null: verified here before). */
  tcSignatureSet(tc: TimeoutCertificate): { check: CertCheck; set: SignatureCheck | null } {
    if (tc.epoch !== this.epoch || tc.round === 0) return { check: "bad_shape", set: null };
    const signers = this.signerIndices(tc.signers);
    if (signers === null || signers.length === 0 || signers.length !== tc.highQcRounds.length)
      return { check: "bad_shape", set: null };
    if (tc.highQcRounds.some((h) => h >= tc.round)) return { check: "bad_shape", set: null };
    if (!this.isQuorum(this.powerOf(signers))) return { check: "no_quorum", set: null };
    if (this.verified.has(this.tcKey(tc))) return { check: "ok", set: null };
    const messages = tc.highQcRounds.map((highQcRound) =>
      signingRootOfTimeout(this.chainId, { epoch: tc.epoch, round: tc.round, highQcRound }),
    );
    return {
      check: "ok",
      set: {
        kind: "multiMessage",
        publicKeys: signers.map((i) => this.pubkey(i)),
        messages,
        signature: tc.signature,
      },
    };
  }

  /**
   * Marks a TC as verified: one this node aggregated from verified timeouts, or one whose
   * signature set (tcSignatureSet) the host verified. Shape and quorum are still checked on use.
   */
  trustTc(tc: TimeoutCertificate): void {
    this.remember(this.tcKey(tc));
  }

  /**
   * Marks a QC as verified: one this node aggregated from verified votes, or one whose signature
   * set (qcSignatureSet) the host verified. Shape and quorum are still checked on use.
   */
  trustQc(qc: QuorumCertificate): void {
    this.remember(this.qcKey(qc));
  }

  private qcKey(qc: QuorumCertificate): string {
    return `q/${qc.round}/${toHex(qc.blockRoot)}/${toHex(qc.signers.uint8Array)}/${toHex(qc.signature)}`;
  }

  private tcKey(tc: TimeoutCertificate): string {
    return `t/${tc.round}/${tc.highQcRounds.join(",")}/${toHex(tc.signers.uint8Array)}/${toHex(tc.signature)}`;
  }

  private remember(key: string): void {
    if (this.verified.size >= CERT_CACHE_LIMIT) this.verified.clear();
    this.verified.add(key);
  }
}

export function maxHighQcRound(tc: TimeoutCertificate): number {
  let m = 0;
  for (const r of tc.highQcRounds) if (r > m) m = r;
  return m;
}
