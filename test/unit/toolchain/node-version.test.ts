import { describe, expect, it } from "vitest";

describe("toolchain", () => {
  it("runs under Node 22 from the node devDependency, not the machine's Node 20", () => {
    const [major, minor] = process.versions.node.split(".").map(Number);
    expect(major).toBe(22);
    expect(minor).toBeGreaterThanOrEqual(18);
  });
});
