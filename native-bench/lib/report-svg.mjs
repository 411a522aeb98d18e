// A hand-written SVG chart: requests/s bars per scenario (whiskers min–max), and below them the
// fixed-rate latency percentiles per contender on a log scale.

const WIDTH = 1120;
const LEFT = 170; // room for contender names in the latency panel
const GAP = 36;
const BAR_PANEL_HEIGHT = 250;
const ROW = 20;
export const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

const FIXED_COLORS = {
  direct: '#9e9e9e', nginx: '#2e7d32', haproxy: '#00838f', reference: '#6a1b9a',
  'fast-gateway': '#8d6e63', 'fastify-http-proxy': '#c2185b',
};
const TOLLGATE_COLORS = ['#ef6c00', '#1565c0', '#f9a825', '#0277bd', '#d84315', '#283593'];

export function colorsFor(contenders) {
  const colors = {};
  let t = 0;
  for (const c of contenders) colors[c.id] = FIXED_COLORS[c.id] ?? TOLLGATE_COLORS[t++ % TOLLGATE_COLORS.length];
  return colors;
}

export const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
export const text = (x, y, s, attrs = '') => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;
export const line = (x1, y1, x2, y2, attrs) => `<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" ${attrs}/>`;

/** A round grid step that gives 3 to 5 gridlines up to `top`, and the axis maximum. */
export function yAxis(top) {
  if (!(top > 0)) return { step: 1, max: 4 };
  const rough = top / 4;
  const pow = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((m) => m >= rough);
  return { step, max: Math.ceil(top / step) * step };
}

/** Horizontal gridlines with their values at the left, from 0 to the axis maximum. */
export function gridlines(x0, width, axis, y) {
  const out = [];
  for (let v = 0; v <= axis.max + axis.step / 2; v += axis.step) {
    out.push(line(x0, y(v), x0 + width, y(v), 'stroke="#e0e0e0"'));
    out.push(text(x0 - 4, y(v) + 4, kilo(v), 'text-anchor="end" font-size="10" fill="#616161"'));
  }
  return out;
}

export const kilo = (n) => (n >= 1000 ? `${(n / 1000).toFixed(n >= 100_000 ? 0 : 1)}k` : String(Math.round(n)));

function barChart(x0, y0, width, scenario, rows, colors) {
  const out = [];
  const top = Math.max(...rows.map((r) => r.rps.max));
  const axis = yAxis(top * 1.08);
  const yMax = axis.max;
  const plotTop = y0 + 30;
  const plotBottom = y0 + BAR_PANEL_HEIGHT - 20;
  const y = (v) => plotBottom - (v / yMax) * (plotBottom - plotTop);
  out.push(text(x0 + width / 2, y0 + 12, `${scenario.id}: ${scenario.method} ${scenario.path}`, 'text-anchor="middle" font-size="13" font-weight="600"'));
  out.push(...gridlines(x0, width, axis, y));
  out.push(text(x0 - 4, plotTop - 8, 'req/s', 'text-anchor="end" font-size="10" fill="#616161"'));
  const slot = width / Math.max(rows.length, 1);
  const barWidth = Math.min(34, slot * 0.7);
  rows.forEach((r, i) => {
    const cx = x0 + slot * (i + 0.5);
    const h = plotBottom - y(r.rps.median);
    out.push(`<rect x="${(cx - barWidth / 2).toFixed(1)}" y="${y(r.rps.median).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}" fill="${colors[r.contender]}"><title>${esc(`${r.label}: ${Math.round(r.rps.median)} req/s (min ${Math.round(r.rps.min)}, max ${Math.round(r.rps.max)})`)}</title></rect>`);
    out.push(line(cx, y(r.rps.min), cx, y(r.rps.max), 'stroke="#212121" stroke-width="1.2"'));
    out.push(line(cx - 4, y(r.rps.min), cx + 4, y(r.rps.min), 'stroke="#212121" stroke-width="1.2"'));
    out.push(line(cx - 4, y(r.rps.max), cx + 4, y(r.rps.max), 'stroke="#212121" stroke-width="1.2"'));
    out.push(text(cx, y(r.rps.max) - 5, `${kilo(r.rps.median)} req/s`, 'text-anchor="middle" font-size="10"'));
  });
  out.push(line(x0, plotBottom, x0 + width, plotBottom, 'stroke="#9e9e9e"'));
  return out;
}

function logDomain(values) {
  const xs = values.filter((v) => v > 0);
  if (xs.length === 0) return [0.1, 10];
  return [10 ** Math.floor(Math.log10(Math.min(...xs))), 10 ** Math.ceil(Math.log10(Math.max(...xs)))];
}

const msLabel = (v) => (v >= 1000 ? `${v / 1000}k` : String(Number(v.toPrecision(2))));

