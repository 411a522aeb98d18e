// The Markdown report and the terminal tables: one table per scenario, then scaling.
import { cpuFigure } from './summary.mjs';

const int = (n) => (n === null || n === undefined ? '-' : Math.round(n).toLocaleString('en-US'));
// Milliseconds; below 1 ms with microsecond decimals, so a 40 us latency reads 0.040, not 0.04 or 0.0.
const ms = (n) => (n === null || n === undefined ? '-' : n < 1 ? n.toFixed(3) : n < 10 ? n.toFixed(2) : n.toFixed(1));
const times = (n) => (n === null || n === undefined ? '-' : `${n.toFixed(2)}x`);

const PACING = {
  schedule: "wrk/load.lua's delay() gives each connection whose answer arrived the next free slot of one schedule at that rate",
  'think-time': 'each connection waits connections/rate ± 50% between requests: wrk had no LuaJIT ffi for a clock',
};

// Every figure's unit is in its column header (ratios carry an x).
export const TABLE_HEADERS = [
  'contender', 'req/s (median)', 'req/s min–max', 'p50 ms', 'p99 ms',
  'fixed req/s', 'fixed p50 ms', 'fixed p99 ms', 'fixed p99.9 ms', 'vs nginx', 'vs direct', 'CPU us/req', 'closed CPU us/req', 'CPU vs nginx', 'vs plain route', 'CPU vs plain route',
];

export function rowCells(row) {
  return [
    row.label,
    int(row.rps.median),
    `${int(row.rps.min)}–${int(row.rps.max)}`,
    ms(row.closed.p50),
    ms(row.closed.p99),
    int(row.fixed?.rps),
    ms(row.fixed?.p50),
    ms(row.fixed?.p99),
    ms(row.fixed?.p999),
    times(row.vsNginx),
    times(row.vsDirect),
    cpuFigure(row) === null ? '-' : cpuFigure(row).toFixed(1),
    row.cpuUs.closed === null || row.cpuUs.closed === undefined ? '-' : row.cpuUs.closed.toFixed(1),
    times(row.cpuVsNginx),
    times(row.vsPlain),
    times(row.cpuVsPlain),
  ];
}

/** --gc: one line per Tollgate contender and scenario (gc-figures.mjs). */
export const GC_HEADERS = ['scenario', 'contender', 'worker B/req', 'worker scavenges/s', 'worker GC ms/s', 'supervisor KiB/min', 'supervisor GC ms/min'];

export function gcCells(row) {
  const g = row.gc;
  const fixed = (n, d) => (n === null || n === undefined ? '-' : n.toFixed(d));
  return [row.scenario, row.label, int(g.workerBytesPerRequest), fixed(g.workerScavengesPerSecond, 1), fixed(g.workerGcMsPerSecond, 2),
    fixed(g.supervisorBytesPerMinute / 1024, 1), fixed(g.supervisorGcMsPerMinute, 2)];
}

export const GC_NOTE = 'Garbage (--gc): every thread of the gateway ran native-bench/lib/gc-meter.cjs, which reads V8\'s GCProfiler ' +
  'and heap statistics each second; worker B/req is the bytes the worker isolate(s) allocated over the fixed-rate run divided by the ' +
  'requests served in it, the supervisor figures are its isolate\'s allocation and collection time per minute over the same run.';

export const SCALING_HEADERS = ['scenario', 'contender', 'workers', 'cpus', 'req/s', 'req/s per worker', 'vs 1 worker', 'efficiency', 'shares cores with wrk'];

export function scalingCells(s) {
  const efficiency = s.efficiency === null ? '-' : `${Math.round(s.efficiency * 100)}%`;
  return [s.scenario, s.contender, String(s.workers), s.cpus, int(s.rps), int(s.perWorker), times(s.speedup), efficiency, s.contended ? 'yes' : 'no'];
}

/** Aligned plain-text table for the terminal. */
export function textTable(headers, body) {
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function mdTable(headers, body) {
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...body.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
}

function machineLines(m) {
  const v = Object.entries(m.versions).map(([name, version]) => `${name} ${version}`).join('; ');
  return [
    `- CPU: ${m.cpuModel}, ${m.cores} cores online (${m.onlineCpus}), ${m.memoryGiB} GiB memory`,
    `- ${m.os}, kernel ${m.kernel}`,
    `- Versions: ${v}`,
  ];
}

export function markdownReport(report, svgName) {
  const o = report.options;
  const lines = [
    `# Tollgate native bench, ${report.startedAt}`,
    '',
    ...machineLines(report.machine),
    '',
    '## How it was measured',
    '',
    ...report.pinning.map((line) => `- ${line}`),
    `- Load: wrk, ${o.threads} thread(s), ${o.connections} connections. Closed loop for ${o.duration} s after a ${o.warmup} s warm-up; ` +
      `then a fixed-rate run of ${o.rateDuration} s offering ${o.rate} req/s (${PACING[report.pacing] ?? report.pacing}).`,
    `- ${o.reps} repetition(s), the contender order rotated each time and reversed every other time; every contender is started fresh per repetition. ` +
      'req/s is the median of the closed-loop runs (min–max beside it); latencies are the medians of the per-run percentiles.',
    '- vs nginx / vs direct: median req/s against nginx proxying the same path, and against wrk on the upstream with no proxy.',
    "- CPU us/req: user + system CPU time of the proxy's whole process group (from /proc) per request, over the fixed-rate run (the closed-loop run when there is none); " +
      'every contender carries the same load there, so it measures the work a proxy does per request and moves far less between runs than req/s does. CPU vs nginx: that figure against nginx\'s (lower is better). ' +
      'closed CPU us/req: the same over the closed-loop runs (median), where the proxy is saturated and batches its work: the steadiest figure on a noisy machine.',
    '',
    `![requests/s and latency](${svgName})`,
    '',
  ];
  for (const scenario of report.scenarios) {
    const rows = report.rows.filter((r) => r.scenario === scenario.id);
    lines.push(`## ${scenario.id}: ${scenario.method} ${scenario.path}, ${scenario.title}`, '', mdTable(TABLE_HEADERS, rows.map(rowCells)), '');
  }
  const gcRows = report.rows.filter((r) => r.gc);
  if (gcRows.length > 0) lines.push('## Garbage', '', mdTable(GC_HEADERS, gcRows.map(gcCells)), '', `> ${GC_NOTE}`, '');
  if (report.scaling.length > 0) {
    lines.push('## Tollgate workers', '', mdTable(SCALING_HEADERS, report.scaling.map(scalingCells)), '');
    if (report.scaling.some((s) => s.contended)) lines.push(`> ${report.contentionNote}`, '');
  }
  if (report.problems.length > 0) lines.push('## Problems', '', ...report.problems.map((p) => `- ${p}`), '');
  if (report.notes.length > 0) lines.push('## Notes', '', ...report.notes.map((n) => `- ${n}`), '');
  lines.push('## Contenders', '', ...report.contenders.map((c) => `- \`${c.id}\`: ${c.label}, pinned to CPU ${c.cpus}${c.description ? `; ${c.description}` : ''}`), '');
  return lines.join('\n');
}
