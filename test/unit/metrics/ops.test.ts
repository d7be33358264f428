import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createMetrics } from "../../../src/metrics/index.ts";

const read = (path: string): string =>
  readFileSync(fileURLToPath(new URL(`../../../${path}`, import.meta.url)), "utf8");

describe("ops files", () => {
  it("the Grafana dashboard only queries metrics the node defines", async () => {
    const dashboard = JSON.parse(read("ops/grafana/megaseq-dashboard.json")) as {
      panels: { targets?: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(20);
    const { registry } = createMetrics();
    const defined = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    const used = new Set(
      exprs
        .flatMap((e) => e.match(/megaseq_[a-z0-9_]+/g) ?? [])
        .map((n) => n.replace(/_(bucket|sum|count)$/, "")),
    );
    for (const name of used) expect(defined, name).toContain(name);
  });

  it("the Prometheus config scrapes the 4 devnet nodes", () => {
    const config = parse(read("ops/prometheus/prometheus.yml")) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const targets = config.scrape_configs.flatMap((s) => s.static_configs.flatMap((c) => c.targets));
    expect(targets).toEqual(["127.0.0.1:9100", "127.0.0.1:9101", "127.0.0.1:9102", "127.0.0.1:9103"]);
  });

  it("the systemd unit starts the node with genesis, data dir and key, and stops it with SIGTERM", () => {
    const unit = read("ops/systemd/megaseq-validator.service");
    expect(unit).toMatch(
      /^ExecStart=.*megaseq\.js node --genesis \S+ --data-dir \S+ --bls-keystore \S+ --password-file \S+/m,
    );
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
  });
});
