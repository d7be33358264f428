import type { LogData } from "./backend.ts";
import type { Hex } from "./hex.ts";

/** Ethereum's log filter semantics: any listed address, and per topic position any listed topic. */
export function logMatches(log: LogData, addresses: Hex[] | null, topics: (Hex[] | null)[]): boolean {
  if (addresses !== null && !addresses.includes(log.address)) return false;
  for (let i = 0; i < topics.length; i++) {
    const wanted = topics[i];
    if (wanted === null) continue;
    const actual = log.topics[i];
    if (actual === undefined || !wanted.includes(actual)) return false;
  }
  return true;
}