function latencyChart(x0, y0, width, scenario, rows, colors) {
  const out = [];
  const [lo, hi] = logDomain(rows.flatMap((r) => (r.fixed ? [r.fixed.p50, r.fixed.p99, r.fixed.p999] : [])));
  const x = (v) => x0 + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * width;
  const plotTop = y0 + 22;
  const plotBottom = plotTop + rows.length * ROW;
  out.push(text(x0 + width / 2, y0 + 12, `${scenario.id}: ${scenario.method} ${scenario.path}`, 'text-anchor="middle" font-size="13" font-weight="600"'));
  // 2 and 5 get a label only where a decade is wide enough for three labels side by side
  const decadeWidth = width / Math.round(Math.log10(hi / lo));
  for (let decade = lo; decade <= hi * 1.0001; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const v = decade * m;
      if (v > hi * 1.0001) break;
      out.push(line(x(v), plotTop, x(v), plotBottom, `stroke="${m === 1 ? '#bdbdbd' : '#eeeeee'}"`));
      if (m === 1 || decadeWidth >= 110) out.push(text(x(v), plotBottom + 13, msLabel(v), 'text-anchor="middle" font-size="10" fill="#616161"'));
    }
  }
  rows.forEach((r, i) => {
    if (!r.fixed || !(r.fixed.p50 > 0)) return;
    const cy = plotTop + ROW * (i + 0.5);
    const c = colors[r.contender];
    const tip = `<title>${esc(`${r.label}: p50 ${r.fixed.p50} ms, p99 ${r.fixed.p99} ms, p99.9 ${r.fixed.p999} ms`)}</title>`;
    out.push(line(x(r.fixed.p50), cy, x(r.fixed.p999), cy, `stroke="${c}" stroke-width="2"`));
    out.push(`<circle cx="${x(r.fixed.p50).toFixed(1)}" cy="${cy}" r="4" fill="${c}">${tip}</circle>`);
    out.push(`<rect x="${(x(r.fixed.p99) - 4).toFixed(1)}" y="${cy - 4}" width="8" height="8" fill="${c}" transform="rotate(45 ${x(r.fixed.p99).toFixed(1)} ${cy})">${tip}</rect>`);
    out.push(`<circle cx="${x(r.fixed.p999).toFixed(1)}" cy="${cy}" r="4" fill="white" stroke="${c}" stroke-width="2">${tip}</circle>`);
  });
  out.push(text(x0 + width / 2, plotBottom + 28, 'ms (log scale)', 'text-anchor="middle" font-size="10" fill="#616161"'));
  return out;
}

function legend(y, contenders, colors) {
  const out = [];
  let x = LEFT;
  for (const c of contenders) {
    const w = 22 + c.label.length * 6.2;
    if (x + w > WIDTH - 10) {
      x = LEFT;
      y += 18;
    }
    out.push(`<rect x="${x}" y="${y - 9}" width="12" height="12" fill="${colors[c.id]}"/>`, text(x + 16, y + 1, c.label, 'font-size="11"'));
    x += w + 12;
  }
  return { items: out, bottom: y + 12 };
}

export function svgReport(report) {
  const { scenarios, rows, contenders } = report;
  const shown = contenders.filter((c) => rows.some((r) => r.contender === c.id));
  const colors = colorsFor(shown);
  const n = Math.max(scenarios.length, 1);
  const chartWidth = (WIDTH - LEFT - 20 - GAP * (n - 1)) / n;
  const out = [];
  const m = report.machine;
  out.push(text(20, 26, `Tollgate native bench, ${report.startedAt}`, 'font-size="17" font-weight="700"'));
  out.push(text(20, 44, `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB; node ${m.versions.node}`, 'font-size="11" fill="#424242"'));
  report.pinning.forEach((p, i) => out.push(text(20, 60 + 14 * i, p, 'font-size="11" fill="#424242"')));
  const leg = legend(60 + 14 * report.pinning.length + 14, shown, colors);
  out.push(...leg.items);

  let y = leg.bottom + 14;
  out.push(text(20, y + 12, `Requests/s, closed loop, ${report.options.connections} connections (median of ${report.options.reps}; whiskers min–max)`, 'font-size="14" font-weight="600"'));
  y += 24;
  scenarios.forEach((s, i) => {
    const scenarioRows = shown.map((c) => rows.find((r) => r.scenario === s.id && r.contender === c.id)).filter(Boolean);
    out.push(...barChart(LEFT + i * (chartWidth + GAP), y, chartWidth, s, scenarioRows, colors));
  });
  y += BAR_PANEL_HEIGHT + 16;

  out.push(text(20, y + 12, `Latency at a fixed rate (~${report.options.rate} req/s offered): ● p50  ◆ p99  ○ p99.9`, 'font-size="14" font-weight="600"'));
  y += 24;
  shown.forEach((c, i) => out.push(text(LEFT - 12, y + 22 + ROW * (i + 0.5) + 4, c.label, 'text-anchor="end" font-size="11"')));
  scenarios.forEach((s, i) => {
    const scenarioRows = shown.map((c) => rows.find((r) => r.scenario === s.id && r.contender === c.id) ?? { contender: c.id, fixed: null });
    out.push(...latencyChart(LEFT + i * (chartWidth + GAP), y, chartWidth, s, scenarioRows, colors));
  });
  const height = Math.ceil(y + 22 + shown.length * ROW + 44);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT}>
<rect width="100%" height="100%" fill="white"/>
${out.join('\n')}
</svg>
`;
}
