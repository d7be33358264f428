import type { BlockSummary, CoreSnapshot, ValidatorInfo } from "../consensus/index.ts";
import { Block, QuorumCertificate } from "../types/index.ts";

/**
 * The consensus core's restart snapshot (block tree, committed tip, high QC) as bytes for the
 * node's database. JSON with SSZ-hex for the wire containers: it is written once per commit
 * batch, not per message, so readability wins over a few bytes.
 */
interface SummaryJson extends Omit<BlockSummary, "root"> {
  root: string;
}

interface SnapshotJson {
  epoch: number;
  validators: { index: number; address: string; pubkey: string; votingPower: string }[];
  genesisRoot: string;
  committed: SummaryJson;
  recentCommitted: SummaryJson[];
  blocks: string[];
  highQc: string;
}

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, "hex"));

const summaryToJson = (s: BlockSummary): SummaryJson => ({ ...s, root: toHex(s.root) });
const summaryFromJson = (s: SummaryJson): BlockSummary => ({ ...s, root: fromHex(s.root) });

export function encodeCoreSnapshot(snapshot: CoreSnapshot): Uint8Array {
  const json: SnapshotJson = {
    epoch: snapshot.epoch,
    validators: snapshot.validators.map((v) => ({
      index: v.index,
      address: v.address,
      pubkey: toHex(v.pubkey),
      votingPower: v.votingPower.toString(),
    })),
    genesisRoot: toHex(snapshot.genesisRoot),
    committed: summaryToJson(snapshot.committed),
    recentCommitted: snapshot.recentCommitted.map(summaryToJson),
    blocks: snapshot.blocks.map((b) => toHex(Block.serialize(b))),
    highQc: toHex(QuorumCertificate.serialize(snapshot.highQc)),
  };
  return new TextEncoder().encode(JSON.stringify(json));
}

export function decodeCoreSnapshot(bytes: Uint8Array): CoreSnapshot {
  const json = JSON.parse(new TextDecoder().decode(bytes)) as SnapshotJson;
  const validators: ValidatorInfo[] = json.validators.map((v) => ({
    index: v.index,
    address: v.address,
    pubkey: fromHex(v.pubkey),
    votingPower: BigInt(v.votingPower),
  }));
  return {
    epoch: json.epoch,
    validators,
    genesisRoot: fromHex(json.genesisRoot),
    committed: summaryFromJson(json.committed),
    recentCommitted: json.recentCommitted.map(summaryFromJson),
    blocks: json.blocks.map((b) => Block.deserialize(fromHex(b))),
    highQc: QuorumCertificate.deserialize(fromHex(json.highQc)),
  };
}
