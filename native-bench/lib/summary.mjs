// From the raw runs to one row per scenario and contender: medians over the repetitions,
// the spread, and ratios against nginx and against the upstream measured directly.

export function median(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

const errorsOf = (result) => {
  if (!result) return 0;
  const e = result.socketErrors;
  return e.connect + e.read + e.write + e.timeout;
};

function row(scenario, contender, runs) {
  const rps = runs.map((r) => r.closed.rps);
  const fixed = runs.map((r) => r.fixed).filter(Boolean);
  return {
    scenario: scenario.id,
    contender: contender.id,
    label: contender.label,
    reps: runs.length,
    rps: { median: median(rps), min: Math.min(...rps), max: Math.max(...rps), values: rps },
    closed: {
      p50: median(runs.map((r) => r.closed.latency?.p50)),
      p99: median(runs.map((r) => r.closed.latency?.p99)),
      p999: median(runs.map((r) => r.closed.summary?.latency.p999)),
    },
    fixed: fixed.length === 0 ? null : {
      rps: median(fixed.map((f) => f.rps)),
      p50: median(fixed.map((f) => f.summary?.latency.p50)),
      p99: median(fixed.map((f) => f.summary?.latency.p99)),
      p999: median(fixed.map((f) => f.summary?.latency.p999)),
    },
    // CPU microseconds the proxy used per request (its whole process group, from /proc).
    cpuUs: {
      closed: median(runs.map((r) => r.closed.cpuUsPerRequest)),
      fixed: median(fixed.map((f) => f.cpuUsPerRequest)),
    },
    // --gc: medians over the repetitions (gc-figures.mjs); null without it.
    gc: runs.some((r) => r.gc) ? {
      workerBytesPerRequest: median(runs.map((r) => r.gc?.workerBytesPerRequest)),
      workerScavengesPerSecond: median(runs.map((r) => r.gc?.workerScavengesPerSecond)),
      workerGcMsPerSecond: median(runs.map((r) => r.gc?.workerGcMsPerSecond)),
      supervisorBytesPerMinute: median(runs.map((r) => r.gc?.supervisorBytesPerMinute)),
      supervisorGcMsPerMinute: median(runs.map((r) => r.gc?.supervisorGcMsPerMinute)),
    } : null,
    non2xx: runs.reduce((n, r) => n + r.closed.non2xx + (r.fixed?.non2xx ?? 0), 0),
    socketErrors: runs.reduce((n, r) => n + errorsOf(r.closed) + errorsOf(r.fixed), 0),
  };
}

/**
 * CPU per request at the fixed rate when there was a fixed-rate run (every contender carries
 * the same load there, so it is comparable and steady), else over the closed-loop run.
 */
export const cpuFigure = (row) => row.cpuUs.fixed ?? row.cpuUs.closed;

const ratio = (a, b) => (a !== null && b !== null && b > 0 ? a / b : null);

export function summarize(runs, contenders, scenarios) {
  const rows = [];
  for (const scenario of scenarios) {
    const forScenario = [];
    for (const contender of contenders) {
      const mine = runs.filter((r) => r.scenario === scenario.id && r.contender === contender.id);
      if (mine.length > 0) forScenario.push(row(scenario, contender, mine));
    }
    const nginx = forScenario.find((r) => r.contender === 'nginx');
    const direct = forScenario.find((r) => r.contender === 'direct');
    for (const r of forScenario) {
      r.vsNginx = nginx ? ratio(r.rps.median, nginx.rps.median) : null;
      r.vsDirect = direct ? ratio(r.rps.median, direct.rps.median) : null;
      r.fixedP99VsNginx = nginx?.fixed && r.fixed ? ratio(r.fixed.p99, nginx.fixed.p99) : null;
      r.cpuVsNginx = nginx ? ratio(cpuFigure(r), cpuFigure(nginx)) : null;
    }
    rows.push(...forScenario);
  }
  // A scenario measured against another of the same contender (auth against small).
  for (const scenario of scenarios.filter((s) => s.plain)) {
    for (const r of rows.filter((x) => x.scenario === scenario.id)) {
      const plain = rows.find((x) => x.scenario === scenario.plain && x.contender === r.contender);
      r.vsPlain = plain ? ratio(r.rps.median, plain.rps.median) : null;
      r.cpuVsPlain = plain ? ratio(cpuFigure(r), cpuFigure(plain)) : null;
    }
  }
  return rows;
}

/** Tollgate's rows by worker count, against the 1-worker row on the same uWS build where there is one. */
export function scaling(rows, contenders) {
  const out = [];
  for (const scenarioId of [...new Set(rows.map((r) => r.scenario))]) {
    const gateways = contenders.filter((c) => c.kind === 'tollgate');
    for (const c of gateways) {
      const r = rows.find((x) => x.scenario === scenarioId && x.contender === c.id);
      if (!r) continue;
      const one = rows.find((x) => x.scenario === scenarioId && x.contender === gateways.find((g) => g.workers === 1 && g.uws === c.uws)?.id);
      const speedup = one ? ratio(r.rps.median, one.rps.median) : null;
      out.push({
        scenario: scenarioId, contender: c.id, workers: c.workers, cpus: c.cpuList, contended: c.contended,
        rps: r.rps.median, perWorker: r.rps.median / c.workers, speedup, efficiency: speedup === null ? null : speedup / c.workers,
      });
    }
  }
  return out;
}

/** Rows whose figures do not measure the path: non-2xx answers or socket errors. */
export function invalidRows(rows) {
  return rows.filter((r) => r.non2xx > 0 || r.socketErrors > 0);
}
