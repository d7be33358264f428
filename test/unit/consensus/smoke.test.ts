import { describe, expect, it } from "vitest";
import { Net } from "./harness.ts";

describe("consensus smoke", () => {
  it("4 equal nodes commit and agree", () => {
    const net = new Net({ powers: [1, 1, 1, 1], seed: 1 });
    net.start();
    net.run(2000);
    console.log(
      net.commits.map((c) => c.length),
      net.cores[0].status().round,
      net.cores[0].dropCounts(),
    );
    expect(net.agreement().ok).toBe(true);
    expect(net.minHonestHeight()).toBeGreaterThan(10);
  });
});
