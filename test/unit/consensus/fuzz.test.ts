import { BitArray } from "@chainsafe/ssz";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ConsensusMessage } from "../../../src/consensus/index.ts";
import { Forge, msg } from "./forge.ts";

/** Remote input of any shape the decoder lets through must never throw or move a safety field. */
describe("fuzz: malformed remote messages", () => {
  it("never throw, never leak a signed message before its persist, never move the epoch", () => {
    const f = new Forge([1, 2, 1, 1]);
    const g = f.genesisQc();
    const b1 = f.block(1, 1, g);
    const qc1 = f.qc(b1, [0, 1, 2]);
    const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
    const round = fc.oneof(
      fc.integer({ min: 0, max: 5 }),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    );
    const index = fc.integer({ min: 0, max: 6 });
    const arbMessage: fc.Arbitrary<ConsensusMessage> = fc.oneof(
      fc
        .record({ r: round, s: index, root: bytes(32), sig: bytes(96), e: fc.integer({ min: 0, max: 2 }) })
        .map(({ r, s, root, sig, e }) => ({
          kind: "vote" as const,
          vote: { vote: { epoch: e, round: r, blockRoot: root }, signerIndex: s, signature: sig },
        })),
      fc.record({ r: round, s: index, h: round, sig: bytes(96) }).map(({ r, s, h, sig }) => ({
        kind: "timeout" as const,
        timeout: {
          ...f.timeout(s % 4, Math.max(1, r), g),
          timeout: { epoch: 0, round: r, highQcRound: h },
          signerIndex: s,
          signature: sig,
        },
      })),
      fc
        .record({
          r: round,
          p: index,
          sig: bytes(96),
          useTc: fc.boolean(),
          bits: fc.array(fc.boolean(), { minLength: 0, maxLength: 6 }),
        })
        .map(({ r, p, sig, useTc, bits }) => {
          // Any bitmap length the SSZ decoder accepts, including ones that do not fit the committee.
          const signers = BitArray.fromBoolArray(bits.length === 0 ? [false] : bits);
          const qc = bits.length === 4 ? qc1 : { ...qc1, signers };
          const block = f.block(
            Math.max(1, r % 8),
            p % 4,
            qc,
            useTc
              ? f.tc(Math.max(1, (r % 8) - 1), [
                  [0, 0],
                  [1, 0],
                  [2, 0],
                ])
              : null,
          );
          return {
            kind: "proposal" as const,
            block: {
              ...block,
              header: { ...block.header, proposerIndex: p },
              signature: r % 3 === 0 ? sig : block.signature,
            },
          };
        }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(index, arbMessage), { minLength: 1, maxLength: 20 }), (inputs) => {
        const core = f.core(3);
        core.handle({ type: "start", nowMs: 0 });
        const before = core.status();
        for (const [from, m] of inputs) {
          const effects = core.handle(msg(from, m));
          // Nothing signed by this node leaves without a persist first.
          expect(effects.filter((e) => e.type === "sendTo" || e.type === "broadcast")).toHaveLength(0);
        }
        const after = core.status();
        expect(after.epoch).toBe(before.epoch);
        expect(after.committedRound).toBeGreaterThanOrEqual(before.committedRound);
      }),
      { seed: 424242, numRuns: 150 },
    );
  });
});
