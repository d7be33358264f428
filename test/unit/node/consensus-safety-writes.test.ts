import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { initialSafetyData } from "../../../src/consensus/index.ts";
import { SafetyFile, SafetyFileError } from "../../../src/node/safety-file.ts";

/** The consensus host's safety writes: asynchronous, one at a time, with the proposal reservation. */
describe("SafetyFile.saveAsync", () => {
  it("is durable when it resolves, keeps the reserved proposal round, and refuses a second concurrent save", async () => {
    const dir = mkdtempSync(join(tmpdir(), "safety-async-"));
    try {
      const path = join(dir, "safety.bin");
      const file = new SafetyFile({ path });
      const first = file.saveAsync({ ...initialSafetyData(0), lastVotedRound: 7, proposalReservedRound: 8 });
      await expect(file.saveAsync({ ...initialSafetyData(0), lastVotedRound: 9 })).rejects.toBeInstanceOf(
        SafetyFileError,
      );
      expect(() => file.save({ ...initialSafetyData(0), lastVotedRound: 9 })).toThrow(SafetyFileError);
      await first;
      await file.saveAsync({ ...initialSafetyData(0), lastVotedRound: 10, proposalReservedRound: 11 });
      file.close();
      const reread = new SafetyFile({ path });
      const loaded = reread.load();
      reread.close();
      expect(loaded?.lastVotedRound).toBe(10);
      expect(loaded?.proposalReservedRound).toBe(11);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads records written before the reservation existed as reserving nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "safety-async-"));
    try {
      const path = join(dir, "safety.bin");
      const file = new SafetyFile({ path });
      const old = { ...initialSafetyData(0), lastVotedRound: 4 } as Partial<
        ReturnType<typeof initialSafetyData>
      >;
      delete old.proposalReservedRound;
      file.save(old as ReturnType<typeof initialSafetyData>);
      file.close();
      const reread = new SafetyFile({ path });
      expect(reread.load()?.proposalReservedRound).toBe(0);
      reread.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
