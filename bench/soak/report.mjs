// The Markdown of a soak report: verdict, traffic, then every sample.

const f1 = (n) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const f2 = (n) => (Number.isFinite(n) ? n.toFixed(2) : '-');
const signed = (n, digits) => `${n >= 0 ? '+' : ''}${n.toFixed(digits)}`;
const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');

function table(headers, rows) {
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => ' ---: ').join('|')}|`,
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ];
}

function verdictLines(v) {
  const row = (name, fit, unit) => (fit === null
    ? [name, '-', '-', 'no fit']
    : [name, `${signed(fit.slopePerMin, 3)} ${unit}/min`, `${fit.boundPerMin} ${unit}/min`, fit.slopePerMin <= fit.boundPerMin ? 'within' : '**above**']);
  return [
    ...table(['figure', 'slope after the warm-up', 'bound', ''], [
      row('process RSS', v.rss, 'MiB'),
      ...(v.rssAnon ? [['anonymous part of RSS', `${signed(v.rssAnon.slopePerMin, 3)} MiB/min`, '-', 'shown, not bounded']] : []),
      row('open file descriptors (fewest per interval)', v.fd, 'fds'),
    ]),
    '',
    `Fitted by least squares over the ${v.samplesAfterWarmup} samples after the warm-up.`,
    ...(v.reasons.length > 0 ? ['', '**Fails:**', ...v.reasons.map((r) => `- ${r}`)] : []),
  ];
}

function trafficLines(report) {
  const tr = report.traffic;
  const statuses = Object.entries(tr.byStatus).map(([s, n]) => `${s}: ${int(n)}`).join(', ');
  const aborts = Object.entries(tr.aborts).map(([k, n]) => `${k} ${int(n)}`).join(', ');
  return [
    `- ${int(tr.requests)} answers in ${f1(report.durationSeconds / 60)} min (${int(tr.rps)} req/s on average); by status: ${statuses}`,
    `- the mix, per connection in turn: ${report.mix.map((m) => `${m.name} (${m.method} ${m.path}, expects ${m.expect})`).join('; ')}`,
    `- socket errors ${int(tr.errors)}, timeouts ${int(tr.timeouts)}${Object.keys(tr.unexpected).length > 0 ? `; unexpected statuses: ${JSON.stringify(tr.unexpected)}` : ''}`,
    `- clients that left mid-request: ${aborts}`,
    `- reloads (POST /reload, alternating two configs): ${tr.reloads.ok} applied, ${tr.reloads.failed} failed`,
    `- worker crashes: ${report.gateway.crashes}; the gateway stopped with ${report.gateway.exit}`,
  ];
}

function sampleLines(report) {
  const indexes = [...new Set(report.samples.flatMap((s) => s.workers.map((w) => w.index)))].sort((a, b) => a - b);
  const headers = ['t (s)', 'RSS MiB', 'anon MiB', 'file MiB', 'fds (fewest)', 'fds (most)', 'threads', 'req/s', 'load 1m',
    ...indexes.map((i) => `heap w${i} MiB`), ...indexes.map((i) => `ELD p99 w${i} ms`), ...indexes.map((i) => `ELU w${i}`)];
  const rows = report.samples.map((s) => {
    const w = (i) => s.workers.find((x) => x.index === i);
    return [
      String(Math.round(s.t)), f1(s.rssMiB), f1(s.rssAnonMiB), f1(s.rssFileMiB), String(s.fds), String(s.fdsPeak), String(s.threads), int(s.rps), f2(s.load1),
      ...indexes.map((i) => f1(w(i)?.heapUsedMiB)), ...indexes.map((i) => f2(w(i)?.eventLoopDelayMs?.p99)), ...indexes.map((i) => f2(w(i)?.eventLoopUtilization)),
    ];
  });
  return table(headers, rows);
}

export function soakMarkdown(report, svgName) {
  const m = report.machine;
  const o = report.options;
  return [
    `# Tollgate soak, ${report.startedAt}: ${report.verdict.pass ? 'PASS' : 'FAIL'}`,
    '',
    `![RSS, file descriptors, heap, event-loop delay and rate over time](${svgName})`,
    '',
    `Tollgate ${m.revision}; ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, node ${m.node} on ${m.platform}; load average ${m.loadavgStart.map(f2).join(' ')} at the start, ${m.loadavgEnd.map(f2).join(' ')} at the end.`,
    `${o.workers} workers; autocannon, ${o.connections} connections, pipelining 1${o.rate > 0 ? `, ${o.rate} req/s offered` : ', closed loop'}; a client leaving mid-request every ${o.abortIntervalMs} ms; a reload every ${o.reloadSeconds} s; a sample every ${o.sampleSeconds} s (RSS from /proc; open fds read from /proc every second, the fewest and the most since the previous sample, the fewest fitted; heap and event-loop delay from each worker through SIGUSR2); warm-up ${f1(o.warmupSeconds)} s.`,
    ...(report.note ? ['', `Note: ${report.note}`] : []),
    '',
    '## Verdict',
    '',
    ...verdictLines(report.verdict),
    '',
    '## Traffic',
    '',
    ...trafficLines(report),
    '',
    '## Samples',
    '',
    ...sampleLines(report),
    '',
  ].join('\n');
}
