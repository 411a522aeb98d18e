// The contenders: how each one starts (pinned), where it listens, how it stops.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeExit, outputOf, spawnPinned, stopProcess } from './children.mjs';
import { formatCpuList, gatewayCpus } from './cpus.mjs';
import { gatewayConfig, OPTIONAL_FEATURES } from './gateway-config.mjs';
import { gcMeterArgs } from './gc-figures.mjs';
import { haproxyConfig, proxyNginxConfig } from './native-configs.mjs';
import { freePort, freePorts, waitForOk } from './probe.mjs';

/** Starts a pinned server and waits until readyUrl (default: GET /small on its port) answers 200. */
async function startServer(name, cpus, command, args, { port, readyUrl, cwd, env }) {
  const proc = spawnPinned(name, cpus, command, args, { cwd, env });
  try {
    await waitForOk(proc, readyUrl ?? `http://127.0.0.1:${port}/small`, 30_000);
  } catch (error) {
    await stopProcess(proc, 2_000);
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    proc,
    stop: async () => {
      const exit = await stopProcess(proc);
      if (exit.code !== 0 && exit.signal !== 'SIGTERM') {
        process.stderr.write(`native-bench: ${name} exited with ${describeExit(exit)} when stopped\n${outputOf(proc)}\n`);
      }
    },
  };
}

async function startNginxProxy(ctx, cpus) {
  const port = await freePort();
  const conf = join(ctx.tmp, 'proxy-nginx.conf');
  writeFileSync(conf, proxyNginxConfig({ dir: ctx.tmp, port, upstreamPort: ctx.upstream.port }));
  return startServer('nginx', cpus, ctx.tools.nginx, ['-e', join(ctx.tmp, 'proxy.error.log'), '-p', ctx.tmp, '-c', conf], { port });
}

async function startHaproxy(ctx, cpus) {
  const port = await freePort();
  const conf = join(ctx.tmp, 'haproxy.cfg');
  writeFileSync(conf, haproxyConfig({ port, upstreamPort: ctx.upstream.port }));
  return startServer('haproxy', cpus, ctx.tools.haproxy, ['-db', '-f', conf], { port });
}

async function startNodeProxy(ctx, name, cpus, script, env) {
  const port = await freePort();
  const args = [join(ctx.benchDir, script), '--upstream', ctx.upstream.url, '--port', String(port)];
  return startServer(name, cpus, process.execPath, args, { port, cwd: ctx.benchDir, env });
}

/** TOLLGATE_UWS for one uWebSockets.js build (--uws), or nothing: the build that loads. */
const uwsEnv = (uws) => (uws === null ? {} : { TOLLGATE_UWS: uws });
const uwsId = (uws) => (uws === null ? '' : `@${uws}`);
const uwsLabel = (uws) => (uws === null ? '' : `, uWS ${uws}`);

