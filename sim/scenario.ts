import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { CodedError } from "../src/util/coded-error.ts";

export class ScenarioError extends CodedError<"SCENARIO_NOT_FOUND" | "SCENARIO_YAML" | "SCENARIO_INVALID"> {}

const ms = z.number().finite().nonnegative();
const probability = z.number().min(0).max(1);
const nodeList = z.array(z.number().int().nonnegative()).min(1);

export const latencySchema = z.discriminatedUnion("dist", [
  z.strictObject({ dist: z.literal("fixed"), ms }),
  z.strictObject({ dist: z.literal("uniform"), minMs: ms, maxMs: ms }),
  z.strictObject({ dist: z.literal("normal"), meanMs: ms, stdMs: ms, minMs: ms.optional() }),
  z.strictObject({
    dist: z.literal("pareto"),
    scaleMs: z.number().positive(),
    shape: z.number().positive(),
    capMs: ms.optional(),
  }),
]);

const linkParamsSchema = z.strictObject({
  latency: latencySchema.optional(),
  loss: probability.optional(),
  duplicate: probability.optional(),
  reorder: probability.optional(),
  reorderDelayMs: ms.optional(),
});

/**
 * What a validator does besides following the protocol.
 * - honest: follows it.
 * - twins: two instances share its key and both talk to everyone (double voter).
 * - equivocator: two instances share its key and hear everyone; each reaches one half of the
 *   peers first and the other half crossDelayMs later, so as leader it proposes two different
 *   blocks for a round and every node sees both.
 * - split-brain: two instances share its key; instance k talks only with one half of the other
 *   validators (and instance k of other split-brain validators): two worlds (Twins paper).
 * - silent-leader: drops its own proposals.
 * - withhold-votes: drops its own votes.
 * - bad-proposal-signature: its proposals carry a well-formed signature over another message.
 *   Nodes that get them from it directly take them (their host authenticated the sender); the
 *   blocks get certified, and nodes that fetch them later must take them on their QC.
 */
export const behaviourSchema = z.enum([
  "honest",
  "twins",
  "equivocator",
  "split-brain",
  "silent-leader",
  "withhold-votes",
  "bad-proposal-signature",
]);
export type Behaviour = z.infer<typeof behaviourSchema>;

const validatorSchema = z.strictObject({
  stake: z.number().int().positive().default(1),
  behaviour: behaviourSchema.default("honest"),
  /** Equivocator only: how much later its instances reach the other half (default 150 ms). */
  crossDelayMs: ms.optional(),
  /** Clock skew: local time = offsetMs + virtual time * (1 + drift). */
  clock: z
    .strictObject({
      offsetMs: z.number().finite().default(0),
      drift: z.number().min(-0.5).max(0.5).default(0),
    })
    .optional(),
});

const at = { at: ms };
export const timelineEventSchema = z.discriminatedUnion("event", [
  z.strictObject({ ...at, event: z.literal("partition"), groups: z.array(nodeList).min(1) }),
  z.strictObject({ ...at, event: z.literal("block"), from: nodeList, to: nodeList }),
  z.strictObject({ ...at, event: z.literal("heal") }),
  z.strictObject({ ...at, event: z.literal("crash"), nodes: nodeList, amnesia: z.boolean().default(false) }),
  z.strictObject({ ...at, event: z.literal("restart"), nodes: nodeList }),
  z.strictObject({ ...at, event: z.literal("pause"), nodes: nodeList, forMs: z.number().positive() }),
  z.strictObject({ ...at, event: z.literal("network"), set: linkParamsSchema }),
  z.strictObject({ ...at, event: z.literal("link"), from: nodeList, to: nodeList, set: linkParamsSchema }),
  z.strictObject({ ...at, event: z.literal("isolate-leader"), forMs: z.number().positive() }),
  z.strictObject({
    ...at,
    event: z.literal("flap"),
    nodes: nodeList,
    periodMs: z.number().positive(),
    untilMs: ms,
  }),
  z.strictObject({
    ...at,
    event: z.literal("crash-storm"),
    nodes: nodeList,
    downMs: z.number().positive(),
    everyMs: z.number().positive(),
    untilMs: ms,
    maxDown: z.number().int().positive().default(1),
    amnesia: z.boolean().default(false),
  }),
  z.strictObject({ ...at, event: z.literal("gst") }),
]);
export type TimelineEvent = z.infer<typeof timelineEventSchema>;

