import type { Prng } from "./prng.ts";

/** One-way message delay of a link, in virtual milliseconds. */
export type LatencyModel =
  | { dist: "fixed"; ms: number }
  | { dist: "uniform"; minMs: number; maxMs: number }
  | { dist: "normal"; meanMs: number; stdMs: number; minMs?: number }
  | { dist: "pareto"; scaleMs: number; shape: number; capMs?: number };

/** Draws one delay; never negative, and a pareto tail is capped so a run always ends. */
export function sampleLatency(model: LatencyModel, rng: Prng): number {
  switch (model.dist) {
    case "fixed":
      return model.ms;
    case "uniform":
      return model.minMs + rng.next() * (model.maxMs - model.minMs);
    case "normal":
      return Math.max(model.minMs ?? 0, model.meanMs + rng.normal() * model.stdMs);
    case "pareto": {
      const u = 1 - rng.next();
      const value = model.scaleMs / u ** (1 / model.shape);
      return Math.min(value, model.capMs ?? model.scaleMs * 1000);
    }
  }
}
