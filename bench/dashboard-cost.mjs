#!/usr/bin/env node
// `npm run bench:dashboard`: what an open dashboard costs the gateway. One gateway (with the users
// demo upstream as a child process) is measured with autocannon on a proxied route with the page
// closed, open (headless Chromium on GET /dashboard, polling its data every second), and with its
// polls alone (no browser: the gateway's share of the cost without the browser's rendering, which
// competes for the same cores when both run on one machine), in the order closed, open, poll,
// poll, open, closed so a drift of the machine falls on every side alike. Besides the throughput
// it reads the gateway process's CPU time per request (/proc, Linux) and counts the data polls.
// Figures are ratios within one run; on a loaded machine, say so beside them.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist/cli.js');
const READY_TIMEOUT_MS = 20_000;
const POLL_MS = 1_000; // as the page polls (src/supervisor/dashboard/page/dashboard.js)
const CLOCK_TICKS = 100; // USER_HZ on Linux: the unit of utime and stime in /proc/PID/stat

const USAGE = `usage: node bench/dashboard-cost.mjs [options]
  --duration S      seconds per measured run (default 10)
  --rounds N        rounds of closed, open, poll, poll, open, closed (default 1)
  --workers N       gateway worker threads (default 1)
  --connections N   autocannon connections (default 50)
  --chromium PATH   the browser (default /usr/bin/chromium, or CHROMIUM)
  --out FILE        also write the table there (markdown)`;

function options() {
  const { values } = parseArgs({
    strict: true,
    options: {
      duration: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '1' },
      workers: { type: 'string', default: '1' },
      connections: { type: 'string', default: '50' },
      chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1) {
      console.error(`--${name} takes a whole number of at least 1\n${USAGE}`);
      process.exit(2);
    }
    return n;
  };
  return { duration: int('duration'), rounds: int('rounds'), workers: int('workers'), connections: int('connections'), chromium: values.chromium, out: values.out };
}

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts `node dist/cli.js ARGS` and resolves with it and its first JSON log line that `match` takes. */
function startCli(args, match) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    const onData = (d) => {
      out += d;
      let nl;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        let parsed = null;
        try {
          parsed = JSON.parse(line);
        } catch {
          continue;
        }
        if (match(parsed)) {
          child.stdout.off('data', onData);
          child.stdout.resume();
          resolve({ child, line: parsed });
        }
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}: ${err}`)));
    setTimeout(() => reject(new Error(`${args[0]} did not start within ${READY_TIMEOUT_MS} ms: ${err}`)), READY_TIMEOUT_MS).unref();
  });
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
}

/** User + system CPU seconds of a process so far (all its threads). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
}

function load(url, seconds, connections) {
  return new Promise((resolve, reject) => {
    autocannon({ url, duration: seconds, connections, pipelining: 1 }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function main() {
  const opts = options();
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-dashboard-bench-'));
  const demo = await startCli(['demo-upstreams', '--users-port', '0', '--orders-port', '0', '--slow-port', '0', '--flaky-port', '0'],
    (l) => l.msg === 'demo upstream listening' && l.service === 'users');
  const config = join(dir, 'gateway.yaml');
  writeFileSync(config, `listen: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
log: { level: info, access: false }
dataDir: ${join(dir, 'data')}
upstreams:
  users: { targets: ['${demo.line.url}'] }
routes:
  - { id: small, match: { path: /small, methods: [GET] }, upstream: users }
`);
  const gw = await startCli(['start', '-c', config, '--workers', String(opts.workers)], (l) => l.msg === 'tollgate started');
  const gateway = gw.child;
  const started = gw.line;
  const target = `http://127.0.0.1:${started.port}/small`;
  const admin = `http://127.0.0.1:${started.adminPort}`;
  const browser = await chromium.launch({ executablePath: opts.chromium, args: ['--no-sandbox'], headless: true });

  const runs = [];
  /** Milliseconds from sending a poll to its last byte (an upper bound on the supervisor's time for it). */
  const pollTimes = [];
  let pollBytes = 0;
  // closed: no page; open: the page in Chromium (on this machine: its rendering takes CPU from the
  // gateway too); poll: the page's requests alone (GET /dashboard/data every second), no browser.
  const measure = async (mode) => {
    let page = null;
    let poller = null;
    let polls = 0;
    if (mode === 'open') {
      page = await browser.newPage();
      page.on('request', (r) => { if (r.url().endsWith('/dashboard/data')) polls++; });
      await page.goto(`${admin}/dashboard`);
      await page.locator('[data-route="small"] [data-field="rps"]').waitFor({ timeout: 10_000 });
    } else if (mode === 'poll') {
      poller = setInterval(() => {
        polls++;
        const t0 = performance.now();
        fetch(`${admin}/dashboard/data`).then((r) => r.arrayBuffer()).then((body) => {
          pollTimes.push(performance.now() - t0);
          pollBytes = body.byteLength;
        }, () => null);
      }, POLL_MS);
    }
    const cpuBefore = cpuSeconds(gateway.pid);
    const result = await load(target, opts.duration, opts.connections);
    const cpu = cpuSeconds(gateway.pid) - cpuBefore;
    if (page !== null) await page.close();
    if (poller !== null) clearInterval(poller);
    const run = { mode, rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.non2xx, cpuUsPerRequest: (cpu * 1e6) / Math.max(1, result.requests.total), polls };
    runs.push(run);
    console.error(`${run.mode.padEnd(6)} ${run.rps.toFixed(0).padStart(7)} req/s  p99 ${run.p99} ms  gateway CPU ${run.cpuUsPerRequest.toFixed(1)} µs/request  polls ${polls}  errors ${run.errors}`);
  };
  try {
    await load(target, 2, opts.connections); // warm-up, not counted
    for (let r = 0; r < opts.rounds; r++) for (const mode of ['closed', 'open', 'poll', 'poll', 'open', 'closed']) await measure(mode);
  } finally {
    await browser.close();
    await stop(gateway);
    await stop(demo.child);
  }
  const mean = (mode, key) => {
    const xs = runs.filter((r) => r.mode === mode).map((r) => r[key]);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const closed = mean('closed', 'rps');
  const row = (mode) => `| ${mode} | ${mean(mode, 'rps').toFixed(0)} | ${(mean(mode, 'rps') / closed).toFixed(3)} | ${mean(mode, 'cpuUsPerRequest').toFixed(1)} | ${mean(mode, 'polls').toFixed(0)} |`;
  const lines = [
    `Dashboard cost: GET /small through ${opts.workers} worker(s), ${opts.connections} connections, ${opts.duration} s runs, ${opts.rounds} round(s) of closed, open, poll, poll, open, closed`,
    '',
    '| page | req/s (mean) | vs closed | gateway CPU µs per request | data polls per run |',
    '|---|---|---|---|---|',
    row('closed'),
    row('open'),
    row('poll'),
    '',
    `GET /dashboard/data under that load: median ${median(pollTimes).toFixed(2)} ms from request to last byte (${pollTimes.length} polls, ${pollBytes} bytes)`,
    `runs: ${runs.map((r) => `${r.mode} ${r.rps.toFixed(0)}`).join(', ')}`,
  ];
  console.log(lines.join('\n'));
  if (opts.out) writeFileSync(opts.out, lines.join('\n') + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
