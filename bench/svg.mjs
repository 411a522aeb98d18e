// The chart of an `npm run bench` report: per scenario, one bar per target (the upstream
// directly, then the gateway per worker count) with its requests/s, the gateway/direct ratio
// above each gateway bar, and p50/p99 under it. Drawing primitives are native-bench's.
import { FONT, esc, gridlines, kilo, line, text, yAxis } from '../native-bench/lib/report-svg.mjs';

const WIDTH = 1000;
const LEFT = 60;
const GAP = 30;
const PANEL = 300;
const COLORS = ['#9e9e9e', '#ef6c00', '#1565c0', '#f9a825', '#0277bd', '#d84315'];
/** Milliseconds with microsecond decimals (sub-millisecond latencies must not read "0"). */
const ms = (value) => `${value.toFixed(3)} ms`;

function panel(x0, y0, width, scenario, rows, colorOf) {
  const out = [];
  const axis = yAxis(Math.max(...rows.map((r) => r.rps)) * 1.12);
  const plotTop = y0 + 34;
  const plotBottom = y0 + PANEL - 46;
  const y = (v) => plotBottom - (v / axis.max) * (plotBottom - plotTop);
  const shown = rows.find((r) => r.target !== 'direct') ?? rows[0];
  out.push(text(x0 + width / 2, y0 + 14, `${scenario} (${shown?.request ?? ''})`, 'text-anchor="middle" font-size="13" font-weight="600"'));
  out.push(...gridlines(x0, width, axis, y));
  out.push(text(x0 - 4, plotTop - 8, 'req/s', 'text-anchor="end" font-size="10" fill="#616161"'));
  const slot = width / Math.max(rows.length, 1);
  const bar = Math.min(46, slot * 0.6);
  rows.forEach((r, i) => {
    const cx = x0 + slot * (i + 0.5);
    const tip = `<title>${esc(`${scenario} ${r.target}: ${Math.round(r.rps)} req/s, p50 ${ms(r.p50Ms)}, p99 ${ms(r.p99Ms)}`)}</title>`;
    out.push(`<rect x="${(cx - bar / 2).toFixed(1)}" y="${y(r.rps).toFixed(1)}" width="${bar.toFixed(1)}" height="${(plotBottom - y(r.rps)).toFixed(1)}" fill="${colorOf(r.target)}">${tip}</rect>`);
    const label = r.ratio === null || r.ratio === undefined ? `${kilo(r.rps)} req/s` : `${kilo(r.rps)} req/s (${r.ratio.toFixed(2)}x)`;
    out.push(text(cx, y(r.rps) - 5, label, 'text-anchor="middle" font-size="10"'));
    out.push(text(cx, plotBottom + 14, r.target, 'text-anchor="middle" font-size="10"'));
    out.push(text(cx, plotBottom + 27, `p50 ${ms(r.p50Ms)} / p99 ${ms(r.p99Ms)}`, 'text-anchor="middle" font-size="9" fill="#616161"'));
  });
  out.push(line(x0, plotBottom, x0 + width, plotBottom, 'stroke="#9e9e9e"'));
  return out;
}

export function benchSvg(report) {
  const scenarios = [...new Set(report.rows.map((r) => r.scenario))];
  const targets = [...new Set(report.rows.map((r) => r.target))];
  const colorOf = (target) => COLORS[targets.indexOf(target) % COLORS.length];
  const perRow = Math.min(scenarios.length, 2) || 1;
  const width = (WIDTH - LEFT - 20 - GAP * (perRow - 1)) / perRow;
  const o = report.options;
  const out = [
    text(20, 26, `Tollgate bench, ${report.startedAt}`, 'font-size="17" font-weight="700"'),
    text(20, 44, `node ${report.node}, ${report.cpus} CPUs (${report.cpuModel}); autocannon, ${o.connections} connections, ${o.duration} s per run; ratio = gateway / direct upstream`, 'font-size="11" fill="#424242"'),
  ];
  scenarios.forEach((s, i) => {
    const rows = report.rows.filter((r) => r.scenario === s);
    out.push(...panel(LEFT + (i % perRow) * (width + GAP), 60 + Math.floor(i / perRow) * PANEL, width, s, rows, colorOf));
  });
  const height = 60 + Math.ceil(scenarios.length / perRow) * PANEL + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT}>
<rect width="100%" height="100%" fill="white"/>
${out.join('\n')}
</svg>
`;
}
