/** Builders for hand-made blocks, votes, QCs and TCs signed with the insecure test committee. */

import { BitArray } from "@chainsafe/ssz";
import {
  ConsensusCore,
  type ConsensusInput,
  type ConsensusOpts,
  type Effect,
  InsecureTestScheme,
  insecureTestCommittee,
  type SafetyRules,
} from "../../../src/consensus/index.ts";
import {
  type Block,
  BlockHeader,
  Justification,
  type MiniBlockPayload,
  MiniBlockPayload as MiniBlockPayloadType,
  type QuorumCertificate,
  type SignedVote,
  signingRootOfHeader,
  signingRootOfTimeout,
  signingRootOfVote,
  type TimeoutCertificate,
  type TimeoutMessage,
} from "../../../src/types/index.ts";

export const CHAIN = 4242;
export const scheme = new InsecureTestScheme();

export class Forge {
  readonly committee: ReturnType<typeof insecureTestCommittee>;
  readonly epoch: number;
  readonly genesisRoot = new Uint8Array(32);

  constructor(powers: (number | bigint)[], epoch = 0) {
    this.committee = insecureTestCommittee(powers);
    this.epoch = epoch;
  }

  get n(): number {
    return this.committee.validators.length;
  }

  opts(self: number | null, extra: Partial<ConsensusOpts> = {}): ConsensusOpts {
    return {
      chainId: CHAIN,
      epoch: this.epoch,
      validators: this.committee.validators,
      selfIndex: self,
      timing: { baseTimeoutMs: 100, backoffFactor: 2, maxTimeoutMs: 1000 },
      leaderTermRounds: 1,
      reputationWindow: 0,
      epochLengthRounds: 0,
      ...extra,
    };
  }

  core(self: number, extra: Partial<ConsensusOpts> = {}, rules?: SafetyRules): ConsensusCore {
    return new ConsensusCore(this.opts(self, extra), {
      scheme,
      signer: this.committee.signers[self],
      ...(rules === undefined ? {} : { safetyRules: rules }),
    });
  }

  genesisQc(): QuorumCertificate {
    return {
      epoch: this.epoch,
      round: 0,
      blockRoot: this.genesisRoot,
      signers: BitArray.fromBitLen(this.n),
      signature: new Uint8Array(96),
    };
  }

  payload(tag: number): MiniBlockPayload {
    return {
      timestampUs: tag,
      l1OriginNumber: 0,
      l1OriginHash: new Uint8Array(32),
      deposits: [],
      txs: [Uint8Array.of(tag)],
    };
  }

  block(
    round: number,
    proposer: number,
    qc: QuorumCertificate,
    tc: TimeoutCertificate | null = null,
    tag = round,
  ): Block {
    const payload = this.payload(tag);
    const justify = { qc, tc: tc === null ? [] : [tc] };
    const header: BlockHeader = {
      epoch: this.epoch,
      round,
      proposerIndex: proposer,
      parentRoot: qc.blockRoot,
      parentRound: qc.round,
      payloadRoot: MiniBlockPayloadType.hashTreeRoot(payload),
      stateBlockNumber: 0,
      stateRoot: new Uint8Array(32),
      justifyRoot: Justification.hashTreeRoot(justify),
    };
    const signature = this.committee.signers[proposer].sign(signingRootOfHeader(CHAIN, header));
    return { header, signature, payload, justify };
  }

  root(block: Block): Uint8Array {
    return BlockHeader.hashTreeRoot(block.header);
  }

  vote(signer: number, round: number, blockRoot: Uint8Array): SignedVote {
    const vote = { epoch: this.epoch, round, blockRoot };
    return {
      vote,
      signerIndex: signer,
      signature: this.committee.signers[signer].sign(signingRootOfVote(CHAIN, vote)),
    };
  }

  qc(block: Block, signers: number[]): QuorumCertificate {
    const blockRoot = this.root(block);
    const sigs = signers.map((i) => this.vote(i, block.header.round, blockRoot).signature);
    const bits = BitArray.fromBitLen(this.n);
    for (const i of signers) bits.set(i, true);
    return {
      epoch: this.epoch,
      round: block.header.round,
      blockRoot,
      signers: bits,
      signature: scheme.aggregate(sigs),
    };
  }

  timeout(
    signer: number,
    round: number,
    highQc: QuorumCertificate,
    lastTc: TimeoutCertificate | null = null,
  ): TimeoutMessage {
    const timeout = { epoch: this.epoch, round, highQcRound: highQc.round };
    return {
      timeout,
      signerIndex: signer,
      signature: this.committee.signers[signer].sign(signingRootOfTimeout(CHAIN, timeout)),
      highQc,
      lastTc: lastTc === null ? [] : [lastTc],
    };
  }

  tc(round: number, entries: [signer: number, highQcRound: number][]): TimeoutCertificate {
    const sorted = [...entries].sort((a, b) => a[0] - b[0]);
    const bits = BitArray.fromBitLen(this.n);
    for (const [i] of sorted) bits.set(i, true);
    const sigs = sorted.map(([i, h]) =>
      this.committee.signers[i].sign(
        signingRootOfTimeout(CHAIN, { epoch: this.epoch, round, highQcRound: h }),
      ),
    );
    return {
      epoch: this.epoch,
      round,
      highQcRounds: sorted.map(([, h]) => h),
      signers: bits,
      signature: scheme.aggregate(sigs),
    };
  }
}

export function msg(
  from: number,
  message: Extract<ConsensusInput, { type: "message" }>["message"],
  nowMs = 0,
): ConsensusInput {
  return { type: "message", nowMs, from, message };
}

export function ofType<T extends Effect["type"]>(effects: Effect[], type: T): Extract<Effect, { type: T }>[] {
  return effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);
}

/** Acks every persistSafety in `effects` and returns all effects (including the released ones). */
export function ackAll(core: ConsensusCore, effects: Effect[]): Effect[] {
  const out = [...effects];
  for (const p of ofType(effects, "persistSafety")) {
    out.push(...ackAll(core, core.handle({ type: "safetyPersisted", nowMs: 0, seq: p.seq })));
  }
  return out;
}

/** Validator `self`'s core, started, after taking (and voting for) B1: round 1, validator 1's. */
export function coreAfterB1(f: Forge, self = 0): { core: ConsensusCore; b1: Block } {
  const core = f.core(self);
  core.handle({ type: "start", nowMs: 0 });
  const b1 = f.block(1, 1, f.genesisQc());
  ackAll(core, core.handle(msg(1, { kind: "proposal", block: b1 })));
  return { core, b1 };
}
