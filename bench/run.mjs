#!/usr/bin/env node
// `npm run bench`: autocannon load scenarios, each measured against the users demo upstream
// directly and through the gateway (1 worker, then auto) in the same run. See bench/README.md.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import autocannon from 'autocannon';
import hdr from 'hdr-histogram-js';
import { parse as parseYaml } from 'yaml';
import { scenarios } from './scenarios/proxy.mjs';
import { startSlowCrowd } from './slow-crowd.mjs';
import { wsLoad } from './ws-load.mjs';
import { benchSvg } from './svg.mjs';
import { resultsDir, writeReportFiles } from '../native-bench/lib/report-files.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist/cli.js');
const DEMO = join(ROOT, 'dist/demo/index.js');
const UPSTREAM_PORT = '9001'; // bench/gateway.bench.yaml points its users upstream here
const READY_POLL_MS = 100;
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 45_000;
const SLOWER_THRESHOLD = 0.05;
const OUTPUT_TAIL_CHARS = 8_000;
const TIMED_OUT = Symbol('timed out');

const USAGE = `usage: node bench/run.mjs [options]
  --duration S       seconds per measured run (default 10)
  --warmup S         seconds of discarded warm-up before each run (default 2; 0 = none)
  --connections N    autocannon connections (default 50)
  --workers LIST     gateway worker counts, in order (default 1,auto)
  --scenario NAME    run only this scenario (repeatable): ${scenarios.map((s) => s.name).join(', ')}
  --direct-only      measure the upstream alone, without starting the gateway
  --config FILE      gateway config (default bench/gateway.bench.yaml)
  --upstream-port N  port of the users demo upstream (default 9001, as in that config; 0 = any)
  --save             keep the results: write them to bench/results/ (tracked by git); without
                     it they go to bench/results/local/ (git-ignored), so a run leaves the
                     checkout clean
  --out DIR          where results go instead (overrides both)
  --compare FILE     exit 1 if a scenario is more than 5% slower (req/s) than in FILE
  --pipelining N     requests in flight per connection; only 1 is accepted (see README: the
                     bundled uWebSockets.js closes a connection that pipelines behind a proxied
                     request, so a higher factor would measure closed connections)`;

// Why --pipelining stops at 1: a request that arrives while an earlier one on its connection is
// still being answered asynchronously (every proxied request) makes uWS close the connection
// (uNetworking/uWebSockets.js#277, "wontfix"): autocannon -p 10 reads ~0 bytes from a proxy.
const PIPELINING_REFUSED = 'pipelining above 1 is refused: the bundled uWebSockets.js closes a connection when a request arrives '
  + 'pipelined behind one that is still being answered asynchronously (every proxied request), so a pipelining client gets no '
  + 'answer at all and the run would measure closed connections (README, "Known limitations")';

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping\n`);
    process.exit(130);
  });
}

function positiveInt(name, text, min) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  return value;
}

function readOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      workers: { type: 'string', default: '1,auto' },
      scenario: { type: 'string', multiple: true },
      'direct-only': { type: 'boolean', default: false },
      config: { type: 'string' },
      'upstream-port': { type: 'string', default: UPSTREAM_PORT },
      out: { type: 'string' },
      save: { type: 'boolean', default: false },
      compare: { type: 'string' },
      pipelining: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (positiveInt('pipelining', values.pipelining, 1) > 1) throw new Error(PIPELINING_REFUSED);
  const workers = values.workers.split(',').map((w) => (w === 'auto' ? 'auto' : positiveInt('workers', w, 1)));
  return {
    help: values.help,
    duration: positiveInt('duration', values.duration, 1),
    warmup: positiveInt('warmup', values.warmup, 0),
    connections: positiveInt('connections', values.connections, 1),
    workers,
    scenarios: pickScenarios(values.scenario),
    directOnly: values['direct-only'],
    config: values.config ? resolve(values.config) : join(ROOT, 'bench/gateway.bench.yaml'),
    upstreamPort: positiveInt('upstream-port', values['upstream-port'], 0),
    out: resultsDir(join(ROOT, 'bench/results'), { out: values.out, save: values.save }),
    save: values.save,
    outGiven: values.out !== undefined,
    compare: values.compare ? resolve(values.compare) : null,
  };
}

function pickScenarios(names) {
  if (!names) return scenarios;
  return names.map((name) => {
    const scenario = scenarios.find((s) => s.name === name);
    if (!scenario) throw new Error(`unknown scenario "${name}" (known: ${scenarios.map((s) => s.name).join(', ')})`);
    return scenario;
  });
}

function readSaved(file) {
  let saved;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`--compare ${file}: ${error.message}`);
  }
  if (!Array.isArray(saved?.rows)) throw new Error(`--compare ${file}: not a bench result (no "rows")`);
  return saved;
}

// ---------------------------------------------------------------- demo upstream

// The upstream runs in a worker thread so that it does not share an event loop with autocannon.
const UPSTREAM_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.demoUrl)
  .then(async ({ startDemoUpstreams }) => {
    const ports = { users: workerData.port, orders: 0, slow: 0, flaky: 0 };
    const demo = await startDemoUpstreams({ host: '127.0.0.1', ports });
    parentPort.once('message', () => demo.close().then(() => parentPort.close()));
    parentPort.postMessage({ port: demo.ports.users });
  })
  .catch((error) => parentPort.postMessage({ error: error.message }));
`;