export const scenarioSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().default(""),
    signatureScheme: z.enum(["test", "bls"]).default("test"),
    durationMs: z.number().positive(),
    validators: z.union([z.number().int().min(1).max(512), z.array(validatorSchema).min(1).max(512)]),
    consensus: z
      .strictObject({
        baseTimeoutMs: z.number().positive().default(1000),
        backoffFactor: z.number().min(1).default(1.5),
        maxTimeoutMs: z.number().positive().default(10_000),
        /** Consecutive rounds one leader keeps (1 = classic rotation). */
        leaderTermRounds: z.number().int().positive().default(1),
        /** Recent blocks inspected to skip leaders that failed (0 = no reputation). */
        reputationWindow: z.number().int().nonnegative().default(0),
      })
      .default({
        baseTimeoutMs: 1000,
        backoffFactor: 1.5,
        maxTimeoutMs: 10_000,
        leaderTermRounds: 1,
        reputationWindow: 0,
      }),
    network: z
      .strictObject({
        latency: latencySchema.default({ dist: "uniform", minMs: 5, maxMs: 30 }),
        loss: probability.default(0),
        duplicate: probability.default(0),
        reorder: probability.default(0),
        reorderDelayMs: ms.default(50),
        /** Simulated fsync time before the core gets its persist ack. */
        diskMs: ms.default(1),
      })
      .default({
        latency: { dist: "uniform", minMs: 5, maxMs: 30 },
        loss: 0,
        duplicate: 0,
        reorder: 0,
        reorderDelayMs: 50,
        diskMs: 1,
      }),
    timeline: z.array(timelineEventSchema).default([]),
    liveness: z
      .strictObject({
        /** Every honest, running node must commit a new block within this long after the last fault. */
        withinMs: z.number().positive(),
        /** When the faults end; default: the time of the last timeline event (or its end). */
        afterMs: ms.optional(),
        minCommits: z.number().int().positive().default(1),
      })
      .optional(),
    /** Invariants this scenario is meant to break (only under sim/scenarios/expected-violations). */
    expectViolation: z
      .array(z.enum(["agreement", "noDoubleSign", "singleChain", "liveness", "evidence"]))
      .optional(),
  })
  .superRefine((s, ctx) => {
    const n = typeof s.validators === "number" ? s.validators : s.validators.length;
    const check = (nodes: number[], path: (string | number)[]): void => {
      for (const [i, v] of nodes.entries()) {
        if (v >= n)
          ctx.addIssue({
            code: "custom",
            path: [...path, i],
            message: `validator ${v} does not exist (there are ${n}: 0..${n - 1})`,
          });
      }
    };
    s.timeline.forEach((e, i) => {
      if ("nodes" in e) check(e.nodes, ["timeline", i, "nodes"]);
      if ("from" in e) check(e.from, ["timeline", i, "from"]);
      if ("to" in e) check(e.to, ["timeline", i, "to"]);
      if (e.event === "partition") {
        for (const [j, g] of e.groups.entries()) check(g, ["timeline", i, "groups", j]);
      }
      if (e.at > s.durationMs)
        ctx.addIssue({
          code: "custom",
          path: ["timeline", i, "at"],
          message: `at ${e.at} is after durationMs ${s.durationMs}`,
        });
    });
  });

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.infer<typeof scenarioSchema>;
export interface ValidatorSpec {
  stake: number;
  behaviour: Behaviour;
  clock: { offsetMs: number; drift: number };
  crossDelayMs: number | undefined;
}

export function validatorSpecs(s: Scenario): ValidatorSpec[] {
  if (typeof s.validators === "number") {
    return Array.from({ length: s.validators }, () => ({
      stake: 1,
      behaviour: "honest" as const,
      clock: { offsetMs: 0, drift: 0 },
      crossDelayMs: undefined,
    }));
  }
  return s.validators.map((v) => ({
    stake: v.stake,
    behaviour: v.behaviour,
    clock: v.clock ?? { offsetMs: 0, drift: 0 },
    crossDelayMs: v.crossDelayMs,
  }));
}

/** Validates a parsed object; the error lists every problem as `key.path: what was expected`. */
export function parseScenario(raw: unknown, source = "scenario"): Scenario {
  const result = scenarioSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: formatPath(i.path), message: describeIssue(i) }));
    const lines = issues.map((i) => `  ${i.path}: ${i.message}`);
    throw new ScenarioError("SCENARIO_INVALID", `${source} is not a valid scenario:\n${lines.join("\n")}`, {
      issues,
    });
  }
  return result.data;
}

export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ScenarioError(
      "SCENARIO_NOT_FOUND",
      `cannot read scenario ${file}: ${(error as Error).message}`,
    );
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ScenarioError("SCENARIO_YAML", `${file} is not valid YAML: ${(error as Error).message}`);
  }
  return parseScenario(raw, file);
}

const DISCRIMINATED: Record<string, string[]> = {
  event: timelineEventSchema.options.map((o) => o.shape.event.value),
  dist: latencySchema.options.map((o) => o.shape.dist.value),
};

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_union" && "discriminator" in issue && typeof issue.discriminator === "string") {
    const options = DISCRIMINATED[issue.discriminator];
    if (options) return `expected one of ${options.map((o) => `"${o}"`).join(", ")}`;
  }
  return issue.message;
}

function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return "(top level)";
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`))
    .join("");
}
