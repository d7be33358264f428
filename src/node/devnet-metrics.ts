/**
 * Reading a node's Prometheus text: the devnet status table and the multi-process tests both
 * scrape `/metrics` and need a few numbers out of it, summed over labels.
 */

/** Sum of every sample of `name` (all label sets), or undefined when the metric is absent. */
export function metricValue(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split("\n")) {
    if (line.length === 0 || line.startsWith("#")) continue;
    const brace = line.indexOf("{");
    const space = line.lastIndexOf(" ");
    if (space < 0) continue;
    const sampleName = brace >= 0 && brace < space ? line.slice(0, brace) : line.slice(0, space);
    if (sampleName !== name) continue;
    const value = Number(line.slice(space + 1));
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}

/** GET `${metricsUrl}/metrics` with a short timeout; undefined when the node does not answer. */
export async function scrapeMetrics(metricsUrl: string, timeoutMs = 2_000): Promise<string | undefined> {
  try {
    const response = await fetch(`${metricsUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return undefined;
    return await response.text();
  } catch {
    return undefined;
  }
}

export interface NodeSample {
  up: boolean;
  round?: number;
  committedHeight?: number;
  txsTotal?: number;
  peers?: number;
}

export async function sampleNode(metricsUrl: string): Promise<NodeSample> {
  const text = await scrapeMetrics(metricsUrl);
  if (text === undefined) return { up: false };
  const pick = (name: string): Record<string, number> => {
    const value = metricValue(text, name);
    return value === undefined ? {} : { [name]: value };
  };
  const values = {
    ...pick("megaseq_consensus_round"),
    ...pick("megaseq_consensus_committed_height"),
    ...pick("megaseq_execution_txs_total"),
    ...pick("megaseq_p2p_peers"),
  };
  return {
    up: true,
    round: values.megaseq_consensus_round,
    committedHeight: values.megaseq_consensus_committed_height,
    txsTotal: values.megaseq_execution_txs_total,
    peers: values.megaseq_p2p_peers,
  };
}
