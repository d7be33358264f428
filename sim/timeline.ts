import type { LinkParams } from "./network.ts";
import { Prng } from "./prng.ts";
import type { Scenario } from "./scenario.ts";

/** One primitive fault the simulation applies at a virtual time. */
export type FaultAction =
  | { a: "partition"; groups: number[][] }
  | { a: "block"; from: number[]; to: number[] }
  | { a: "heal" }
  | { a: "crash"; nodes: number[]; amnesia: boolean }
  | { a: "restart"; nodes: number[] }
  | { a: "pause"; nodes: number[]; forMs: number }
  | { a: "network"; set: Partial<LinkParams> }
  | { a: "link"; from: number[]; to: number[]; set: Partial<LinkParams> }
  | { a: "isolate-leader" }
  | { a: "gst" };

export interface TimedAction {
  at: number;
  action: FaultAction;
}

export interface ExpandedTimeline {
  actions: TimedAction[];
  /** When the last fault is over: the default start of the liveness window. */
  faultsEndMs: number;
}

/**
 * Turns the scenario's timeline (which has compound events such as flapping links and crash
 * storms) into primitive actions, sorted by time (stable, so same-time actions keep file order).
 * Random choices (which node a storm crashes) come from the seed's "faults" stream.
 */
export function expandTimeline(s: Scenario, seed: number, validators: number): ExpandedTimeline {
  const rng = new Prng(seed, "faults");
  const out: TimedAction[] = [];
  let end = 0;
  let gst: number | undefined;
  const push = (at: number, action: FaultAction): void => {
    const t = Math.min(at, s.durationMs);
    out.push({ at: t, action });
    end = Math.max(end, t);
  };
  for (const e of s.timeline) {
    switch (e.event) {
      case "partition":
        push(e.at, { a: "partition", groups: e.groups });
        break;
      case "block":
        push(e.at, { a: "block", from: e.from, to: e.to });
        break;
      case "heal":
        push(e.at, { a: "heal" });
        break;
      case "crash":
        push(e.at, { a: "crash", nodes: e.nodes, amnesia: e.amnesia });
        break;
      case "restart":
        push(e.at, { a: "restart", nodes: e.nodes });
        break;
      case "pause":
        push(e.at, { a: "pause", nodes: e.nodes, forMs: e.forMs });
        end = Math.max(end, e.at + e.forMs);
        break;
      case "network":
        push(e.at, { a: "network", set: e.set });
        break;
      case "link":
        push(e.at, { a: "link", from: e.from, to: e.to, set: e.set });
        break;
      case "isolate-leader":
        push(e.at, { a: "isolate-leader" });
        push(e.at + e.forMs, { a: "heal" });
        break;
      case "flap": {
        const others = Array.from({ length: validators }, (_, i) => i).filter((i) => !e.nodes.includes(i));
        for (let t = e.at; t < e.untilMs; t += e.periodMs) {
          push(t, { a: "partition", groups: [e.nodes, others] });
          push(Math.min(t + e.periodMs / 2, e.untilMs), { a: "heal" });
        }
        push(e.untilMs, { a: "heal" });
        break;
      }
      case "crash-storm": {
        const downUntil = new Map<number, number>();
        for (let t = e.at; t < e.untilMs; t += e.everyMs) {
          for (const [v, until] of downUntil) if (until <= t) downUntil.delete(v);
          if (downUntil.size >= e.maxDown) continue;
          const candidates = e.nodes.filter((v) => !downUntil.has(v));
          const v = candidates[rng.int(candidates.length)];
          downUntil.set(v, t + e.downMs);
          push(t, { a: "crash", nodes: [v], amnesia: e.amnesia });
          push(t + e.downMs, { a: "restart", nodes: [v] });
        }
        break;
      }
      case "gst":
        push(e.at, { a: "gst" });
        gst = e.at;
        break;
    }
  }
  const actions = out.map((x, i) => ({ x, i })).sort((p, q) => p.x.at - q.x.at || p.i - q.i);
  return { actions: actions.map((p) => p.x), faultsEndMs: gst ?? end };
}
