import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ARTIFACTS_DIR, DEPLOYABLE, staleArtifactFiles } from "../../../src/l1/contracts-build.ts";

// The artifacts are committed so tests and the CLI never compile; this keeps them honest.
describe("contract artifacts", () => {
  it("match the Solidity sources (else run `npm run build:contracts`)", () => {
    expect(staleArtifactFiles()).toEqual([]);
  });

  it("hold an ABI and bytecode per deployable contract", () => {
    for (const name of DEPLOYABLE) {
      const file = join(ARTIFACTS_DIR, `${name}.json`);
      expect(existsSync(file)).toBe(true);
      const artifact = JSON.parse(readFileSync(file, "utf8")) as { abi: unknown[]; bytecode: string };
      expect(artifact.abi.length).toBeGreaterThan(0);
      expect(artifact.bytecode).toMatch(/^0x[0-9a-f]+$/);
    }
  });
});
