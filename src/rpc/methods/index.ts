import type { MethodTable } from "../method.ts";
import { adminMethods } from "./admin.ts";
import { blockMethods } from "./blocks.ts";
import { chainMethods } from "./chain.ts";
import type { MethodDeps } from "./deps.ts";
import { filterMethods } from "./filters.ts";
import { megaMethods } from "./mega.ts";
import { sendMethods } from "./send.ts";
import { stateMethods } from "./state.ts";
import { subscribeMethods } from "./subscribe.ts";

export type { MethodDeps } from "./deps.ts";

/** Every method the server answers; admin_ only when enabled. */
export function buildMethodTable(deps: MethodDeps, opts: { enableAdmin: boolean }): MethodTable {
  const groups = [
    chainMethods(deps),
    blockMethods(deps),
    stateMethods(deps),
    sendMethods(deps),
    filterMethods(deps),
    subscribeMethods(),
    megaMethods(deps),
    opts.enableAdmin ? adminMethods(deps) : {},
  ];
  const table: MethodTable = new Map();
  for (const group of groups) for (const [name, method] of Object.entries(group)) table.set(name, method);
  return table;
}
