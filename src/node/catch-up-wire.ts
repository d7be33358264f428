import {
  type Block,
  Block as BlockType,
  decodeSsz,
  encodeSsz,
  type QuorumCertificate,
  QuorumCertificate as QuorumCertificateType,
} from "../types/index.ts";
import { CodedError } from "../util/coded-error.ts";

/**
 * The items of a catch-up answer (blocks by range): each is one tag byte and an SSZ value, a
 * block or, last, the QC the answering node holds for that epoch, which is what lets the asker
 * commit the newest of those blocks (for an epoch that ended: the boundary block).
 */
const BLOCK_TAG = 1;
const QC_TAG = 2;

export class CatchUpWireError extends CodedError<"BAD_ITEM"> {}

export interface CatchUpAnswer {
  blocks: Block[];
  qc: QuorumCertificate | null;
}

export function encodeCatchUpItems(answer: CatchUpAnswer): Uint8Array[] {
  const items = answer.blocks.map((block) => tagged(BLOCK_TAG, encodeSsz(BlockType, block)));
  if (answer.qc !== null) items.push(tagged(QC_TAG, encodeSsz(QuorumCertificateType, answer.qc)));
  return items;
}

/** Throws a typed error on an unknown tag, a bad encoding, or a QC that is not the last item. */
export function decodeCatchUpItems(items: readonly Uint8Array[]): CatchUpAnswer {
  const blocks: Block[] = [];
  let qc: QuorumCertificate | null = null;
  items.forEach((item, i) => {
    if (qc !== null) throw new CatchUpWireError("BAD_ITEM", `item ${i} follows the QC`);
    const body = item.subarray(1);
    if (item[0] === BLOCK_TAG) blocks.push(decodeSsz(BlockType, body, "catch-up block"));
    else if (item[0] === QC_TAG) qc = decodeSsz(QuorumCertificateType, body, "catch-up qc");
    else throw new CatchUpWireError("BAD_ITEM", `item ${i} has unknown tag ${item[0]}`);
  });
  return { blocks, qc };
}

/** Items back to back, each behind a u32 length: how an ended epoch's tail is kept on disk. */
export function packItems(items: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(items.reduce((n, item) => n + 4 + item.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const item of items) {
    view.setUint32(at, item.length);
    out.set(item, at + 4);
    at += 4 + item.length;
  }
  return out;
}

export function unpackItems(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const items: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    if (at + 4 > bytes.length) throw new CatchUpWireError("BAD_ITEM", "truncated item length");
    const length = view.getUint32(at);
    if (at + 4 + length > bytes.length) throw new CatchUpWireError("BAD_ITEM", "truncated item");
    items.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return items;
}

function tagged(tag: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = tag;
  out.set(body, 1);
  return out;
}
