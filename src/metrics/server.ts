import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { CodedError } from "../util/coded-error.ts";
import type { HealthChecks } from "./health.ts";

export class MetricsServerError extends CodedError<"METRICS_LISTEN_FAILED" | "METRICS_BAD_ADDRESS"> {}

export interface MetricsServerOpts {
  /** "host:port"; port 0 picks a free one. */
  address: string;
}

export interface MetricsServerModules {
  registry: Registry;
  health: HealthChecks;
}

/** Serves GET /metrics (Prometheus text format) and GET /health (JSON, 200 or 503). */
export class MetricsServer {
  private readonly opts: MetricsServerOpts;
  private readonly modules: MetricsServerModules;
  private server: Server | undefined;

  constructor(opts: MetricsServerOpts, modules: MetricsServerModules) {
    this.opts = opts;
    this.modules = modules;
  }

  async start(): Promise<{ host: string; port: number }> {
    const { host, port } = parseHostPort(this.opts.address);
    const server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method !== "GET") {
        res.writeHead(405, { allow: "GET" }).end();
        return;
      }
      if (path === "/metrics") {
        this.modules.registry.metrics().then(
          (body) => res.writeHead(200, { "content-type": this.modules.registry.contentType }).end(body),
          (err: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(err.message),
        );
        return;
      }
      if (path === "/health") {
        const report = this.modules.health.report();
        res
          .writeHead(report.ok ? 200 : 503, { "content-type": "application/json" })
          .end(JSON.stringify(report));
        return;
      }
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics or /health\n");
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err) =>
        reject(new MetricsServerError("METRICS_LISTEN_FAILED", `metrics server: ${err.message}`)),
      );
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const bound = server.address() as AddressInfo;
    return { host: bound.address, port: bound.port };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export function parseHostPort(address: string): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(address);
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || port > 65535) {
    throw new MetricsServerError("METRICS_BAD_ADDRESS", `expected "host:port", got "${address}"`);
  }
  return { host: match[1].replace(/^\[(.*)\]$/, "$1"), port };
}
