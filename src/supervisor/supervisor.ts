import type http from 'node:http';
import type { ChildProcess } from 'node:child_process';
import pino from 'pino';
import { JwksService } from '../auth/jwks-service.js';
import { authFigures } from '../auth/counters.js';
import { loadConfigFile, formatConfigError } from '../config/load.js';
import type { GatewayConfig } from '../config/types.js';
import { describePlatform, loadUws } from '../http/load-uws.js';
import { UWS_BUILDS } from '../http/uws-builds.js';
import { createAdminServer } from './admin-server.js';
import { DashboardFeed } from './dashboard/feed.js';
import { SupervisorCache } from './cache-control.js';
import { assertPortFree, findFreePort } from './free-port.js';
import { buildGenerationFor, restartOnlyChanges } from './generation.js';
import { CATALOGUE, CONFIG_RELOADS } from '../observability/metric-catalogue.js';
import { MetricStore } from '../observability/metric-store.js';
import { renderPrometheus } from '../observability/prometheus-text.js';
import { sampleSupervisor } from './supervisor-samplers.js';
import { createRateLimits } from './rate-limit-buffer.js';
import { RateLimitTable } from '../shm/rate-limit-table.js';
import { redactConfig } from './redact.js';
import { certificateReport, tcpMigrateReq, type CertificateLine } from './tls-report.js';
import { statsSnapshot, withUpstreamStates } from './stats-snapshot.js';
import { UpstreamSupervision } from './upstream-supervision.js';
import { WorkerPool } from './worker-pool.js';
import { UsageService } from '../metering/usage-service.js';
import { workerCount as resolveWorkerCount } from './worker-count.js';
import { checkPlugins } from '../plugins/check.js';

export interface StartOptions {
  configFile: string;
  /** Overrides the config's `workers`. */
  workers?: number | 'auto' | undefined;
  /** Started before the gateway, on the ports the config points at, and stopped after it (npm start). */
  demoUpstreams?: ((config: GatewayConfig) => Promise<ChildProcess>) | undefined;
}

/** A listener as it runs: its port resolved (port 0 in the config picks a free one). */
export interface RunningListener {
  host: string;
  port: number;
  tls: boolean;
}

export interface RunningGateway {
  /** The first listener's port. */
  port: number;
  listeners: RunningListener[];
  adminPort: number;
  workers: number;
  /** The uWebSockets.js build every worker runs on: `current 20.57.0`. */
  uws: string;
  /** Node version, platform and C library: `Node v20.20.2, linux-x64, glibc 2.36`. */
  platform: string;
  reload(): Promise<{ ok: true; generation: number } | { ok: false; errors: string[] }>;
  shutdown(): Promise<void>;
  logStats(): Promise<void>;
}

export class StartError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}