/** The worker count the gateway logged in its "tollgate started" line. */
function startedWorkers(proc) {
  for (const line of proc.stdout().split('\n')) {
    if (!line.includes('tollgate started')) continue;
    try {
      return JSON.parse(line).workers ?? null;
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * Whether the build at `root` accepts the config file: a baseline build older than a feature the
 * bench config uses refuses its keys (validate exits 1 and names them).
 */
function accepts(root, conf) {
  const run = spawnSync(process.execPath, [join(root, 'dist/cli.js'), 'validate', '-c', conf], { encoding: 'utf8' });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}`.trim() };
}

/**
 * `contender` (the baseline's): when its build refuses the bench config, it gets the config
 * without the fewest OPTIONAL_FEATURES that make it accepted, and `lacks` their scenarios (skipped
 * for it, with a note), rather than failing the whole run. With ctx.gc (--gc) every thread of
 * the gateway writes its allocation and collections to a file of its own per start
 * (gc-meter.cjs), which the measuring loop reads after each run.
 */
async function startTollgate(ctx, name, cpus, workers, root = ctx.root, env = {}, contender = null) {
  const [port, adminPort] = await freePorts(2);
  const tag = `${name.replace(/[^a-z0-9]/gi, '-')}`;
  const conf = join(ctx.tmp, `${tag}.yaml`);
  const settings = { port, adminPort, upstreamPort: ctx.upstream.port, dataDir: join(ctx.tmp, `${tag}-data`) };
  writeFileSync(conf, gatewayConfig(settings));
  if (contender !== null) {
    const full = accepts(root, conf);
    if (!full.ok) {
      const ids = OPTIONAL_FEATURES.map((f) => f.id);
      // Every subset of the features, fewest first.
      const subsets = Array.from({ length: 2 ** ids.length - 1 }, (_, i) => ids.filter((_, bit) => ((i + 1) >> bit) & 1))
        .sort((a, b) => a.length - b.length);
      const omit = subsets.map((s) => new Set(s)).find((o) => {
        writeFileSync(conf, gatewayConfig({ ...settings, omit: o }));
        return accepts(root, conf).ok;
      });
      if (omit === undefined) throw new Error(`${name}: the build at ${root} refuses the bench config:\n${full.output}`);
      contender.lacks = new Set(OPTIONAL_FEATURES.filter((f) => omit.has(f.id)).flatMap((f) => f.scenarios));
      process.stderr.write(`native-bench: ${name} predates ${[...omit].join(' and ')} (${full.output.split('\n')[0]}); it skips ${[...contender.lacks].join(', ')}\n`);
    }
  }
  const gcFile = ctx.gc ? join(ctx.tmp, `${tag}-gc-${++gcStarts}.jsonl`) : null;
  const meter = gcFile === null ? { nodeArgs: [], env: {} } : gcMeterArgs(gcFile);
  const args = [...meter.nodeArgs, join(root, 'dist/cli.js'), 'start', '-c', conf, '--workers', String(workers)];
  const server = await startServer(name, cpus, process.execPath, args, { port, cwd: root, env: { ...env, ...meter.env }, readyUrl: `http://127.0.0.1:${adminPort}/ready` });
  return { ...server, workers: startedWorkers(server.proc), gcFile };
}

let gcStarts = 0;

function tollgateContender(ctx, workers, uws) {
  const count = workers === 'auto' ? ctx.plan.online.length : workers;
  const { cpus, contended } = gatewayCpus(count, ctx.plan);
  const id = `tollgate:${workers}${uwsId(uws)}`;
  const label = (workers === 'auto' ? `Tollgate, workers auto (${count})` : `Tollgate, ${workers} worker${workers === 1 ? '' : 's'}`) + uwsLabel(uws);
  const description = `dist/cli.js start --workers ${workers}, plain proxy routes, access log off, 64 upstream connections per worker` +
    (uws === null ? '' : `, TOLLGATE_UWS=${uws}`);
  return { id, label, kind: 'tollgate', workers: count, uws, cpus, contended, description, start: () => startTollgate(ctx, id, cpus, workers, ctx.root, uwsEnv(uws)) };
}

function referenceContender(ctx, one, uws) {
  const description = 'native-bench/reference-proxy.mjs: uWS App + undici Pool.dispatch (64 connections), streaming, corked writes: the same-stack floor' +
    (uws === null ? '' : `, TOLLGATE_UWS=${uws}`);
  return {
    id: `reference${uwsId(uws)}`, label: `uWS + undici reference${uwsLabel(uws)}`, kind: 'node', uws, cpus: one, contended: false, description,
    start: () => startNodeProxy(ctx, `reference${uwsId(uws)}`, one, 'reference-proxy.mjs', uwsEnv(uws)),
  };
}

/** Another build of Tollgate (--baseline DIR), 1 worker, for a same-run before/after comparison. */
function baselineContender(ctx, root) {
  const { cpus, contended } = gatewayCpus(1, ctx.plan);
  const description = `${root}/dist/cli.js start --workers 1: the same settings as Tollgate, another build`;
  const contender = { id: 'baseline', label: 'Tollgate baseline build, 1 worker', kind: 'tollgate', workers: 1, uws: null, cpus, contended, description, lacks: new Set() };
  contender.start = () => startTollgate(ctx, 'baseline', cpus, 1, root, {}, contender);
  return contender;
}

/**
 * Tollgate, 1 worker, with its meters off (TOLLGATE_BENCH_METERS=off: no latency histograms, no
 * request or upstream counters, no usage metering; src/observability/request-meters.ts): beside
 * tollgate:1 it gives what the meters cost. Only run when asked for (`--contenders meters-off`).
 */
function metersOffContender(ctx) {
  const { cpus, contended } = gatewayCpus(1, ctx.plan);
  const description = 'dist/cli.js start --workers 1 with TOLLGATE_BENCH_METERS=off: the same build with histograms, counters and usage metering off';
  return { id: 'meters-off', label: 'Tollgate, 1 worker, meters off', kind: 'tollgate', workers: 1, uws: null, cpus, contended, description, start: () => startTollgate(ctx, 'meters-off', cpus, 1, ctx.root, { TOLLGATE_BENCH_METERS: 'off' }) };
}

/**
 * Every contender in its default order; `ids` (from --contenders) keeps a subset, by id or prefix
 * (`tollgate` is every tollgate:N, `reference` every reference@BUILD). `uws` (--uws) runs the
 * reference and Tollgate once per uWebSockets.js build named.
 */
export function buildContenders(ctx, { workers, ids, baseline = null, uws = null }) {
  const one = ctx.plan.proxy.slice(0, 1);
  const builds = uws ?? [null];
  const all = [
    { id: 'direct', label: 'upstream directly', kind: 'direct', cpus: ctx.plan.load, contended: false, description: 'no proxy: wrk straight to the upstream nginx, on the same core(s) as wrk', start: async () => ({ url: ctx.upstream.url, stop: async () => {} }) },
    { id: 'nginx', label: 'nginx (1 worker)', kind: 'native', cpus: one, contended: false, description: 'worker_processes 1, upstream keepalive 64, proxy_http_version 1.1, Connection "", access_log off, proxy_buffers 16 8k', start: () => startNginxProxy(ctx, one) },
    { id: 'haproxy', label: 'HAProxy (1 thread)', kind: 'native', cpus: one, contended: false, description: 'mode http, nbthread 1, http-reuse always, no log', start: () => startHaproxy(ctx, one) },
    ...builds.map((b) => referenceContender(ctx, one, b)),
    ...workers.flatMap((w) => builds.map((b) => tollgateContender(ctx, w, b))),
    ...(baseline === null ? [] : [baselineContender(ctx, baseline)]),
    ...(ids && ids.includes('meters-off') ? [metersOffContender(ctx)] : []),
    // Only when named: it answers GETs of small and 64 KiB answers only, from memory.
    ...(ids && ids.includes('uws-memory') ? [{
      id: 'uws-memory', label: 'bare uWS answering from memory', kind: 'node', cpus: one, contended: false,
      description: "native-bench/memory-answer.mjs: uWS answering the upstream's small and 64 KiB answers from memory, one corked write: a cache hit's ceiling on this stack",
      start: () => startNodeProxy(ctx, 'uws-memory', one, 'memory-answer.mjs'),
    }] : []),
    { id: 'fast-gateway', label: 'fast-gateway', kind: 'node', cpus: one, contended: false, description: 'native-bench/peers/fast-gateway.mjs, one process, defaults', start: () => startNodeProxy(ctx, 'fast-gateway', one, 'peers/fast-gateway.mjs') },
    { id: 'fastify-http-proxy', label: '@fastify/http-proxy', kind: 'node', cpus: one, contended: false, description: 'native-bench/peers/fastify-http-proxy.mjs, one process, defaults', start: () => startNodeProxy(ctx, 'fastify-http-proxy', one, 'peers/fastify-http-proxy.mjs') },
  ];
  for (const c of all) c.cpuList = formatCpuList(c.cpus);
  if (!ids) return all;
  if (baseline !== null && !ids.includes('baseline')) ids = [...ids, 'baseline'];
  const matches = (c, id) => c.id === id || c.id.startsWith(`${id}:`) || c.id.startsWith(`${id}@`);
  const picked = all.filter((c) => ids.some((id) => matches(c, id)));
  const unknown = ids.filter((id) => !all.some((c) => matches(c, id)));
  if (unknown.length > 0) throw new Error(`unknown contender(s) ${unknown.join(', ')} (known: ${all.map((c) => c.id).join(', ')}, tollgate)`);
  return picked;
}
