import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/node/logger.ts";

const LOGGER = fileURLToPath(new URL("../../../src/node/logger.ts", import.meta.url));

describe("logger", () => {
  it("writes one JSON object per event with the fields, the module binding and the level filter", () => {
    const script = `
      const { createLogger } = await import(${JSON.stringify(LOGGER)});
      const log = createLogger({ level: "info", name: "node-1" }).child({ module: "p2p" });
      log.debug({ round: 1 }, "hidden");
      log.info({ round: 7, peer: "abc" }, "vote sent");
      log.flush?.();
    `;
    const out = spawnSync(process.execPath, ["--no-warnings", "--input-type=module", "-e", script], {
      encoding: "utf8",
    });
    expect(out.status, out.stderr).toBe(0);
    const lines = out.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const event = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(event).toMatchObject({
      level: 30,
      name: "node-1",
      module: "p2p",
      round: 7,
      peer: "abc",
      msg: "vote sent",
    });
  });

  it("has a silent logger whose children are silent too", () => {
    expect(silentLogger.child({ module: "x" })).toBe(silentLogger);
    expect(() => silentLogger.info({ a: 1 }, "nothing")).not.toThrow();
  });
});
