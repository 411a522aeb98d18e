// The chart of a soak report: panels over time (minutes) for the process RSS and open file
// descriptors (each with its fitted line after the warm-up), each worker's heap and event-loop
// delay, and the request rate. The warm-up is shaded. Drawing primitives are native-bench's.
import { FONT, esc, gridlines, line, text, yAxis } from '../../native-bench/lib/report-svg.mjs';

const WIDTH = 1000;
const LEFT = 70;
const RIGHT = 150; // legend column
const PANEL = 190;
const GAP = 26;
const WORKER_COLORS = ['#1565c0', '#ef6c00', '#2e7d32', '#6a1b9a', '#c62828', '#00838f', '#8d6e63', '#f9a825'];

const fixed = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

function panel(y0, title, series, { minutes, warmupMinutes, fit = null }) {
  const out = [];
  const x0 = LEFT;
  const width = WIDTH - LEFT - RIGHT;
  const values = series.flatMap((s) => s.points.map(([, v]) => v)).filter((v) => Number.isFinite(v));
  const axis = yAxis(Math.max(...values, 0) * 1.1);
  const plotTop = y0 + 24;
  const plotBottom = y0 + PANEL - 22;
  const x = (m) => x0 + (m / Math.max(minutes, 1e-9)) * width;
  const y = (v) => plotBottom - (v / axis.max) * (plotBottom - plotTop);
  out.push(text(x0, y0 + 14, title, 'font-size="13" font-weight="600"'));
  out.push(`<rect x="${x0}" y="${plotTop}" width="${(x(warmupMinutes) - x0).toFixed(1)}" height="${plotBottom - plotTop}" fill="#f5f5f5"><title>warm-up: not in the fit</title></rect>`);
  out.push(...gridlines(x0, width, axis, y));
  const step = minutes > 4 ? 1 : minutes > 1 ? 0.5 : 0.1;
  for (let m = 0; m <= minutes + 1e-9; m += step) {
    out.push(line(x(m), plotBottom, x(m), plotBottom + 4, 'stroke="#9e9e9e"'));
    out.push(text(x(m), plotBottom + 15, `${Number(m.toFixed(1))}`, 'text-anchor="middle" font-size="10" fill="#616161"'));
  }
  out.push(line(x0, plotBottom, x0 + width, plotBottom, 'stroke="#9e9e9e"'));
  series.forEach((s, i) => {
    const pts = s.points.filter(([, v]) => Number.isFinite(v)).map(([m, v]) => `${x(m).toFixed(1)},${y(v).toFixed(1)}`);
    if (pts.length > 0) out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${s.color}" stroke-width="1.6"><title>${esc(s.label)}</title></polyline>`);
    out.push(`<rect x="${x0 + width + 14}" y="${y0 + 24 + i * 16}" width="10" height="10" fill="${s.color}"/>`);
    out.push(text(x0 + width + 28, y0 + 33 + i * 16, s.label, 'font-size="11"'));
  });
  if (fit !== null) {
    const from = warmupMinutes;
    out.push(line(x(from), y(fit.intercept + fit.slope * from), x(minutes), y(fit.intercept + fit.slope * minutes), 'stroke="#212121" stroke-width="1.2" stroke-dasharray="5 3"'));
    const legendY = y0 + 24 + series.length * 16 + 12;
    out.push(text(x0 + width + 14, legendY, `fit: ${fit.slope >= 0 ? '+' : ''}${fixed(fit.slope)}/min`, 'font-size="11" font-weight="600"'));
    out.push(text(x0 + width + 14, legendY + 14, `bound: ${fit.bound}/min`, 'font-size="11" fill="#424242"'));
  }
  return out;
}

export function soakSvg(report) {
  const samples = report.samples;
  const minutes = Math.max(samples.at(-1)?.t ?? 0, 1) / 60;
  const warmupMinutes = report.options.warmupSeconds / 60;
  const at = (s) => s.t / 60;
  const indexes = [...new Set(samples.flatMap((s) => s.workers.map((w) => w.index)))].sort((a, b) => a - b);
  const perWorker = (field) => indexes.map((index) => ({
    label: `worker ${index}`,
    color: WORKER_COLORS[index % WORKER_COLORS.length],
    points: samples.map((s) => [at(s), field(s.workers.find((w) => w.index === index))]),
  }));
  const v = report.verdict;
  const opts = { minutes, warmupMinutes };
  const panels = [
    ['Process RSS (MiB)', [
      { label: 'RSS', color: '#c62828', points: samples.map((s) => [at(s), s.rssMiB]) },
      { label: 'anonymous', color: '#6d4c41', points: samples.map((s) => [at(s), s.rssAnonMiB]) },
      { label: 'file-backed', color: '#9e9e9e', points: samples.map((s) => [at(s), s.rssFileMiB]) },
    ],
      v.rss && { slope: v.rss.slopePerMin, intercept: v.rss.interceptMiB, bound: v.rss.boundPerMin }],
    ['Open file descriptors', [
      { label: 'fewest', color: '#283593', points: samples.map((s) => [at(s), s.fds]) },
      { label: 'most', color: '#90a4ae', points: samples.map((s) => [at(s), s.fdsPeak]) },
    ],
      v.fd && { slope: v.fd.slopePerMin, intercept: v.fd.intercept, bound: v.fd.boundPerMin }],
    ['Heap used per worker (MiB)', perWorker((w) => w?.heapUsedMiB ?? NaN), null],
    ['Event-loop delay p99 per worker (ms)', perWorker((w) => w?.eventLoopDelayMs?.p99 ?? NaN), null],
    ['Answers per second', [{ label: 'req/s', color: '#ef6c00', points: samples.map((s) => [at(s), s.rps]) }], null],
  ];
  const out = [
    text(20, 26, `Tollgate soak, ${report.startedAt}: ${report.verdict.pass ? 'PASS' : 'FAIL'}`, 'font-size="17" font-weight="700"'),
    text(20, 44, `${report.machine.cpus} CPUs (${report.machine.cpuModel}), node ${report.machine.node}; ${report.options.workers} workers, ` +
      `${report.options.connections} connections${report.options.rate > 0 ? ` at ${report.options.rate} req/s` : ''}, reload every ${report.options.reloadSeconds} s; minutes on the x axis, warm-up shaded`, 'font-size="11" fill="#424242"'),
  ];
  panels.forEach(([title, series, fit], i) => out.push(...panel(60 + i * (PANEL + GAP), title, series, { ...opts, fit: fit || null })));
  const height = 60 + panels.length * (PANEL + GAP);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT}>
<rect width="100%" height="100%" fill="white"/>
${out.join('\n')}
</svg>
`;
}
