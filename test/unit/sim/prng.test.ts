import { describe, expect, it } from "vitest";
import { EventQueue } from "../../../sim/event-queue.ts";
import { sampleLatency } from "../../../sim/latency.ts";
import { Prng } from "../../../sim/prng.ts";

describe("Prng", () => {
  it("gives the same sequence for the same seed and stream", () => {
    const a = new Prng(42, "net");
    const b = new Prng(42, "net");
    const xs = Array.from({ length: 100 }, () => a.nextU32());
    expect(Array.from({ length: 100 }, () => b.nextU32())).toEqual(xs);
  });

  it("gives different sequences for different seeds or streams", () => {
    const base = Array.from(
      { length: 8 },
      (
        (r) => () =>
          r.nextU32()
      )(new Prng(1)),
    );
    const otherSeed = Array.from(
      { length: 8 },
      (
        (r) => () =>
          r.nextU32()
      )(new Prng(2)),
    );
    const otherStream = Array.from(
      { length: 8 },
      (
        (r) => () =>
          r.nextU32()
      )(new Prng(1, "x")),
    );
    expect(otherSeed).not.toEqual(base);
    expect(otherStream).not.toEqual(base);
  });

  it("is roughly uniform", () => {
    const r = new Prng(7);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[r.int(10)]++;
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(500);
  });
});

describe("EventQueue", () => {
  it("pops by time, and equal times in insertion order", () => {
    const q = new EventQueue<string>();
    const r = new Prng(3);
    const pushed: { at: number; name: string }[] = [];
    for (let i = 0; i < 500; i++) {
      const at = r.int(20);
      pushed.push({ at, name: `e${i}` });
      q.push(at, `e${i}`);
    }
    const expected = [...pushed].sort((x, y) => x.at - y.at).map((e) => e.name); // stable sort
    const popped: string[] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) popped.push(e.event);
    expect(popped).toEqual(expected);
  });
});

describe("latency distributions", () => {
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const draw = (model: Parameters<typeof sampleLatency>[0]): number[] => {
    const r = new Prng(11);
    return Array.from({ length: 20_000 }, () => sampleLatency(model, r));
  };

  it("fixed is fixed", () => {
    expect(new Set(draw({ dist: "fixed", ms: 12 }))).toEqual(new Set([12]));
  });

  it("uniform stays in its bounds and centres", () => {
    const xs = draw({ dist: "uniform", minMs: 10, maxMs: 30 });
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...xs)).toBeLessThan(30);
    expect(Math.abs(mean(xs) - 20)).toBeLessThan(0.5);
  });

  it("normal has its mean and spread, and never goes below minMs", () => {
    const xs = draw({ dist: "normal", meanMs: 50, stdMs: 10, minMs: 0 });
    expect(Math.abs(mean(xs) - 50)).toBeLessThan(0.5);
    const sd = Math.sqrt(mean(xs.map((x) => (x - 50) ** 2)));
    expect(Math.abs(sd - 10)).toBeLessThan(0.5);
    expect(Math.min(...draw({ dist: "normal", meanMs: 5, stdMs: 10, minMs: 1 }))).toBeGreaterThanOrEqual(1);
  });

  it("pareto has a heavy tail above its scale, capped", () => {
    const xs = draw({ dist: "pareto", scaleMs: 10, shape: 1.5, capMs: 2000 });
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...xs)).toBeLessThanOrEqual(2000);
    const sorted = [...xs].sort((a, b) => a - b);
    const median = sorted[xs.length / 2];
    expect(median).toBeCloseTo(10 * 2 ** (1 / 1.5), 0);
    expect(sorted[Math.floor(xs.length * 0.99)]).toBeGreaterThan(10 * median);
  });
});
