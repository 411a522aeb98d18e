#!/usr/bin/env node
// `npm run soak`: the gateway under mixed traffic for --minutes (default 10) while its RSS, open
// file descriptors and every worker's heap and event-loop delay are sampled; fails when RSS or
// the fd count grows faster than its bound after the warm-up. See bench/README.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeReportFiles } from '../../native-bench/lib/report-files.mjs';
import { configPath, procFigures, reload, soakConfig, soakPorts, startSoakGateway, watchFds } from './gateway.mjs';
import { soakMarkdown } from './report.mjs';
import { soakVerdict } from './slope.mjs';
import { soakSvg } from './svg.mjs';
import { EXPECTED_STATUSES, MIX, startAborts, startTraffic } from './traffic.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'dist/cli.js');
const CRASH_LINES = new Set(['worker crashed', 'worker exited unexpectedly; replacing it']);

const USAGE = `usage: node bench/soak/run.mjs [options]   (npm run soak -- [options])
  --minutes M           how long the traffic runs (default 10)
  --sample-seconds S    seconds between samples (default 10)
  --warmup-seconds S    samples before this are left out of the slopes (default: 30% of the run, at most 180)
  --workers N           gateway workers (default 2)
  --connections N       autocannon connections (default 16)
  --rate R              requests per second offered over all connections; 0 = closed loop (default 2000)
  --reload-seconds S    a reload every S seconds (default 30)
  --abort-interval-ms N a client leaving mid-request every N ms (default 100)
  --rss-bound B         most RSS growth after the warm-up, MiB per minute (default 2)
  --fd-bound B          most growth of open file descriptors after the warm-up, per minute (default 1)
  --note TEXT           a note for the report (e.g. what else ran on the machine)
  --out DIR             where the report goes (default bench/soak/results)`;

const children = new Set();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    process.stderr.write(`\nsoak: ${signal}, stopping\n`);
    process.exit(130);
  });
}

