import { describe, expect, it } from "vitest";
import { type LinkParams, NetworkModel } from "../../../sim/network.ts";
import { Prng } from "../../../sim/prng.ts";

const calm: LinkParams = {
  latency: { dist: "fixed", ms: 10 },
  loss: 0,
  duplicate: 0,
  reorder: 0,
  reorderDelayMs: 0,
};

describe("NetworkModel", () => {
  it("delivers once after the link's latency", () => {
    const net = new NetworkModel({ validators: 3, defaults: calm });
    expect(net.plan(0, 1, new Prng(1))).toEqual([10]);
    expect(net.plan(1, 1, new Prng(1))).toEqual([0]);
  });

  it("loses about the configured fraction", () => {
    const net = new NetworkModel({ validators: 2, defaults: { ...calm, loss: 0.3 } });
    const r = new Prng(5);
    let lost = 0;
    for (let i = 0; i < 10_000; i++) if (net.plan(0, 1, r).length === 0) lost++;
    expect(Math.abs(lost / 10_000 - 0.3)).toBeLessThan(0.02);
  });

  it("duplicates about the configured fraction", () => {
    const net = new NetworkModel({ validators: 2, defaults: { ...calm, duplicate: 0.2 } });
    const r = new Prng(5);
    let twice = 0;
    for (let i = 0; i < 10_000; i++) if (net.plan(0, 1, r).length === 2) twice++;
    expect(Math.abs(twice / 10_000 - 0.2)).toBeLessThan(0.02);
  });

  it("reorders: held-back messages arrive after later ones", () => {
    const net = new NetworkModel({ validators: 2, defaults: { ...calm, reorder: 0.5, reorderDelayMs: 100 } });
    const r = new Prng(9);
    const arrivals = Array.from({ length: 200 }, (_, sentAt) => sentAt + net.plan(0, 1, r)[0]);
    let inversions = 0;
    for (let i = 1; i < arrivals.length; i++) if (arrivals[i] < arrivals[i - 1]) inversions++;
    expect(inversions).toBeGreaterThan(20);
  });

  it("partitions any grouping, symmetric, and heals", () => {
    const net = new NetworkModel({ validators: 5, defaults: calm });
    net.partition([
      [0, 1],
      [2, 3],
    ]);
    const r = new Prng(1);
    expect(net.plan(0, 1, r)).toEqual([10]);
    expect(net.plan(2, 3, r)).toEqual([10]);
    expect(net.plan(0, 2, r)).toEqual([]);
    expect(net.plan(3, 1, r)).toEqual([]);
    // 4 is in no group: alone.
    expect(net.plan(4, 0, r)).toEqual([]);
    expect(net.plan(2, 4, r)).toEqual([]);
    net.heal();
    expect(net.plan(0, 2, r)).toEqual([10]);
    expect(net.plan(4, 0, r)).toEqual([10]);
  });

  it("blocks one way only", () => {
    const net = new NetworkModel({ validators: 3, defaults: calm });
    net.blockOneWay([0], [1, 2]);
    const r = new Prng(1);
    expect(net.plan(0, 1, r)).toEqual([]);
    expect(net.plan(0, 2, r)).toEqual([]);
    expect(net.plan(1, 0, r)).toEqual([10]);
    expect(net.plan(2, 0, r)).toEqual([10]);
  });

  it("applies per-link overrides and default changes", () => {
    const net = new NetworkModel({
      validators: 3,
      defaults: calm,
      overrides: [{ from: [0], to: [2], params: { latency: { dist: "fixed", ms: 99 } } }],
    });
    const r = new Prng(1);
    expect(net.plan(0, 2, r)).toEqual([99]);
    expect(net.plan(2, 0, r)).toEqual([10]);
    net.setDefaults({ latency: { dist: "fixed", ms: 3 } });
    expect(net.plan(2, 0, r)).toEqual([3]);
    expect(net.plan(0, 2, r)).toEqual([99]);
  });
});
