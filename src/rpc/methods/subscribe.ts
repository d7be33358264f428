import { z } from "zod";
import { RpcError } from "../errors.ts";
import { type CallContext, defineMethod, param, type SubscriptionHost } from "../method.ts";
import type { MethodGroup } from "./deps.ts";

function hostOf(ctx: CallContext): SubscriptionHost {
  if (ctx.subscriptions === undefined) {
    throw new RpcError(
      "METHOD_NOT_SUPPORTED",
      "notifications not supported: subscribe over a WebSocket connection",
    );
  }
  return ctx.subscriptions;
}

/** eth_subscribe / eth_unsubscribe: WebSocket only. */
export function subscribeMethods(): MethodGroup {
  const subscribe = defineMethod([param("kind", z.string().max(64))], () => "unreachable");
  return {
    eth_subscribe: {
      // The params after the kind depend on the kind, so they are validated by the host.
      async invoke(params, ctx) {
        const host = hostOf(ctx);
        if (params.length === 0) return subscribe.invoke(params, ctx);
        const [kind, ...rest] = params;
        if (typeof kind !== "string") {
          throw new RpcError("INVALID_PARAMS", "invalid argument 0 (kind): expected a subscription name");
        }
        return host.subscribe(kind, rest);
      },
    },
    eth_unsubscribe: defineMethod(
      [param("subscriptionId", z.string().regex(/^0x[0-9a-fA-F]{1,64}$/, "expected a hex subscription id"))],
      ([id], ctx) => hostOf(ctx).unsubscribe(id.toLowerCase()),
    ),
  };
}