async function startUpstream(port) {
  if (!existsSync(DEMO)) throw new Error(`${relative(ROOT, DEMO)} is missing: run \`npm run build\` first`);
  const worker = new Worker(UPSTREAM_WORKER, { eval: true, workerData: { demoUrl: pathToFileURL(DEMO).href, port } });
  const [message] = await once(worker, 'message');
  if (message.error) {
    await worker.terminate();
    throw new Error(`the demo upstream did not start: ${message.error}`);
  }
  const stop = async () => {
    worker.postMessage('close');
    if ((await withTimeout(once(worker, 'exit'), 5_000)) === TIMED_OUT) await worker.terminate();
  };
  return { url: `http://127.0.0.1:${message.port}`, stop };
}

// ---------------------------------------------------------------- gateway process

function loopback(host) {
  return host === undefined || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/** Where the gateway of this config listens, read from the same file the gateway reads. */
function readGatewaySetup(file) {
  if (!existsSync(CLI)) throw new Error(`${relative(ROOT, CLI)} is missing: run \`npm run build\` first`);
  let doc;
  try {
    doc = parseYaml(readFileSync(file, 'utf8')) ?? {};
  } catch (error) {
    throw new Error(`cannot read the gateway config ${file}: ${error.message}`);
  }
  return {
    file,
    listen: { host: loopback(doc.listen?.host), port: Number(doc.listen?.port ?? 8080) },
    admin: { host: loopback(doc.admin?.host), port: Number(doc.admin?.port ?? 9901) },
  };
}

async function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(resolve, ms, TIMED_OUT)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A port already taken would make /ready answer for some other process. */
async function assertPortFree({ host, port }, what) {
  const server = createServer();
  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
  } catch (error) {
    throw new Error(`the gateway ${what} address ${host}:${port} is taken (${error.code}): is another gateway or bench running?`);
  }
  await new Promise((resolve) => server.close(resolve));
}

function keepTail(stream) {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    text = (text + chunk).slice(-OUTPUT_TAIL_CHARS);
  });
  return () => text.trim();
}

function describeExit(child) {
  return child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode}`;
}

function gatewayError(gateway, what) {
  const parts = [`the gateway (--workers ${gateway.workers}) ${what}`];
  parts.push(`--- gateway stderr ---\n${gateway.stderr() || '(empty)'}`);
  if (gateway.stdout()) parts.push(`--- gateway stdout ---\n${gateway.stdout()}`);
  return new Error(parts.join('\n'));
}

async function waitUntilReady(gateway, admin) {
  const url = `http://${admin.host}:${admin.port}/ready`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (gateway.child.exitCode !== null || gateway.child.signalCode !== null) {
      throw gatewayError(gateway, `exited with ${describeExit(gateway.child)} before it was ready`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `GET ${url} answered ${res.status}`;
    } catch (error) {
      last = `GET ${url} failed: ${error.cause?.code ?? error.message}`;
    }
    await sleep(READY_POLL_MS);
  }
  throw gatewayError(gateway, `was not ready after ${READY_TIMEOUT_MS / 1000} s (${last})`);
}

async function startGateway(setup, workers) {
  await assertPortFree(setup.listen, 'listen');
  await assertPortFree(setup.admin, 'admin');
  const args = [CLI, 'start', '-c', setup.file, '--workers', String(workers)];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const exited = once(child, 'exit');
  const gateway = { child, exited, workers, stdout: keepTail(child.stdout), stderr: keepTail(child.stderr) };
  try {
    await waitUntilReady(gateway, setup.admin);
  } catch (error) {
    await stopGateway(gateway);
    throw error;
  }
  return { ...gateway, url: `http://${setup.listen.host}:${setup.listen.port}` };
}