function number(name, text, { min, integer = false }) {
  const value = Number(text);
  if (text === '' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(text)}`);
  }
  return value;
}

function readOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      minutes: { type: 'string', default: '10' },
      'sample-seconds': { type: 'string', default: '10' },
      'warmup-seconds': { type: 'string' },
      workers: { type: 'string', default: '2' },
      connections: { type: 'string', default: '16' },
      rate: { type: 'string', default: '2000' },
      'reload-seconds': { type: 'string', default: '30' },
      'abort-interval-ms': { type: 'string', default: '100' },
      'rss-bound': { type: 'string', default: '2' },
      'fd-bound': { type: 'string', default: '1' },
      note: { type: 'string', default: '' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const minutes = number('minutes', values.minutes, { min: 0.05 });
  const sampleSeconds = number('sample-seconds', values['sample-seconds'], { min: 1 });
  return {
    help: values.help,
    minutes,
    sampleSeconds,
    // V8 settles each worker's heap size in the first minutes (a resize moves RSS by ~30 MiB at once).
    warmupSeconds: values['warmup-seconds'] === undefined ? Math.min(180, minutes * 60 * 0.3) : number('warmup-seconds', values['warmup-seconds'], { min: 0 }),
    workers: number('workers', values.workers, { min: 1, integer: true }),
    connections: number('connections', values.connections, { min: 1, integer: true }),
    rate: number('rate', values.rate, { min: 0, integer: true }),
    reloadSeconds: number('reload-seconds', values['reload-seconds'], { min: 1 }),
    abortIntervalMs: number('abort-interval-ms', values['abort-interval-ms'], { min: 10, integer: true }),
    rssBound: number('rss-bound', values['rss-bound'], { min: -Infinity }),
    fdBound: number('fd-bound', values['fd-bound'], { min: -Infinity }),
    note: values.note,
    out: values.out ? resolve(values.out) : join(ROOT, 'bench/soak/results'),
  };
}

function workerFigures(statsLine) {
  return (statsLine.workers ?? []).map((w) => ({
    index: w.index,
    state: w.state,
    heapUsedMiB: w.heapUsedMiB,
    heapTotalMiB: w.heapTotalMiB,
    externalMiB: w.externalMiB,
    eventLoopDelayMs: w.eventLoopDelayMs,
    eventLoopUtilization: w.eventLoopUtilization,
  }));
}

/** Runs the traffic, the aborts, the reloads and the sampling; returns the report. */
async function soak(opts, gw, ports, file) {
  const seconds = opts.minutes * 60;
  const url = `http://127.0.0.1:${ports.listen}`;
  const loadavgStart = os.loadavg();
  // The traffic outlasts the last sample by a little, so that every sample sees it running.
  const traffic = startTraffic({ url, seconds: Math.ceil(seconds) + 2, connections: opts.connections, rate: opts.rate });
  const aborts = startAborts({ port: ports.listen, intervalMs: opts.abortIntervalMs });
  const reloads = { ok: 0, failed: 0, errors: [] };
  let variant = 1;
  let reloading = null;
  const reloadTimer = setInterval(() => {
    if (reloading !== null) return;
    variant = 3 - variant;
    reloading = reload(ports, file, variant).then((r) => {
      if (r.ok) reloads.ok++;
      else {
        reloads.failed++;
        if (reloads.errors.length < 5) reloads.errors.push(r.error);
      }
      reloading = null;
    });
  }, opts.reloadSeconds * 1000);

  const t0 = performance.now();
  const fdWatch = watchFds(gw.pid);
  const samples = [];
  let last = { t: 0, answered: 0 };
  for (let k = 0; k * opts.sampleSeconds <= seconds + 1e-9; k++) {
    await sleep(Math.max(0, t0 + k * opts.sampleSeconds * 1000 - performance.now()));
    const t = (performance.now() - t0) / 1000;
    const proc = procFigures(gw.pid);
    const fds = fdWatch.take();
    const stats = await gw.stats();
    const answered = traffic.answered();
    const rps = t > last.t ? (answered - last.answered) / (t - last.t) : 0;
    last = { t, answered };
    // fds: the fewest open since the previous sample (read every second; see watchFds), the figure
    // the verdict fits; fdsPeak the most; fdsNow the count at the sample.
    const { fds: fdsNow, ...rest } = proc;
    const sample = {
      t: Math.round(t * 10) / 10, ...rest, fds: fds.fewest, fdsPeak: fds.most, fdsNow,
      rps: Math.round(rps), load1: os.loadavg()[0], workers: workerFigures(stats),
    };
    samples.push(sample);
    const heaps = sample.workers.map((w) => w.heapUsedMiB).join('/');
    process.stderr.write(`soak: ${String(Math.round(t)).padStart(4)} s  RSS ${sample.rssMiB.toFixed(1)} MiB (anon ${sample.rssAnonMiB.toFixed(1)})  fds ${sample.fds}-${sample.fdsPeak}  heap ${heaps} MiB  ${sample.rps} req/s\n`);
  }
  fdWatch.stop();
  traffic.stop();
  const result = await traffic.done;
  const abortCounts = aborts.stop();
  clearInterval(reloadTimer);
  await reloading;
  const durationSeconds = (performance.now() - t0) / 1000;
  const byStatus = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([s, v]) => [s, v.count]));
  const unexpected = Object.fromEntries(Object.entries(byStatus).filter(([s]) => !EXPECTED_STATUSES.includes(Number(s))));
  return {
    samples, durationSeconds, loadavgStart,
    traffic: {
      requests: result.requests.total, rps: result.requests.total / Math.max(durationSeconds, 1e-9), byStatus,
      errors: result.errors, timeouts: result.timeouts, unexpected, aborts: abortCounts, reloads,
    },
  };
}

