import { z } from "zod";
import { formatLog } from "../format.ts";
import { defineMethod, param } from "../method.ts";
import { filterCriteria } from "../params.ts";
import type { MethodDeps, MethodGroup } from "./deps.ts";

const filterId = z.string().regex(/^0x[0-9a-fA-F]{1,64}$/, "expected a hex filter id");

/** Polling filters; see FilterManager for their bounds and expiry. */
export function filterMethods(deps: MethodDeps): MethodGroup {
  const { filters } = deps;
  return {
    eth_newFilter: defineMethod([param("filter", filterCriteria)], ([criteria]) =>
      filters.newLogFilter(criteria),
    ),
    eth_newBlockFilter: defineMethod([], () => filters.newBlockFilter()),
    eth_newPendingTransactionFilter: defineMethod([], () => filters.newPendingTransactionFilter()),
    eth_uninstallFilter: defineMethod([param("filterId", filterId)], ([id]) => filters.uninstall(id)),
    eth_getFilterChanges: defineMethod([param("filterId", filterId)], async ([id]) => {
      const changes = await filters.changes(id);
      return changes.map((c) => (typeof c === "string" ? c : formatLog(c)));
    }),
    eth_getFilterLogs: defineMethod([param("filterId", filterId)], async ([id]) =>
      (await filters.logs(id)).map(formatLog),
    ),
  };
}
