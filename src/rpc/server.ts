import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import type { RpcBackend } from "./backend.ts";
import { RpcDispatcher } from "./dispatcher.ts";
import { RpcCode } from "./errors.ts";
import { FilterManager } from "./filters.ts";
import { DEFAULT_LIMITS, type RpcLimits } from "./limits.ts";
import type { CallContext } from "./method.ts";
import { buildMethodTable } from "./methods/index.ts";
import { RateLimiter } from "./rate-limiter.ts";
import { ConnectionSubscriptions } from "./subscriptions.ts";

export interface RpcServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  limits?: Partial<RpcLimits>;
  /** Allowed browser origins; "*" (the default) allows any. */
  corsOrigins?: string[] | "*";
  /** Mounts the admin_ namespace. Off by default. */
  enableAdmin?: boolean;
  clientVersion?: string;
}

export interface RpcServerModules {
  backend: RpcBackend;
  /** Reports our own failures (never client errors). */
  onInternalError?: (method: string, error: unknown) => void;
}

/**
 * JSON-RPC 2.0 over HTTP (POST) and WebSocket on one port. Every limit in RpcLimits is enforced
 * here or in the layers it builds; breaking one yields an error response, never a crash.
 */
export class RpcServer {
  readonly limits: RpcLimits;
  private readonly opts: RpcServerOptions;
  private readonly backend: RpcBackend;
  private readonly dispatcher: RpcDispatcher;
  private readonly filters: FilterManager;
  private readonly rate: RateLimiter;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<Socket>();
  private readonly overLimit = new WeakSet<Socket>();
  private readonly wsConnections = new Set<WebSocket>();

