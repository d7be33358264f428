import { RpcCode, RpcError, type RpcErrorObject, toErrorObject } from "./errors.ts";
import type { Json } from "./format.ts";
import type { CallContext, MethodTable } from "./method.ts";

/**
 * Turns a request body (one JSON text) into a response body, JSON-RPC 2.0 style: single and batch
 * requests, notifications (no answer), and the standard error codes for bad JSON, bad request
 * objects and unknown methods. It never throws: every failure becomes an error response.
 */

export type RequestId = string | number | null;

export interface DispatcherOptions {
  maxBatchLength: number;
  maxResponseBytes: number;
}

export interface DispatcherModules {
  methods: MethodTable;
  /** Charges the caller `cost` requests against its rate; false = over the limit. */
  admit?: (ctx: CallContext, cost: number) => boolean;
  /** Called with failures that are our bugs (not client errors), for logs. */
  onInternalError?: (method: string, error: unknown) => void;
}

interface Response {
  jsonrpc: "2.0";
  id: RequestId;
  result?: Json;
  error?: RpcErrorObject;
}

const MAX_ECHOED_METHOD = 64;
const MAX_ID_STRING = 256;

export class RpcDispatcher {
  private readonly opts: DispatcherOptions;
  private readonly modules: DispatcherModules;

  constructor(opts: DispatcherOptions, modules: DispatcherModules) {
    this.opts = opts;
    this.modules = modules;
  }

  /** The serialized response, or null when nothing is to be sent (only notifications). */
  async handle(body: string, ctx: CallContext): Promise<string | null> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return serialize(errorResponse(null, new RpcError("PARSE_ERROR", "parse error: invalid JSON")));
    }
    if (Array.isArray(parsed)) return this.handleBatch(parsed, ctx);
    if (this.modules.admit && !this.modules.admit(ctx, 1)) {
      return serialize(errorResponse(idOf(parsed), rateLimited()));
    }
    const response = await this.handleOne(parsed, ctx);
    if (response === null) return null;
    const text = serialize(response);
    if (text.length > this.opts.maxResponseBytes) {
      return serialize(errorResponse(response.id, responseTooLarge(this.opts.maxResponseBytes)));
    }
    return text;
  }

  private async handleBatch(items: unknown[], ctx: CallContext): Promise<string | null> {
    if (items.length === 0) {
      return serialize(errorResponse(null, new RpcError("INVALID_REQUEST", "empty batch")));
    }
    if (items.length > this.opts.maxBatchLength) {
      return serialize(
        errorResponse(
          null,
          new RpcError(
            "LIMIT_EXCEEDED",
            `batch too large: ${items.length} requests, limit ${this.opts.maxBatchLength}`,
          ),
        ),
      );
    }
    if (this.modules.admit && !this.modules.admit(ctx, items.length)) {
      return serialize(errorResponse(null, rateLimited()));
    }
    const responses = await Promise.all(items.map((item) => this.handleOne(item, ctx)));
    const parts: string[] = [];
    let size = 2;
    for (const response of responses) {
      if (response === null) continue;
      let text = serialize(response);
      if (size + text.length + 1 > this.opts.maxResponseBytes) {
        text = serialize(errorResponse(response.id, responseTooLarge(this.opts.maxResponseBytes)));
      }
      size += text.length + 1;
      parts.push(text);
    }
    return parts.length === 0 ? null : `[${parts.join(",")}]`;
  }

  /** One request object; null for a valid notification. */
  private async handleOne(request: unknown, ctx: CallContext): Promise<Response | null> {
    if (typeof request !== "object" || request === null || Array.isArray(request)) {
      return errorResponse(null, new RpcError("INVALID_REQUEST", "invalid request: expected an object"));
    }
    const req = request as Record<string, unknown>;
    const hasId = Object.hasOwn(req, "id");
    const id = hasId ? req.id : null;
    if (!isValidId(id)) {
      return errorResponse(
        null,
        new RpcError("INVALID_REQUEST", "invalid request: id must be a string, number or null"),
      );
    }
    if (req.jsonrpc !== "2.0") {
      return errorResponse(id, new RpcError("INVALID_REQUEST", 'invalid request: jsonrpc must be "2.0"'));
    }
    if (typeof req.method !== "string") {
      return errorResponse(id, new RpcError("INVALID_REQUEST", "invalid request: method must be a string"));
    }
    const params = req.params;
    if (params !== undefined && params !== null && !Array.isArray(params)) {
      return errorResponse(
        id,
        new RpcError(
          "INVALID_PARAMS",
          "invalid params: params must be an array (named params are not supported)",
        ),
      );
    }
    const method = this.modules.methods.get(req.method);
    let response: Response;
    if (method === undefined) {
      response = errorResponse(
        id,
        new RpcError(
          "METHOD_NOT_FOUND",
          `the method ${req.method.slice(0, MAX_ECHOED_METHOD)} does not exist/is not available`,
        ),
      );
    } else {
      try {
        const result = await method.invoke(params ?? [], ctx);
        response = { jsonrpc: "2.0", id, result };
      } catch (error) {
        const expected = toErrorObject(error).code !== RpcCode.INTERNAL_ERROR;
        if (!expected) this.modules.onInternalError?.(req.method, error);
        response = errorResponse(id, error);
      }
    }
    return hasId ? response : null;
  }
}

function isValidId(id: unknown): id is RequestId {
  if (id === null) return true;
  if (typeof id === "number") return Number.isFinite(id);
  return typeof id === "string" && id.length <= MAX_ID_STRING;
}

function idOf(request: unknown): RequestId {
  if (typeof request !== "object" || request === null) return null;
  const id = (request as Record<string, unknown>).id;
  return isValidId(id) ? id : null;
}

function errorResponse(id: RequestId, error: unknown): Response {
  return { jsonrpc: "2.0", id, error: toErrorObject(error) };
}

function serialize(response: Response): string {
  return JSON.stringify(response);
}

function rateLimited(): RpcError {
  return new RpcError("LIMIT_EXCEEDED", "rate limit exceeded: too many requests from this address");
}

function responseTooLarge(limit: number): RpcError {
  return new RpcError("LIMIT_EXCEEDED", `response too large: over ${limit} bytes`);
}
