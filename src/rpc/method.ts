import type { ZodType } from "zod";
import { RpcError } from "./errors.ts";
import type { Json } from "./format.ts";

/** One positional parameter: its name appears in every validation error. */
export interface ParamSpec<T = unknown> {
  name: string;
  schema: ZodType<T, unknown>;
  optional?: boolean;
}

type ParamValue<P> = P extends ParamSpec<infer T>
  ? P extends { optional: true }
    ? T | undefined
    : T
  : never;

export type ParsedParams<P extends readonly ParamSpec[]> = { [K in keyof P]: ParamValue<P[K]> };

/** Where a call came from; subscriptions exist only on WebSocket connections. */
export interface CallContext {
  transport: "http" | "ws";
  ip: string;
  /** Present on WebSocket connections. */
  subscriptions?: SubscriptionHost;
}

export interface SubscriptionHost {
  subscribe(kind: string, params: unknown[]): string;
  unsubscribe(id: string): boolean;
}

export interface RpcMethod {
  /** Validates raw params and runs. */
  invoke(params: unknown[], ctx: CallContext): Promise<Json>;
}

export type MethodTable = Map<string, RpcMethod>;

const param = <T>(name: string, schema: ZodType<T, unknown>): ParamSpec<T> => ({ name, schema });
const optionalParam = <T>(name: string, schema: ZodType<T, unknown>): ParamSpec<T> & { optional: true } => ({
  name,
  schema,
  optional: true,
});
export { optionalParam, param };

/**
 * Defines a method with positional params, validated one by one so that the -32602 message names
 * the argument at fault (geth's form: "invalid argument 0: ..."). Trailing optional params may be
 * omitted or null; extra params are refused.
 */
export function defineMethod<const P extends readonly ParamSpec[]>(
  specs: P,
  handler: (args: ParsedParams<P>, ctx: CallContext) => Promise<Json> | Json,
): RpcMethod {
  return {
    async invoke(params: unknown[], ctx: CallContext): Promise<Json> {
      if (params.length > specs.length) {
        throw new RpcError(
          "INVALID_PARAMS",
          `too many arguments, want at most ${specs.length}, got ${params.length}`,
        );
      }
      const args: unknown[] = [];
      for (let i = 0; i < specs.length; i++) {
        const spec = specs[i];
        const raw = params[i];
        if (raw === undefined || (raw === null && spec.optional)) {
          if (!spec.optional) {
            throw new RpcError("INVALID_PARAMS", `missing value for required argument ${i} (${spec.name})`);
          }
          args.push(undefined);
          continue;
        }
        const parsed = spec.schema.safeParse(raw);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const where = issue && issue.path.length > 0 ? ` at ${issue.path.map(String).join(".")}` : "";
          throw new RpcError(
            "INVALID_PARAMS",
            `invalid argument ${i} (${spec.name})${where}: ${issue?.message ?? "invalid value"}`,
          );
        }
        args.push(parsed.data);
      }
      return await handler(args as ParsedParams<P>, ctx);
    },
  };
}
