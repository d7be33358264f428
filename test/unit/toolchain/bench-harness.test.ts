import { describe, expect, it } from "vitest";
import { machineCpuShare, machineCpuTimes } from "../../../bench/harness.ts";

describe("bench harness: the machine's CPU share over a window", () => {
  it("splits the window's CPU time into busy and stolen percent", () => {
    const a = { busy: 1_000, steal: 100, total: 10_000 };
    const b = { busy: 1_600, steal: 300, total: 11_000 };
    expect(machineCpuShare(a, b)).toEqual({ busy_pct: 60, steal_pct: 20 });
  });

  it("answers null without two increasing samples", () => {
    const a = { busy: 1, steal: 0, total: 10 };
    expect(machineCpuShare(null, a)).toBeNull();
    expect(machineCpuShare(a, null)).toBeNull();
    expect(machineCpuShare(a, a)).toBeNull();
  });

  it("reads this machine's counters, which only grow", () => {
    const first = machineCpuTimes();
    if (process.platform !== "linux") {
      expect(first).toBeNull();
      return;
    }
    expect(first).not.toBeNull();
    let x = 0;
    for (let i = 0; i < 2e7; i++) x += i;
    const second = machineCpuTimes();
    expect(x).toBeGreaterThan(0);
    expect((second?.total ?? 0) >= (first?.total ?? 0)).toBe(true);
    expect((second?.busy ?? 0) >= (first?.busy ?? 0)).toBe(true);
  });
});
