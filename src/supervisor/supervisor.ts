import type http from 'node:http';
import type { ChildProcess } from 'node:child_process';
import pino from 'pino';
import { loadConfigFile, formatConfigError } from '../config/load.js';
import type { GatewayConfig } from '../config/types.js';
import { describePlatform, loadUws } from '../http/load-uws.js';
import { createAdminServer } from './admin-server.js';
import { assertPortFree, findFreePort } from './free-port.js';
import { buildGenerationFor, restartOnlyChanges } from './generation.js';
import { redactConfig } from './redact.js';
import { summariseStats } from './stats-summary.js';
import { UpstreamSupervision } from './upstream-supervision.js';
import { WorkerPool } from './worker-pool.js';
import { workerCount as resolveWorkerCount } from './worker-count.js';

export interface StartOptions {
  configFile: string;
  /** Overrides the config's `workers`. */
  workers?: number | 'auto' | undefined;
  /** Started before the gateway, on the ports the config points at, and stopped after it (npm start). */
  demoUpstreams?: ((config: GatewayConfig) => Promise<ChildProcess>) | undefined;
}

export interface RunningGateway {
  port: number;
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
  const loaded = loadConfigFile(opts.configFile);
  if (!loaded.ok) throw new StartError(loaded.errors.map(formatConfigError));
  let config: GatewayConfig = loaded.config;
  log.level = config.log.level;
  // One choice of build for every worker, made before any starts (refuses the pure-JS fallback).
  const uws = loadUws();

  const workerCount = resolveWorkerCount(opts.workers ?? config.workers);
  const port = config.listen.port === 0 ? await findFreePort(config.listen.host) : config.listen.port;
  await assertPortFree(config.listen.host, port);
  let generationId = 1;
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
  const pool = new WorkerPool(workerCount, port, buildGenerationFor(generationId, config, firstPlan.assignments), uws.name, log,
    process.env.TOLLGATE_FAULT_INJECTION === '1', supervision.buffer);
  const demo = opts.demoUpstreams ? await opts.demoUpstreams(config) : null;
  try {
    await pool.start();
  } catch (err) {
    supervision.stop();
    await pool.drain(1_000);
    demo?.kill('SIGTERM');
    throw new StartError([(err as Error).message]);
  }
  supervision.commit(firstPlan);

  async function reloadOnce(): Promise<{ ok: true; generation: number } | { ok: false; errors: string[] }> {
    const next = loadConfigFile(opts.configFile);
    if (!next.ok) {
      const errors = next.errors.map(formatConfigError);
      log.error({ errors }, 'config reload rejected; keeping the running config');
      return { ok: false, errors };
    }
    const fixed = restartOnlyChanges(config, next.config);
    if (fixed.length > 0) {
      const errors = fixed.map((k) => `${opts.configFile}: ${k}: changing this needs a restart; reload refused`);
      log.error({ errors }, 'config reload rejected; keeping the running config');
      return { ok: false, errors };
    }
    const id = generationId + 1;
    let plan: Awaited<ReturnType<typeof supervision.plan>>;
    try {
      plan = await supervision.plan(next.config);
    } catch (err) {
      log.error({ err }, 'config reload rejected; keeping the running config');
      return { ok: false, errors: [(err as Error).message] };
    }
    try {
      await pool.applyGeneration(buildGenerationFor(id, next.config, plan.assignments));
    } catch (err) {
      supervision.abort(plan);
      log.error({ err }, 'config reload failed on a worker; rolled back');
      return { ok: false, errors: [(err as Error).message] };
    }
    supervision.commit(plan);
    generationId = id;
    config = next.config;
    log.info({ generation: id, routes: config.routes.length }, 'config reloaded');
    return { ok: true, generation: id };
  }
  // Reloads run one at a time: a SIGHUP during a reload waits for it.
  const reload = (): ReturnType<typeof reloadOnce> => {
    const run = reloading.then(reloadOnce, reloadOnce);
    reloading = run;
    return run;
  };

  const admin = createAdminServer({ token: config.admin.token, host: config.admin.host }, {
    ready: () => pool.ready(),
    readiness: () => ({ ready: pool.ready(), generation: generationId, workers: pool.workerStates(), spare: pool.spareState() }),
    config: () => redactConfig(config) as object,
    routes: () => config.routes.map((r) => ({
      id: r.id, path: r.match.path, methods: r.match.methods, host: r.match.host,
      upstream: r.upstream, rewrite: r.rewrite, respond: r.respond !== null,
    })),
    upstreams: () => supervision.snapshot(),
    reload,
  });
  const adminPort = await listenAdmin(admin, config.admin.host, config.admin.port).catch(async (err: Error) => {
    supervision.stop();
    await pool.drain(1_000);
    demo?.kill('SIGTERM');
    throw new StartError([`admin: cannot listen on ${config.admin.host}:${config.admin.port}: ${err.message}`]);
  });

  let stopped: Promise<void> | null = null;
  let lastStatsAt = Date.now();
  const statsLog = log.child({}, { level: 'info' });
  return {
    port,
    adminPort,
    workers: workerCount,
    uws: `${uws.name} ${uws.version}`,
    platform: describePlatform(),
    reload,
    shutdown: () => (stopped ??= (async () => {
      log.info({ timeoutMs: config.shutdownTimeout }, 'shutting down: draining workers');
      supervision.stop();
      await pool.drain(config.shutdownTimeout);
      await new Promise<void>((resolve) => admin.close(() => resolve()));
      admin.closeAllConnections();
      if (demo !== null) await stopChild(demo);
      log.info({}, 'stopped');
    })()),
    async logStats() {
      const replies = await pool.stats();
      const now = Date.now();
      const summary = summariseStats(replies.map((r) => r.stats), config, (now - lastStatsAt) / 1000, supervision.snapshot());
      lastStatsAt = now;
      const runtimeOf = new Map(replies.map((r) => [r.index, r.runtime]));
      // Written whatever log.level says: the operator asked for it. RSS is the whole process
      // (every worker thread shares it); heap and event loop are each worker's own.
      statsLog.info({
        ...summary,
        process: { rssMiB: Math.round((process.memoryUsage().rss / (1024 * 1024)) * 10) / 10 },
        workers: pool.workerStates().map((w) => ({ ...w, ...runtimeOf.get(w.index) })),
      }, 'stats');
    },
  };
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