async function stopGateway(gateway) {
  const { child } = gateway;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    if ((await withTimeout(gateway.exited, STOP_TIMEOUT_MS)) === TIMED_OUT) {
      process.stderr.write(`bench: the gateway did not exit ${STOP_TIMEOUT_MS / 1000} s after SIGTERM; killing it\n`);
      child.kill('SIGKILL');
      await gateway.exited;
    } else if (child.exitCode !== 0) {
      process.stderr.write(`bench: the gateway exited with ${describeExit(child)} after SIGTERM (expected code 0)\n`);
    }
  }
  children.delete(child);
}

// ---------------------------------------------------------------- measuring

/**
 * One autocannon run. autocannon's own latency histogram holds whole milliseconds (a p50 of
 * 0.4 ms reads "0"), so each response's time (fractional ms) is also recorded here in
 * microseconds: `latencyUs` gives the percentiles reported.
 */
async function load(url, request, opts, seconds) {
  if (request.websocket !== undefined) return wsLoad(url.replace(/^http/, 'ws') + request.path, request.websocket, opts.connections, seconds);
  const latencyUs = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const run = autocannon({
    url: url + request.path,
    method: request.method,
    body: request.body,
    headers: request.headers,
    connections: opts.connections,
    pipelining: 1,
    duration: seconds,
  });
  run.on('response', (_client, _status, _bytes, responseMs) => latencyUs.recordValue(Math.max(1, Math.round(responseMs * 1000))));
  const result = await run;
  return { result, latencyUs };
}

/** Milliseconds with microsecond decimals. */
const percentileMs = (latencyUs, p) => latencyUs.getValueAtPercentile(p) / 1000;

async function measure(url, request, opts, label, crowdSize = 0) {
  process.stderr.write(`  ${label.padEnd(28)} ${request.method} ${url}${request.path} ... `);
  const crowd = crowdSize > 0 ? await startSlowCrowd(url, crowdSize) : null;
  let measured;
  try {
    if (crowd !== null && crowd.failed > 0) throw new Error(`${crowd.failed} of ${crowdSize} slow connections could not be opened (ulimit -n?)`);
    if (opts.warmup > 0) await load(url, request, opts, opts.warmup);
    measured = await load(url, request, opts, opts.duration);
  } finally {
    crowd?.stop();
  }
  const { result, latencyUs } = measured;
  const row = {
    rps: result.requests.average,
    p50Ms: percentileMs(latencyUs, 50),
    p99Ms: percentileMs(latencyUs, 99),
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
  process.stderr.write(`${formatRps(row.rps)}, p50 ${formatMs(row.p50Ms)}, p99 ${formatMs(row.p99Ms)}\n`);
  return row;
}

/** Direct runs are shared between scenarios with the same baseline request (static reuses small). */
async function measureDirect(upstream, scenario, opts, cache) {
  const request = scenario.direct ?? scenario.request;
  const key = JSON.stringify([request, scenario.crowd ?? 0]);
  if (!cache.has(key)) cache.set(key, await measure(upstream.url, request, opts, `${scenario.name} direct`, scenario.crowd));
  return { scenario: scenario.name, target: 'direct', request: `${request.method} ${request.path}`, ...cache.get(key) };
}

async function measureAll(opts) {
  const setup = opts.directOnly ? null : readGatewaySetup(opts.config);
  const upstream = await startUpstream(opts.upstreamPort);
  const rows = [];
  const directCache = new Map();
  try {
    if (setup === null) {
      for (const scenario of opts.scenarios) rows.push(await measureDirect(upstream, scenario, opts, directCache));
      return rows;
    }
    for (const workers of opts.workers) {
      // Each scenario's direct run sits next to its first gateway run, so both see the same machine state.
      const gateway = await startGateway(setup, workers);
      try {
        for (const scenario of opts.scenarios) {
          if (workers === opts.workers[0]) rows.push(await measureDirect(upstream, scenario, opts, directCache));
          const target = `gateway:${workers}`;
          const row = await measure(gateway.url, scenario.request, opts, `${scenario.name} ${target}`, scenario.crowd);
          rows.push({ scenario: scenario.name, target, request: `${scenario.request.method} ${scenario.request.path}`, ...row });
        }
      } finally {
        await stopGateway(gateway);
      }
    }
    return rows;
  } finally {
    await upstream.stop();
  }
}

function addRatios(rows) {
  for (const row of rows) {
    const direct = rows.find((r) => r.scenario === row.scenario && r.target === 'direct');
    row.ratio = row.target !== 'direct' && direct && direct.rps > 0 ? row.rps / direct.rps : null;
  }
  return rows;
}

// ---------------------------------------------------------------- reporting

function tableLines(headers, body) {
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
}

/** Every figure carries its unit; latencies in milliseconds with microsecond decimals. */
const formatRps = (rps) => `${Math.round(rps)} req/s`;
const formatMs = (ms) => `${ms.toFixed(3)} ms`;

function resultCells(row) {
  return [
    row.scenario,
    row.target,
    formatRps(row.rps),
    formatMs(row.p50Ms),
    formatMs(row.p99Ms),
    row.ratio === null ? '' : `${row.ratio.toFixed(2)}x`,
  ];
}

const RESULT_HEADERS = ['scenario', 'target', 'throughput', 'latency p50', 'latency p99', 'gateway/direct'];

function markdown(report, svgName) {
  const o = report.options;
  const lines = [
    `# Tollgate bench, ${report.startedAt}`,
    '',
    `![requests/s per scenario](${svgName})`,
    '',
    `node ${report.node} on ${report.platform}, ${report.cpus} CPUs (${report.cpuModel}); ` +
      `autocannon, ${o.connections} connections, pipelining 1, ${o.duration} s per run after a ${o.warmup} s warm-up.`,
    '',
    `| ${RESULT_HEADERS.join(' | ')} |`,
    `|${RESULT_HEADERS.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...report.rows.map((row) => `| ${resultCells(row).join(' | ')} |`),
    '',
    'Scenarios:',
    ...scenarios.filter((s) => report.rows.some((r) => r.scenario === s.name)).map((s) => `- \`${s.name}\`: ${s.title}`),
    '',
  ];
  return lines.join('\n');
}