/** Loads the config, starts the workers and the admin API. Throws StartError with every problem. */
export async function startGateway(opts: StartOptions, log: pino.Logger): Promise<RunningGateway> {
  // One choice of build for every worker, made before any starts (refuses the pure-JS fallback);
  // the config is checked against it (limits that only some builds can honour).
  const uws = loadUws();
  const build = UWS_BUILDS[uws.name];
  const loaded = loadConfigFile(opts.configFile, process.env, build);
  if (!loaded.ok) throw new StartError(loaded.errors.map(formatConfigError));
  // Plugins are loaded and set up here first, so that a bad one is a config error with its position.
  const plugins = await checkPlugins(opts.configFile, loaded, log);
  if (!plugins.ok) throw new StartError(plugins.errors.map(formatConfigError));
  let config: GatewayConfig = loaded.config;
  log.level = config.log.level;

  const workerCount = resolveWorkerCount(opts.workers ?? config.workers);
  const ports = await resolvePorts(config);
  const listeners = config.listen.map((l, i): RunningListener => ({ host: l.host, port: ports[i]!, tls: l.tls !== null }));
  let generationId = 1;
  const metrics = new MetricStore();
  for (const result of ['success', 'failure']) metrics.add(CONFIG_RELOADS, [result], 0);
  let usage: UsageService;
  try {
    // The workers' pushes go through the pool, made below; nothing calls this before.
    usage = UsageService.open(config.dataDir, { push: () => pool.flushMetrics(), pending: () => pool.usagePending() }, metrics, log);
  } catch (err) {
    throw new StartError([(err as Error).message]);
  }
  const rateLimits = createRateLimits(config.rateLimits.capacity);
  const rateLimitTable = new RateLimitTable(rateLimits);
  // JWKS are fetched here, once for all workers, before they start (bounded wait).
  const jwks = new JwksService(log);
  await jwks.add(config);
  let reloading: Promise<unknown> = Promise.resolve();
  // Health checks, DNS discovery and the shared upstream state, once per node. Discovery updates
  // queue behind a reload in progress, so a reload and a discovery never assign targets at once.
  const supervision = new UpstreamSupervision(log, {
    push: (upstream, assignment) => pool.setTargets(upstream, assignment),
    serial: (task) => {
      reloading = reloading.then(task, task);
    },
  });
  const firstPlan = await supervision.plan(config);
  const pool = new WorkerPool(workerCount, ports, buildGenerationFor(generationId, config, firstPlan.assignments, usage.quotas.forConfig(config), plugins.versions), uws.name, log,
    process.env.TOLLGATE_FAULT_INJECTION === '1', metrics, rateLimits, supervision.buffer,
    { snapshot: () => jwks.snapshot(), refetch: (uri, index) => jwks.refetch(uri, index) }, (delta) => usage.apply(delta));
  jwks.setSender((update, index) => pool.notify({ type: 'jwks', update }, index));
  // Opened here first in the process, before any worker: its LMDB options are the ones they join.
  const cache = new SupervisorCache(pool.cacheShm, log);
  try {
    cache.apply(config);
  } catch (err) {
    throw new StartError([(err as Error).message]);
  }
  const demo = opts.demoUpstreams ? await opts.demoUpstreams(config) : null;
  try {
    await pool.start();
  } catch (err) {
    jwks.close();
    supervision.stop();
    await pool.drain(1_000);
    await usage.close();
    demo?.kill('SIGTERM');
    throw new StartError([(err as Error).message]);
  }
  supervision.commit(firstPlan);
  usage.schedule(config.metering.flushInterval);
  logCertificates(log, certificateReport(config.listen, ports, null), 'TLS certificates loaded');

  async function reloadOnce(): Promise<{ ok: true; generation: number } | { ok: false; errors: string[] }> {
    const next = loadConfigFile(opts.configFile, process.env, build);
    if (!next.ok) {
      const errors = next.errors.map(formatConfigError);
      log.error({ errors }, 'config reload rejected; keeping the running config');
      return { ok: false, errors };
    }
    const plugins = await checkPlugins(opts.configFile, next, log);
    if (!plugins.ok) {
      const errors = plugins.errors.map(formatConfigError);
      log.error({ errors }, 'config reload rejected; keeping the running config');
      return { ok: false, errors };
    }
    const fixed = restartOnlyChanges(config, next.config, ports, opts.workers !== undefined);
    if (fixed.length > 0) {
      const errors = fixed.map((change) => {
        const at = next.where(change.path);
        return formatConfigError({ file: opts.configFile, line: at.line, col: at.col, path: at.path, message: `${change.message}: ${RESTART_ADVICE}` });
      });
      log.error({ errors }, 'config reload rejected; keeping the running config');
      return { ok: false, errors };
    }
    try {
      cache.apply(next.config);
    } catch (err) {
      log.error({ err }, 'config reload rejected; keeping the running config');
      return { ok: false, errors: [(err as Error).message] };
    }
    const id = generationId + 1;
    // New key sets reach the workers before the generation that uses them.
    await jwks.add(next.config);
    let plan: Awaited<ReturnType<typeof supervision.plan>>;
    try {
      plan = await supervision.plan(next.config);
    } catch (err) {
      log.error({ err }, 'config reload rejected; keeping the running config');
      return { ok: false, errors: [(err as Error).message] };
    }
    try {
      await pool.applyGeneration(buildGenerationFor(id, next.config, plan.assignments, usage.quotas.forConfig(next.config), plugins.versions));
    } catch (err) {
      supervision.abort(plan);
      log.error({ err }, 'config reload failed on a worker; rolled back');
      return { ok: false, errors: [(err as Error).message] };
    }
    supervision.commit(plan);
    generationId = id;
    const previous = config;
    config = next.config;
    // The supervisor's own lines follow the new log.level from here on, as the workers' do.
    log.level = config.log.level;
    jwks.prune(config);
    // Usage counted under the previous config is written now; the interval may have changed.
    usage.schedule(config.metering.flushInterval);
    await usage.flush();
    log.info({ generation: id, routes: config.routes.length }, 'config reloaded');
    logCertificates(log, certificateReport(config.listen, ports, previous.listen), 'TLS certificates re-read');
    return { ok: true, generation: id };
  }
  // Reloads run one at a time: a SIGHUP during a reload waits for it.
  const reload = (): ReturnType<typeof reloadOnce> => {
    const run = reloading.then(reloadOnce, reloadOnce).then((result) => {
      metrics.add(CONFIG_RELOADS, [result.ok ? 'success' : 'failure']);
      return result;
    });
    reloading = run;
    return run;
  };
  /** Brings the store up to now: every worker's counts, and what the supervisor reads itself. */
  const refreshMetrics = async (): Promise<void> => {
    await pool.flushMetrics();
    sampleSupervisor(metrics, { config, workers: pool.workerStates(), jwks: jwks.stats(), rateLimits: rateLimitTable.stats(), upstreams: supervision.snapshot() });
  };
  /** The snapshot /routes, /upstreams and SIGUSR2 share. */
  const snapshot = async (): Promise<ReturnType<typeof statsSnapshot>> => {
    await refreshMetrics();
    return withUpstreamStates(statsSnapshot(metrics, config, pool.workerStates()), supervision.snapshot());
  };

  const dashboard = new DashboardFeed({
    store: metrics, config: () => config, generation: () => generationId, ready: () => pool.ready(),
    workers: () => pool.workerStates(), upstreams: () => supervision.snapshot(),
  });
  dashboard.start();

  const admin = createAdminServer({ token: config.admin.token, host: config.admin.host }, {
    ready: () => pool.ready(),
    readiness: () => ({ ready: pool.ready(), generation: generationId, workers: pool.workerStates(), spare: pool.spareState() }),
    config: () => redactConfig(config) as object,
    routes: async () => (await snapshot()).routes,
    upstreams: async () => (await snapshot()).upstreams,
    metrics: async () => {
      await refreshMetrics();
      return renderPrometheus(metrics, CATALOGUE);
    },
    dashboard: () => dashboard.data(),
    usage: (query) => usage.query(query),
    reload,
    purgeCache: (req) => cache.purge(req),
  });
  const adminPort = await listenAdmin(admin, config.admin.host, config.admin.port).catch(async (err: Error) => {
    dashboard.stop();
    jwks.close();
    supervision.stop();
    await pool.drain(1_000);
    await usage.close();
    demo?.kill('SIGTERM');
    throw new StartError([`admin: cannot listen on ${config.admin.host}:${config.admin.port}: ${err.message}`]);
  });

  let stopped: Promise<void> | null = null;
  const statsLog = log.child({}, { level: 'info' });
  return {
    port: ports[0]!,
    listeners,
    adminPort,
    workers: workerCount,
    uws: `${uws.name} ${uws.version}`,
    platform: describePlatform(),
    reload,
    shutdown: () => (stopped ??= (async () => {
      log.info({ timeoutMs: config.shutdownTimeout }, 'shutting down: draining workers');
      dashboard.stop();
      jwks.close();
      supervision.stop();
      await pool.drain(config.shutdownTimeout);
      // Each worker pushed its last counts as it drained: nothing is left out of this flush.
      await usage.close();
      await cache.close().catch((err: unknown) => log.warn({ err }, 'closing the cache store failed'));
      await new Promise<void>((resolve) => admin.close(() => resolve()));
      admin.closeAllConnections();
      if (demo !== null) await stopChild(demo);
      log.info({}, 'stopped');
    })()),
    async logStats() {
      // The same snapshot as GET /routes and /upstreams, with the workers and the process.
      // Written whatever log.level says: the operator asked for it. RSS is the whole process
      // (every worker thread shares it); heap, event loop and connections are each worker's own.
      statsLog.info({
        ...(await snapshot()),
        auth: authFigures(metrics),
        jwks: jwks.stats(),
        rateLimits: rateLimitTable.stats(),
        process: { rssMiB: Math.round((process.memoryUsage.rss() / (1024 * 1024)) * 10) / 10 },
      }, 'stats');
    },
  };
}

