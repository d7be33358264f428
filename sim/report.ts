import type { RunResult } from "./simulation.ts";

/**
 * A self-contained HTML page for one run: summary, invariants, violations with traces, and a
 * timeline chart (committed height per node over virtual time, partition / loss / crash / pause
 * bands, leader per round, timeouts). Inline SVG and a few lines of JS; no network access.
 */
export function renderReport(r: RunResult): string {
  const palette = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
  ];
  const nodes = r.timeline.nodes;
  const colour = (i: number): string => palette[i % palette.length];
  const W = 1100;
  const left = 60;
  const right = 20;
  const plotW = W - left - right;
  const chartH = 300;
  const laneH = 14;
  const top = 20;
  const maxH = Math.max(1, r.commits, ...Object.values(r.heights));
  const x = (t: number): number => left + (t / r.durationMs) * plotW;
  const y = (h: number): number => top + chartH - (h / maxH) * chartH;
  const lanesTop = top + chartH + 40;
  const laneY = (i: number): number => lanesTop + i * (laneH + 4);
  const leaderLaneY = laneY(nodes.length) + 10;
  const H = leaderLaneY + 60;
  const parts: string[] = [];

  // Network-wide bands over the height chart.
  for (const b of r.timeline.bands) {
    if (b.node !== undefined) continue;
    const fill = b.kind === "partition" ? "rgba(255,140,0,0.18)" : "rgba(200,200,0,0.18)";
    parts.push(
      `<rect x="${x(b.fromMs)}" y="${top}" width="${Math.max(1, x(b.toMs) - x(b.fromMs))}" height="${chartH}" fill="${fill}"><title>${esc(b.label)}: ${b.fromMs}–${b.toMs} ms</title></rect>`,
    );
  }
  // Axes and grid.
  for (let i = 0; i <= 10; i++) {
    const t = (r.durationMs * i) / 10;
    parts.push(`<line x1="${x(t)}" y1="${top}" x2="${x(t)}" y2="${top + chartH}" stroke="#eee"/>`);
    parts.push(
      `<text x="${x(t)}" y="${top + chartH + 14}" font-size="10" text-anchor="middle">${fmtMs(t)}</text>`,
    );
  }
  for (let i = 0; i <= 5; i++) {
    const h = Math.round((maxH * i) / 5);
    parts.push(`<text x="${left - 6}" y="${y(h) + 3}" font-size="10" text-anchor="end">${h}</text>`);
    parts.push(`<line x1="${left}" y1="${y(h)}" x2="${left + plotW}" y2="${y(h)}" stroke="#f3f3f3"/>`);
  }
  parts.push(
    `<text x="${left - 45}" y="${top + chartH / 2}" font-size="11" transform="rotate(-90 ${left - 45} ${top + chartH / 2})" text-anchor="middle">committed height</text>`,
  );
  parts.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${chartH}" fill="none" stroke="#999"/>`);
  // Height per node (step lines).
  nodes.forEach((n, i) => {
    const series = r.timeline.heightSeries[n.label] ?? [];
    let d = "";
    let lastH = 0;
    for (const [t, h] of series) {
      d += d === "" ? `M${x(t).toFixed(1)},${y(h).toFixed(1)}` : `H${x(t).toFixed(1)}V${y(h).toFixed(1)}`;
      lastH = h;
    }
    d += `H${x(r.endedAtMs).toFixed(1)}`;
    const dash = n.behaviour === "honest" ? "" : ` stroke-dasharray="4 3"`;
    parts.push(
      `<path class="series" data-node="${esc(n.label)}" d="${d}" fill="none" stroke="${colour(i)}" stroke-width="1.6"${dash}><title>node ${esc(n.label)} (${esc(n.behaviour)}): height ${lastH}</title></path>`,
    );
  });
  // Per-node lanes: crash and pause bands, timeouts.
  parts.push(
    `<text x="${left}" y="${lanesTop - 8}" font-size="11">per node: crash (red), pause (blue), timeouts (black ticks)</text>`,
  );
  nodes.forEach((n, i) => {
    const ly = laneY(i);
    parts.push(
      `<text x="${left - 6}" y="${ly + 10}" font-size="10" text-anchor="end" fill="${colour(i)}">${esc(n.label)}</text>`,
    );
    parts.push(
      `<rect x="${left}" y="${ly}" width="${plotW}" height="${laneH}" fill="#fafafa" stroke="#eee"/>`,
    );
  });
  const laneOf = new Map<number, number[]>();
  nodes.forEach((n, i) => {
    const v = Number.parseInt(n.label, 10);
    laneOf.set(v, [...(laneOf.get(v) ?? []), i]);
  });
  for (const b of r.timeline.bands) {
    if (b.node === undefined) continue;
    for (const i of laneOf.get(b.node) ?? []) {
      const fill = b.kind === "crash" ? "rgba(214,39,40,0.55)" : "rgba(31,119,180,0.45)";
      parts.push(
        `<rect x="${x(b.fromMs)}" y="${laneY(i)}" width="${Math.max(1.5, x(b.toMs) - x(b.fromMs))}" height="${laneH}" fill="${fill}"><title>${esc(b.label)}: ${b.fromMs}–${b.toMs} ms</title></rect>`,
      );
    }
  }
  for (const [t, v, round] of r.timeline.timeouts) {
    for (const i of laneOf.get(v) ?? []) {
      parts.push(
        `<line x1="${x(t)}" y1="${laneY(i) + 2}" x2="${x(t)}" y2="${laneY(i) + laneH - 2}" stroke="#000" stroke-width="1"><title>node ${v} timed out round ${round} at ${t} ms</title></line>`,
      );
    }
  }
  // Leader per round.
  parts.push(
    `<text x="${left}" y="${leaderLaneY - 4}" font-size="11">leader per round (colour = leader; hover for round)</text>`,
  );
  const leaders = [...r.timeline.leaders].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  leaders.forEach(([round, at, leader], k) => {
    const next = leaders[k + 1]?.[1] ?? r.endedAtMs;
    const idx = nodes.findIndex((n) => Number.parseInt(n.label, 10) === leader);
    parts.push(
      `<rect x="${x(at)}" y="${leaderLaneY}" width="${Math.max(0.8, x(next) - x(at))}" height="${laneH + 4}" fill="${colour(Math.max(0, idx))}"><title>round ${round}: leader ${leader} from ${at} ms</title></rect>`,
    );
  });
  parts.push(
    `<text x="${left + plotW / 2}" y="${leaderLaneY + laneH + 34}" font-size="11" text-anchor="middle">virtual time</text>`,
  );

  const legend = nodes
    .map(
      (n, i) =>
        `<label><input type="checkbox" checked data-node="${esc(n.label)}"> <span style="color:${colour(i)}">&#9632;</span> ${esc(n.label)}${n.behaviour === "honest" ? "" : ` (${esc(n.behaviour)})`} · stake ${n.stake} · height ${r.heights[n.label] ?? 0}</label>`,
    )
    .join("");
  const invRows = Object.entries(r.invariants)
    .map(
      ([name, status]) =>
        `<tr><td>${name}</td><td class="${status === "violated" ? "bad" : status === "ok" ? "good" : "na"}">${status}</td></tr>`,
    )
    .join("");
  const violations = r.violations
    .map(
      (v) =>
        `<div class="violation"><b>${esc(v.invariant)}</b> violated at step ${v.step} (${v.atMs} ms): ${esc(v.message)}<pre>${v.trace.map((t) => esc(`#${t.step} ${t.atMs} ms  ${t.text}`)).join("\n")}</pre></div>`,
    )
    .join("");
  const stats = r.stats;
  const summary: [string, string][] = [
    ["scenario", r.scenario],
    ["seed", String(r.seed)],
    [
      "signature scheme",
      r.signatureScheme === "insecure-test-hash"
        ? "insecure-test-hash (fast, NOT secure: simulation only)"
        : r.signatureScheme,
    ],
    ["safety rules", r.safetyRules],
    ["virtual duration", fmtMs(r.durationMs)],
    ["commits (highest honest height)", String(r.commits)],
    ["rounds", String(r.rounds)],
    ["timeouts sent", String(stats.timeouts)],
    ["commit latency p50 / p99", `${r.latencyMs.p50} / ${r.latencyMs.p99} ms (virtual)`],
    [
      "messages sent (proposal / vote / timeout)",
      `${stats.messages.sent.proposal} / ${stats.messages.sent.vote} / ${stats.messages.sent.timeout}`,
    ],
    [
      "deliveries / lost / to down nodes / duplicated",
      `${stats.messages.delivered} / ${stats.messages.lost} / ${stats.messages.toDownNode} / ${stats.messages.duplicated}`,
    ],
    ["evidence effects", String(stats.evidence)],
    ["commitLogHash", r.commitLogHash],
    ["steps / wall time", `${stats.steps} / ${r.wallMs} ms`],
  ];
  const summaryRows = summary.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>megaseq sim: ${esc(r.scenario)} seed ${r.seed}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:16px 24px;color:#222}
