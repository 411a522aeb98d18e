#!/usr/bin/env node
// `npm run bench:native`: Tollgate against nginx, HAProxy, a bare uWS+undici proxy and Node
// gateways, in one run, under one load generator (wrk), one upstream and one pinning. See README.md.
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installExitHandlers } from './lib/children.mjs';
import { buildContenders } from './lib/contenders.mjs';
import { formatCpuList, pinningPlan } from './lib/cpus.mjs';
import { ensureAptTools, ensurePeers } from './lib/install.mjs';
import { describeMachine } from './lib/machine.mjs';
import { measureAll } from './lib/measure.mjs';
import { readOptions, USAGE } from './lib/options.mjs';
import { GC_HEADERS, GC_NOTE, gcCells, markdownReport, rowCells, SCALING_HEADERS, scalingCells, TABLE_HEADERS, textTable } from './lib/report-md.mjs';
import { writeReportFiles } from './lib/report-files.mjs';
import { svgReport } from './lib/report-svg.mjs';
import { pickScenarios } from './lib/scenarios.mjs';
import { invalidRows, scaling, summarize } from './lib/summary.mjs';
import { startUpstream } from './lib/upstream.mjs';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH_DIR, '..');
const START_STOP_SECONDS = 3; // a rough allowance per contender start and stop, for the estimate

function pinningLines(plan, contenders, opts) {
  const one = formatCpuList(plan.proxy.slice(0, 1));
  const load = formatCpuList(plan.load);
  const singles = contenders.filter((c) => c.kind !== 'direct' && c.cpuList === one).map((c) => c.id);
  const lines = [
    `proxies pinned to CPU ${one} (taskset -c ${one}): ${singles.join(', ')}`,
    `wrk and the upstream nginx (${opts.upstreamWorkers} worker${opts.upstreamWorkers === 1 ? '' : 's'}) pinned to CPU ${load} (taskset -c ${load}), identically for every contender`,
  ];
  for (const c of contenders.filter((x) => x.kind === 'tollgate' && x.cpuList !== one)) {
    lines.push(c.contended
      ? `${c.id} runs ${c.workers} worker threads, which cannot share one core: pinned to CPU ${c.cpuList}, so it competes with wrk and the upstream for CPU ${load}`
      : `${c.id} runs ${c.workers} worker threads, pinned to CPU ${c.cpuList}`);
  }
  return lines;
}

const CONTENTION_NOTE =
  'Contention: a gateway whose workers need more cores than the proxy cores shares the load cores with wrk and the upstream, ' +
  'so its figures mix its own scaling with the load generator slowing down. On a 2-core machine "workers auto" can only show ' +
  'that a second worker does not hurt; measure scaling on a many-core host (native-bench/README.md).';

/** Figures that do not measure the path: non-2xx answers or socket errors (the exit code says so). */
function problemsOf(rows) {
  return invalidRows(rows).map((r) => `${r.scenario} ${r.contender}: ${r.non2xx} non-2xx answers and ${r.socketErrors} socket errors; its figures do not measure the path`);
}

/** Figures to read with care. */
function notesOf(rows, contenders, workersSeen, opts) {
  const notes = [];
  for (const r of rows) {
    if (r.fixed && r.fixed.rps < 0.9 * opts.rate) {
      notes.push(`${r.scenario} ${r.contender}: the fixed-rate run reached ${Math.round(r.fixed.rps)} of the ${opts.rate} req/s offered: with all ${opts.connections} connections busy, its fixed-rate latencies are those of a saturated proxy`);
    }
  }
  for (const c of contenders.filter((x) => x.kind === 'tollgate')) {
    const seen = workersSeen[c.id];
    if (seen !== undefined && seen !== null && seen !== c.workers) notes.push(`${c.id} started ${seen} workers; the bench assumed ${c.workers}`);
  }
  return notes;
}

function writeResults(report, outDir) {
  const stamp = writeReportFiles(outDir, report, (svgName) => markdownReport(report, svgName), svgReport(report));
  return join(outDir, stamp);
}

