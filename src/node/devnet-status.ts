import type { NodeSample } from "./devnet-metrics.ts";

/** Per node, what the previous sample said, so tx/s comes from the counter's growth. */
export interface StatusMemory {
  atMs: number;
  txsTotal: (number | undefined)[];
}

export interface StatusRow {
  index: number;
  up: boolean;
  round: string;
  committed: string;
  txPerS: string;
  peers: string;
}

const show = (n: number | undefined): string => (n === undefined ? "-" : String(n));

/** Rows of the live table from one round of samples and the previous one. */
export function statusRows(
  samples: NodeSample[],
  nowMs: number,
  previous: StatusMemory | undefined,
): { rows: StatusRow[]; memory: StatusMemory } {
  const rows = samples.map((s, index) => {
    const before = previous?.txsTotal[index];
    const seconds = previous ? (nowMs - previous.atMs) / 1000 : 0;
    const rate =
      s.txsTotal !== undefined && before !== undefined && seconds > 0
        ? ((s.txsTotal - before) / seconds).toFixed(1)
        : "-";
    return {
      index,
      up: s.up,
      round: show(s.round),
      committed: show(s.committedHeight),
      txPerS: s.up ? rate : "-",
      peers: show(s.peers),
    };
  });
  return { rows, memory: { atMs: nowMs, txsTotal: samples.map((s) => s.txsTotal) } };
}

export function renderTable(rows: StatusRow[]): string {
  const header = ["node", "state", "round", "committed", "tx/s", "peers"];
  const body = rows.map((r) => [
    String(r.index),
    r.up ? "up" : "DOWN",
    r.round,
    r.committed,
    r.txPerS,
    r.peers,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join("  ");
  return [line(header), ...body.map(line)].join("\n");
}