h1{font-size:20px;margin:0 0 8px}
.row{display:flex;gap:32px;flex-wrap:wrap;align-items:flex-start}
table{border-collapse:collapse;font-size:13px}
th,td{text-align:left;padding:2px 10px 2px 0;vertical-align:top}
th{font-weight:500;color:#555}
.good{color:#2a7a2a;font-weight:600}.bad{color:#c00;font-weight:700}.na{color:#888}
.legend label{display:inline-block;margin-right:14px;font-size:12px}
.violation{border-left:4px solid #c00;padding:4px 10px;margin:8px 0;background:#fff5f5;font-size:13px}
pre{font-size:11px;overflow:auto;max-height:260px}
.key span{display:inline-block;width:12px;height:10px;margin:0 4px 0 12px;vertical-align:middle}
</style></head><body>
<h1>megaseq simulation — ${esc(r.scenario)} · seed ${r.seed}</h1>
<div class="row"><table>${summaryRows}</table><table><tr><th>invariant</th><th>result</th></tr>${invRows}</table></div>
${violations}
<div class="legend">${legend}</div>
<div class="key" style="font-size:12px;margin:4px 0"><span style="background:rgba(255,140,0,0.35)"></span>partition <span style="background:rgba(200,200,0,0.35)"></span>message loss <span style="background:rgba(214,39,40,0.55)"></span>crash <span style="background:rgba(31,119,180,0.45)"></span>pause — dashed lines: Byzantine instances</div>
<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui,sans-serif">${parts.join("")}</svg>
<script>
for (const box of document.querySelectorAll('.legend input')) {
  box.addEventListener('change', () => {
    for (const p of document.querySelectorAll('path.series[data-node="' + box.dataset.node + '"]')) p.style.display = box.checked ? '' : 'none';
  });
}
</script>
</body></html>
`;
}

function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms)} ms`;
}