function problemsOf(report) {
  const tr = report.traffic;
  const problems = [];
  if (report.gateway.crashes > 0) problems.push(`${report.gateway.crashes} worker crash line(s) in the gateway log`);
  if (tr.reloads.failed > 0) problems.push(`${tr.reloads.failed} reload(s) failed: ${tr.reloads.errors.join('; ')}`);
  if (tr.errors > 0 || tr.timeouts > 0) problems.push(`the traffic saw ${tr.errors} socket error(s) and ${tr.timeouts} timeout(s)`);
  if (Object.keys(tr.unexpected).length > 0) problems.push(`unexpected statuses: ${JSON.stringify(tr.unexpected)}`);
  if (report.gateway.exit !== 'code 0') problems.push(`the gateway stopped with ${report.gateway.exit} after SIGTERM, not code 0`);
  return problems;
}

function gitRevision() {
  const result = spawnSync('git', ['-C', ROOT, 'describe', '--always', '--dirty'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : 'unknown';
}

async function main() {
  const opts = readOptions(process.argv.slice(2));
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  if (!existsSync(CLI)) throw new Error(`${relative(ROOT, CLI)} is missing: run \`npm run build\` first`);
  const dir = mkdtempSync(join(os.tmpdir(), 'tollgate-soak-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const ports = await soakPorts();
  const file = configPath(dir);
  writeFileSync(file, soakConfig(ports, 1));
  const startedAt = new Date().toISOString();
  // Read at the start: the tree may change while the soak runs (the gateway runs what dist/ held then).
  const revision = gitRevision();
  process.stderr.write(`soak: ${opts.minutes} min, a sample every ${opts.sampleSeconds} s, warm-up ${opts.warmupSeconds} s\n`);
  const gw = await startSoakGateway({ cli: CLI, configFile: file, workers: opts.workers });
  children.add(gw.child);
  let run;
  let stopped;
  try {
    run = await soak(opts, gw, ports, file);
  } finally {
    stopped = await gw.stop();
  }
  const cpus = os.cpus();
  const report = {
    version: 1,
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      node: process.version, platform: `${process.platform} ${process.arch}`, loadavgStart: run.loadavgStart, loadavgEnd: os.loadavg(),
      revision,
    },
    note: opts.note,
    options: { ...opts, out: undefined, help: undefined, note: undefined },
    mix: MIX.map(({ name, method, path, expect }) => ({ name, method, path, expect })),
    durationSeconds: run.durationSeconds,
    samples: run.samples,
    traffic: run.traffic,
    gateway: {
      crashes: gw.lines.filter((l) => CRASH_LINES.has(l.msg)).length,
      exit: stopped.signal ? `signal ${stopped.signal}` : `code ${stopped.code}`,
    },
  };
  report.verdict = soakVerdict(report.samples, { warmupSeconds: opts.warmupSeconds, rssBound: opts.rssBound, fdBound: opts.fdBound, problems: problemsOf(report) });
  const stamp = writeReportFiles(opts.out, report, (svgName) => soakMarkdown(report, svgName), soakSvg(report));
  const v = report.verdict;
  const slope = (fit, unit) => (fit === null ? 'no fit' : `${fit.slopePerMin >= 0 ? '+' : ''}${fit.slopePerMin.toFixed(3)} ${unit}/min (bound ${fit.boundPerMin})`);
  const anon = v.rssAnon === null ? '' : ` (anonymous ${v.rssAnon.slopePerMin >= 0 ? '+' : ''}${v.rssAnon.slopePerMin.toFixed(3)} MiB/min)`;
  console.log(`soak ${v.pass ? 'PASS' : 'FAIL'}: RSS ${slope(v.rss, 'MiB')}${anon}, open fds ${slope(v.fd, 'fds')}; ${report.traffic.requests} answers, ${report.samples.length} samples`);
  for (const reason of v.reasons) console.log(`  - ${reason}`);
  console.log(`wrote ${join(opts.out, stamp)}.json, .md and .svg (and latest.*)`);
  return v.pass ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`soak: ${error.message}\n`);
    process.exitCode = 2;
  },
);