function writeResults(report, outDir) {
  const stamp = writeReportFiles(outDir, report, (svgName) => markdown(report, svgName), benchSvg(report));
  return join(outDir, `${stamp}.json`);
}

/** Rows whose numbers do not measure the path: errors or non-2xx answers. */
function invalidRows(rows) {
  return rows.filter((r) => r.non2xx > 0 || r.errors > 0);
}

function compareWith(saved, savedFile, rows) {
  const before = new Map(saved.rows.map((r) => [`${r.scenario}|${r.target}`, r]));
  const body = [];
  let slower = 0;
  for (const row of rows) {
    const old = before.get(`${row.scenario}|${row.target}`);
    if (!old || !(old.rps > 0)) continue;
    const change = row.rps / old.rps - 1;
    const flagged = change < -SLOWER_THRESHOLD;
    if (flagged) slower++;
    const cells = [row.scenario, row.target, formatRps(old.rps), formatRps(row.rps)];
    body.push([...cells, `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)}%`, flagged ? 'SLOWER' : '']);
  }
  if (body.length === 0) {
    process.stderr.write(`bench: nothing to compare: no scenario/target of ${savedFile} was measured in this run\n`);
    return 1;
  }
  console.log(`\ncompared with ${savedFile} (${saved.startedAt ?? 'unknown date'}):`);
  for (const line of tableLines(['scenario', 'target', 'saved', 'now', 'change', ''], body)) console.log(line);
  if (slower === 0) return 0;
  process.stderr.write(`bench: ${slower} scenario run(s) more than ${SLOWER_THRESHOLD * 100}% slower than ${savedFile}\n`);
  return 1;
}

async function main() {
  const opts = readOptions(process.argv.slice(2));
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const saved = opts.compare ? readSaved(opts.compare) : null;
  const startedAt = new Date().toISOString();
  process.stderr.write(`bench: ${opts.scenarios.length} scenario(s), ${opts.duration} s runs, ${opts.connections} connections\n`);
  const rows = addRatios(await measureAll(opts));
  const cpus = os.cpus();
  const report = {
    version: 1,
    startedAt,
    finishedAt: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    options: { duration: opts.duration, warmup: opts.warmup, connections: opts.connections, workers: opts.workers, directOnly: opts.directOnly },
    rows,
  };
  console.log('');
  for (const line of tableLines(RESULT_HEADERS, rows.map(resultCells))) console.log(line);
  const written = writeResults(report, opts.out);
  const shown = relative(process.cwd(), written).startsWith('..') ? written : relative(process.cwd(), written);
  console.log(`\nwrote ${shown}, .md and .svg (and latest.*)${opts.save || opts.outGiven ? '' : '; --save keeps a run in bench/results/'}`);
  let code = 0;
  for (const row of invalidRows(rows)) {
    process.stderr.write(`bench: ${row.scenario} ${row.target} had ${row.non2xx} non-2xx answers and ${row.errors} errors: its figures do not measure the path\n`);
    code = 1;
  }
  if (saved) code = compareWith(saved, opts.compare, rows) || code;
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`bench: ${error.message}\n`);
    process.exitCode = 1;
  },
);