  constructor(opts: RpcServerOptions, modules: RpcServerModules) {
    this.opts = opts;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.backend = modules.backend;
    this.filters = new FilterManager(this.limits, { backend: this.backend });
    this.rate = new RateLimiter({ ratePerSecond: this.limits.ratePerSecond, burst: this.limits.rateBurst });
    const methods = buildMethodTable(
      {
        backend: this.backend,
        limits: this.limits,
        filters: this.filters,
        clientVersion: opts.clientVersion ?? "megaseq/0.1.0",
      },
      { enableAdmin: opts.enableAdmin ?? false },
    );
    this.dispatcher = new RpcDispatcher(this.limits, {
      methods,
      admit: (ctx, cost) => this.rate.tryTake(ctx.ip, cost),
      onInternalError: modules.onInternalError,
    });
    this.http = createServer((req, res) => this.onHttpRequest(req, res));
    // Connections past the soft limit get a 503 answer; far past it the kernel-side accept drops them.
    this.http.maxConnections = this.limits.maxConnections + 64;
    this.http.requestTimeout = 30_000;
    this.http.headersTimeout = 10_000;
    this.http.keepAliveTimeout = 30_000;
    this.http.on("connection", (socket: Socket) => this.onConnection(socket));
    this.http.on("clientError", (_err, socket: Socket) => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      else socket.destroy();
    });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.limits.maxBodyBytes });
    this.http.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.onUpgrade(req, socket, head),
    );
  }

  /** Listens; resolves with the URLs. */
  async start(): Promise<{ url: string; wsUrl: string; port: number }> {
    const host = this.opts.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(this.opts.port ?? 0, host, () => {
        this.http.off("error", reject);
        resolve();
      });
    });
    const { port } = this.http.address() as AddressInfo;
    const urlHost = host.includes(":") ? `[${host}]` : host;
    return { url: `http://${urlHost}:${port}`, wsUrl: `ws://${urlHost}:${port}`, port };
  }

  async stop(): Promise<void> {
    this.filters.close();
    for (const ws of this.wsConnections) ws.terminate();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  /** Open TCP connections (for tests and metrics). */
  get connectionCount(): number {
    return this.sockets.size;
  }

  get filterCount(): number {
    return this.filters.size;
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    if (this.sockets.size > this.limits.maxConnections) this.overLimit.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
  }

  private corsHeaders(req: IncomingMessage): Record<string, string> {
    const origins = this.opts.corsOrigins ?? "*";
    const origin = req.headers.origin;
    let allow: string | undefined;
    if (origins === "*") allow = "*";
    else if (origin !== undefined && origins.includes(origin)) allow = origin;
    if (allow === undefined) return {};
    return {
      "access-control-allow-origin": allow,
      "access-control-allow-methods": "POST, GET, OPTIONS",
      "access-control-allow-headers": "content-type",
      "access-control-max-age": "600",
      ...(allow === "*" ? {} : { vary: "origin" }),
    };
  }

  private onHttpRequest(req: IncomingMessage, res: ServerResponse): void {
    const cors = this.corsHeaders(req);
    const reply = (status: number, body: string | null, close = false): void => {
      if (res.headersSent) return;
      const headers: Record<string, string> = { ...cors };
      if (body !== null) headers["content-type"] = "application/json";
      if (close) headers.connection = "close";
      res.writeHead(status, headers);
      res.end(body ?? undefined);
    };
    const replyError = (status: number, code: number, message: string, close = false): void =>
      reply(status, JSON.stringify({ jsonrpc: "2.0", id: null, error: { code, message } }), close);

    if (this.overLimit.has(req.socket)) {
      replyError(
        503,
        RpcCode.LIMIT_EXCEEDED,
        `too many connections (limit ${this.limits.maxConnections})`,
        true,
      );
      return;
    }
    if (req.method === "OPTIONS") {
      reply(204, null);
      return;
    }
    if (req.method !== "POST") {
      replyError(405, RpcCode.INVALID_REQUEST, "JSON-RPC requests must be POSTed");
      return;
    }
    const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    if (type !== "application/json") {
      // Also keeps browsers from posting "simple" cross-origin requests without a preflight.
      replyError(415, RpcCode.INVALID_REQUEST, "content-type must be application/json");
      return;
    }
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > this.limits.maxBodyBytes) {
      replyError(
        413,
        RpcCode.LIMIT_EXCEEDED,
        `request body too large: limit ${this.limits.maxBodyBytes} bytes`,
        true,
      );
      req.socket.once("finish", () => req.socket.destroy());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on("data", (chunk: Buffer) => {
      if (aborted) return;
      size += chunk.length;
      if (size > this.limits.maxBodyBytes) {
        aborted = true;
        chunks.length = 0;
        replyError(
          413,
          RpcCode.LIMIT_EXCEEDED,
          `request body too large: limit ${this.limits.maxBodyBytes} bytes`,
          true,
        );
        req.pause();
        res.once("finish", () => req.socket.destroy());
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", () => {
      aborted = true;
    });
    req.on("end", () => {
      if (aborted) return;
      const ctx: CallContext = { transport: "http", ip: req.socket.remoteAddress ?? "unknown" };
      const body = Buffer.concat(chunks).toString("utf8");
      this.dispatcher.handle(body, ctx).then(
        (text) => reply(200, text ?? ""),
        () => replyError(500, RpcCode.INTERNAL_ERROR, "internal error"),
      );
    });
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    if (this.overLimit.has(socket)) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    // Browsers send Origin on WebSocket upgrades and no preflight: apply the CORS list here.
    const origins = this.opts.corsOrigins ?? "*";
    const origin = req.headers.origin;
    if (origins !== "*" && origin !== undefined && !origins.includes(origin)) {
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onWebSocket(ws, req));
  }

  private onWebSocket(ws: WebSocket, req: IncomingMessage): void {
    this.wsConnections.add(ws);
    const send = (text: string): void => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (ws.bufferedAmount + text.length > this.limits.maxWsBufferedBytes) {
        // A client that does not read would make us buffer without bound: drop it.
        ws.terminate();
        return;
      }
      ws.send(text);
    };
    const subscriptions = new ConnectionSubscriptions(
      { maxSubscriptions: this.limits.maxSubscriptionsPerConnection },
      { events: this.backend.events, send },
    );
    const ctx: CallContext = { transport: "ws", ip: req.socket.remoteAddress ?? "unknown", subscriptions };
    let inflight = 0;
    ws.on("message", (data: RawData, isBinary: boolean) => {
      const text = rawToString(data, isBinary);
      if (inflight >= this.limits.maxInflightPerConnection) {
        send(
          JSON.stringify({
            jsonrpc: "2.0",
            id: null,
            error: {
              code: RpcCode.LIMIT_EXCEEDED,
              message: `too many requests in flight on this connection (limit ${this.limits.maxInflightPerConnection})`,
            },
          }),
        );
        return;
      }
      inflight++;
      this.dispatcher
        .handle(text, ctx)
        .then(
          (reply) => {
            if (reply !== null) send(reply);
          },
          () => {},
        )
        .finally(() => {
          inflight--;
        });
    });
    ws.on("error", () => ws.terminate());
    ws.on("close", () => {
      subscriptions.closeAll();
      this.wsConnections.delete(ws);
    });
  }
}

function rawToString(data: RawData, _isBinary: boolean): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  return data.toString("utf8");
}