const RESTART_ADVICE = 'reload refused, the running config keeps serving; restart Tollgate to apply it (systemctl restart tollgate)';

/**
 * Every worker binds each listener's port (SO_REUSEPORT), and uWS shares only a port it is given:
 * port 0 becomes one free port, the same for all workers. A port held by anyone else is refused.
 */
async function resolvePorts(config: GatewayConfig): Promise<number[]> {
  const ports: number[] = [];
  for (const listener of config.listen) {
    let port = listener.port;
    // Two listeners on port 0 must not be handed the same free port.
    while (port === 0 || (listener.port === 0 && ports.includes(port))) port = await findFreePort(listener.host);
    await assertPortFree(listener.host, port).catch((err: Error) => {
      throw new StartError([err.message]);
    });
    ports.push(port);
  }
  return ports;
}

/** Which certificate each TLS listener and server name serves; a reload says which changed. */
function logCertificates(log: pino.Logger, lines: CertificateLine[], msg: string): void {
  if (lines.length === 0) return;
  const changed = lines.filter((l) => l.changed === true).length;
  const expired = lines.filter((l) => l.expired);
  const fields: Record<string, unknown> = { certificates: lines };
  if (lines[0]!.changed !== undefined) {
    fields['changed'] = changed;
    // Listeners with a new certificate were re-opened: say whether the kernel hands over the
    // connections still queued on the old listen sockets (README, TLS).
    if (changed > 0) fields['tcpMigrateReq'] = tcpMigrateReq();
  }
  log.info(fields, msg);
  if (expired.length > 0) {
    log.warn({ certificates: expired.map((l) => ({ listener: l.listener, serverName: l.serverName, notAfter: l.notAfter })) }, 'TLS certificate expired: clients will refuse it');
  }
}

function listenAdmin(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
