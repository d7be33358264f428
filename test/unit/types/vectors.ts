/**
 * The fixed example values behind golden.json and docs/wire-format.md. Regenerate golden.json
 * ONLY on a deliberate wire-format change: `node test/unit/types/gen-golden.ts`.
 */
import { BitArray } from "@chainsafe/ssz";
import type {
  Block,
  BlockHeader,
  Checkpoint,
  MiniBlockPayload,
  QuorumCertificate,
  Timeout,
  TimeoutCertificate,
  Vote,
} from "../../../src/types/index.ts";

export const CHAIN_ID = 4242;

function filled(byte: number, n = 32): Uint8Array {
  return new Uint8Array(n).fill(byte);
}

export const vote: Vote = { epoch: 3, round: 17, blockRoot: filled(0x11) };
export const timeout: Timeout = { epoch: 3, round: 18, highQcRound: 16 };
export const header: BlockHeader = {
  epoch: 3,
  round: 17,
  proposerIndex: 2,
  parentRoot: filled(0x22),
  parentRound: 16,
  payloadRoot: filled(0x33),
  stateBlockNumber: 5,
  stateRoot: filled(0x44),
  justifyRoot: filled(0x55),
};
export const checkpoint: Checkpoint = {
  epoch: 3,
  round: 17,
  blockRoot: filled(0x11),
  evmBlockNumber: 5,
  stateRoot: filled(0x44),
};

function bits(len: number, set: number[]): BitArray {
  const b = BitArray.fromBitLen(len);
  for (const i of set) b.set(i, true);
  return b;
}

export const qc: QuorumCertificate = {
  epoch: 3,
  round: 16,
  blockRoot: filled(0x22),
  signers: bits(4, [0, 1, 3]),
  signature: filled(0xaa, 96),
};
export const tc: TimeoutCertificate = {
  epoch: 3,
  round: 17,
  highQcRounds: [16, 15, 16],
  signers: bits(4, [0, 2, 3]),
  signature: filled(0xbb, 96),
};
export const payload: MiniBlockPayload = {
  timestampUs: 1_700_000_000_000_000,
  l1OriginNumber: 123,
  l1OriginHash: filled(0x66),
  deposits: [
    {
      sourceHash: filled(0x77),
      from: filled(0x01, 20),
      to: filled(0x02, 20),
      mint: 10n ** 18n,
      value: 5n,
      gasLimit: 21000,
      data: Uint8Array.of(0xde, 0xad),
    },
  ],
  txs: [Uint8Array.of(0x02, 0xf8, 0x01), Uint8Array.of(0x02, 0xf8, 0x02, 0x03)],
};
export const block: Block = {
  header,
  signature: filled(0xcc, 96),
  payload,
  justify: { qc, tc: [tc] },
};
/** Secret key used to sign the examples (EIP-2333 from this seed). Test-only. */
export const EXAMPLE_SEED = filled(0x42, 32);
