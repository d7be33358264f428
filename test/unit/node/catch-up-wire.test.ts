import { describe, expect, it } from "vitest";
import {
  decodeCatchUpItems,
  encodeCatchUpItems,
  packItems,
  unpackItems,
} from "../../../src/node/catch-up-wire.ts";
import { Forge } from "../consensus/forge.ts";

describe("catch-up answers", () => {
  const f = new Forge([1, 1, 1, 1]);
  const b1 = f.block(1, 1, f.genesisQc());
  const b2 = f.block(2, 2, f.qc(b1, [0, 1, 2]));
  const qc = f.qc(b2, [1, 2, 3]);

  it("round-trip blocks and the QC that certifies the last one, also packed for disk", () => {
    const items = encodeCatchUpItems({ blocks: [b1, b2], qc });
    expect(items).toHaveLength(3);
    const back = decodeCatchUpItems(unpackItems(packItems(items)));
    expect(back.blocks.map((b) => f.root(b))).toEqual([f.root(b1), f.root(b2)]);
    expect(back.qc?.round).toBe(2);
    expect(decodeCatchUpItems(encodeCatchUpItems({ blocks: [b1], qc: null })).qc).toBeNull();
  });

  it("reject an unknown tag, an item after the QC, bad SSZ and truncated packing", () => {
    const [blockItem, , qcItem] = encodeCatchUpItems({ blocks: [b1, b2], qc });
    expect(() => decodeCatchUpItems([Uint8Array.of(9, 1, 2)])).toThrow(/unknown tag 9/);
    expect(() => decodeCatchUpItems([qcItem, blockItem])).toThrow(/follows the QC/);
    expect(() => decodeCatchUpItems([blockItem.subarray(0, 20)])).toThrow();
    const packed = packItems([blockItem]);
    expect(() => unpackItems(packed.subarray(0, packed.length - 1))).toThrow(/truncated item/);
    expect(() => unpackItems(Uint8Array.of(0, 0))).toThrow(/truncated item length/);
  });
});
