// The contenders: how each one starts (pinned), where it listens, how it stops.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeExit, outputOf, spawnPinned, stopProcess } from './children.mjs';
import { formatCpuList, gatewayCpus } from './cpus.mjs';
import { gatewayConfig, gatewayFeatures, SCENARIOS_NEEDING } from './gateway-config.mjs';
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
 * With ctx.gc (--gc) every thread of the gateway writes its allocation and collections to a file
 * of its own per start (gc-meter.cjs), which the measuring loop reads after each run.
 */
async function startTollgate(ctx, name, cpus, workers, root = ctx.root, env = {}, features = undefined) {
  const [port, adminPort] = await freePorts(2);
  const tag = `${name.replace(/[^a-z0-9]/gi, '-')}`;
  const conf = join(ctx.tmp, `${tag}.yaml`);
  writeFileSync(conf, gatewayConfig({ port, adminPort, upstreamPort: ctx.upstream.port, dataDir: join(ctx.tmp, `${tag}-data`) }, features));
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

/** The build under `root` checks a config with its own `validate` command. */
function validateWith(ctx, root) {
  return (yaml) => {
    const conf = join(ctx.tmp, 'baseline-validate.yaml');
    writeFileSync(conf, yaml);
    const r = spawnSync(process.execPath, [join(root, 'dist/cli.js'), 'validate', '-c', conf], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
  };
}

/**
 * Another build of Tollgate (--baseline DIR), 1 worker, for a same-run before/after comparison.
 * An older build may refuse config keys it predates (auth, cache): it gets the bench config
 * without them, and skips the scenarios that need them (`skips`, with a note in the report).
 */
function baselineContender(ctx, root) {
  const { cpus, contended } = gatewayCpus(1, ctx.plan);
  const features = gatewayFeatures(root, ctx.tmp, validateWith(ctx, root));
  const skips = Object.entries(features).filter(([, on]) => !on).flatMap(([name]) => SCENARIOS_NEEDING[name]);
  const description = `${root}/dist/cli.js start --workers 1: the same settings as Tollgate, another build` +
    (skips.length === 0 ? '' : `; its config leaves out ${Object.entries(features).filter(([, on]) => !on).map(([n]) => n).join(' and ')}, which it predates, so it skips ${skips.join(', ')}`);
  return {
    id: 'baseline', label: 'Tollgate baseline build, 1 worker', kind: 'tollgate', workers: 1, uws: null, cpus, contended, description, skips,
    start: () => startTollgate(ctx, 'baseline', cpus, 1, root, {}, features),
  };
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
