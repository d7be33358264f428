import { closeSync, mkdtempSync, openSync, readdirSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { initialSafetyData } from "../../../src/consensus/index.ts";
import { decodeLastVote, SafetyFile, SafetyFileError } from "../../../src/node/safety-file.ts";
import { SignedVote, Vote } from "../../../src/types/index.ts";

const vote = { epoch: 0, round: 7, blockRoot: new Uint8Array(32).fill(9) };

describe("SafetyFile", () => {
  it("returns undefined before the first save", () => {
    const dir = mkdtempSync(join(tmpdir(), "safety-"));
    expect(new SafetyFile({ path: join(dir, "safety.json") }).load()).toBeUndefined();
  });

  it("round-trips safety data including the last vote, leaving no temp file behind", () => {
    const dir = mkdtempSync(join(tmpdir(), "safety-"));
    const file = new SafetyFile({ path: join(dir, "safety.json") });
    const data = { ...initialSafetyData(0), lastVotedRound: 7, oneChainRound: 5, lastVote: vote };
    file.save(data);
    const loaded = file.load();
    expect(loaded?.lastVotedRound).toBe(7);
    expect(loaded?.oneChainRound).toBe(5);
    expect(loaded?.lastVote?.round).toBe(7);
    expect(Buffer.from(loaded?.lastVote?.blockRoot ?? []).equals(Buffer.from(vote.blockRoot))).toBe(true);
    expect(loaded?.lastTimeout).toBeNull();
    expect(readdirSync(dir)).toEqual(["safety.json"]);
  });

  it("reads the last vote of records written with it signed, and of unsigned ones", () => {
    const legacy = Buffer.from(
      SignedVote.serialize({ vote, signerIndex: 2, signature: new Uint8Array(96).fill(3) }),
    );
    const plain = (v: ReturnType<typeof decodeLastVote>) =>
      v === null ? null : { ...v, blockRoot: Buffer.from(v.blockRoot).toString("hex") };
    expect(plain(decodeLastVote(legacy))).toEqual(plain(vote));
    expect(plain(decodeLastVote(Buffer.from(Vote.serialize(vote))))).toEqual(plain(vote));
  });

  it("a later save replaces the earlier one", () => {
    const dir = mkdtempSync(join(tmpdir(), "safety-"));
    const file = new SafetyFile({ path: join(dir, "safety.json") });
    file.save({ ...initialSafetyData(0), lastVotedRound: 3 });
    file.save({ ...initialSafetyData(0), lastVotedRound: 4 });
    expect(file.load()?.lastVotedRound).toBe(4);
  });

  it("keeps the previous record when the newest slot is torn", () => {
    const dir = mkdtempSync(join(tmpdir(), "safety-"));
    const path = join(dir, "safety.json");
    const file = new SafetyFile({ path });
    file.save({ ...initialSafetyData(0), lastVotedRound: 3 });
    file.save({ ...initialSafetyData(0), lastVotedRound: 4 });
    file.close();
    // Record 2 lives in slot 0; flip a payload byte there, as a crash mid-write would.
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.from([0x7b]), 0, 1, 60);
    closeSync(fd);
    const reopened = new SafetyFile({ path });
    expect(reopened.load()?.lastVotedRound).toBe(3);
    // And the next save goes on from there, into the torn slot.
    reopened.save({ ...initialSafetyData(0), lastVotedRound: 5 });
    reopened.close();
    expect(new SafetyFile({ path }).load()?.lastVotedRound).toBe(5);
  });

  it("refuses a corrupt file instead of starting without safety data", () => {
    const dir = mkdtempSync(join(tmpdir(), "safety-"));
    const path = join(dir, "safety.json");
    writeFileSync(path, '{"epoch":0,"lastVotedRound":');
    expect(() => new SafetyFile({ path }).load()).toThrow(SafetyFileError);
  });
});