function printTables(report) {
  for (const scenario of report.scenarios) {
    const rows = report.rows.filter((r) => r.scenario === scenario.id);
    console.log(`\n${scenario.id}: ${scenario.method} ${scenario.path}, ${scenario.title}`);
    console.log(textTable(TABLE_HEADERS, rows.map(rowCells)));
  }
  const gcRows = report.rows.filter((r) => r.gc);
  if (gcRows.length > 0) {
    console.log('\nGarbage');
    console.log(textTable(GC_HEADERS, gcRows.map(gcCells)));
    console.log(GC_NOTE);
  }
  if (report.scaling.length > 0) {
    console.log('\nTollgate workers');
    console.log(textTable(SCALING_HEADERS, report.scaling.map(scalingCells)));
    if (report.scaling.some((s) => s.contended)) console.log(CONTENTION_NOTE);
  }
  for (const note of report.notes) console.log(`note: ${note}`);
  for (const problem of report.problems) console.log(`problem: ${problem}`);
}

async function main() {
  const opts = readOptions(process.argv.slice(2), BENCH_DIR);
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const scenarios = pickScenarios(opts.scenarios);
  const plan = pinningPlan(opts.proxyCpus, opts.loadCpus);
  if (!existsSync(join(ROOT, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
  const tools = ensureAptTools({ install: opts.install });

  const tmp = mkdtempSync(join(os.tmpdir(), 'tollgate-native-bench-'));
  chmodSync(tmp, 0o755); // nginx's workers run as nobody when the bench runs as root
  installExitHandlers(() => rmSync(tmp, { recursive: true, force: true }));
  const ctx = { root: ROOT, benchDir: BENCH_DIR, tmp, tools, plan, upstream: null, gc: opts.gc };
  const contenders = buildContenders(ctx, { workers: opts.workers, ids: opts.contenders, baseline: opts.baseline, uws: opts.uws });
  if (contenders.some((c) => c.id === 'fast-gateway' || c.id === 'fastify-http-proxy')) ensurePeers(BENCH_DIR, { install: opts.install });

  const pinning = pinningLines(plan, contenders, opts);
  const perContender = scenarios.length * (opts.warmup + opts.duration + opts.rateDuration) + START_STOP_SECONDS;
  const estimate = Math.max(1, Math.round((opts.reps * contenders.length * perContender) / 60));
  process.stderr.write(`native-bench: ${contenders.length} contenders x ${scenarios.length} scenarios x ${opts.reps} repetition(s), about ${estimate} min\n`);
  for (const line of pinning) process.stderr.write(`pinning: ${line}\n`);

  const startedAt = new Date().toISOString();
  const machine = describeMachine({ root: ROOT, benchDir: BENCH_DIR, tools });
  ctx.upstream = await startUpstream(ctx, { cpus: plan.load, workers: opts.upstreamWorkers });
  let measured;
  try {
    measured = await measureAll(ctx, opts, contenders, scenarios);
  } finally {
    await ctx.upstream.stop();
  }
  const rows = summarize(measured.runs, contenders, scenarios);
  const report = {
    version: 1,
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    options: { ...opts, out: undefined, save: undefined, outGiven: undefined, help: undefined, install: undefined },
    pinning,
    pacing: [...new Set(measured.runs.map((r) => r.fixed?.summary?.pacing).filter(Boolean))].join(', ') || 'none',
    contentionNote: CONTENTION_NOTE,
    contenders: contenders.map(({ id, label, kind, workers, cpuList, contended, description }) => ({
      id, label, kind, workers, startedWorkers: measured.workersSeen[id], cpus: cpuList, contended, description,
    })),
    scenarios,
    rows,
    scaling: scaling(rows, contenders),
    problems: problemsOf(rows),
    notes: notesOf(rows, contenders, measured.workersSeen, opts),
    runs: measured.runs,
  };
  printTables(report);
  const written = writeResults(report, opts.out);
  const shown = relative(process.cwd(), written).startsWith('..') ? written : relative(process.cwd(), written);
  console.log(`\nwrote ${shown}.json, .md and .svg (and latest.*)${opts.save || opts.outGiven ? '' : '; --save keeps a run in native-bench/results/'}`);
  return invalidRows(rows).length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`native-bench: ${error.message}\n`);
    process.exitCode = 1;
  },
);
