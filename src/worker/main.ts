import { parentPort, workerData } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import type pino from 'pino';
import { performance } from 'node:perf_hooks';
import { dropUwsMark, loadUws, type UwsBuild } from '../http/load-uws.js';
import { ConnectionLimits } from '../http/connection-limits.js';
import { createEdge } from '../http/edge.js';
import { closeWebSockets } from '../http/websocket-edge.js';
import type { UwsExchange } from '../http/uws-exchange.js';
import { createLogger, flushLogger } from '../observability/pino-logger.js';
import { createAccessLog, type AccessLog } from '../observability/access-log.js';
import { MetricsRecorder } from '../observability/metrics-recorder.js';
import { RequestMeters } from '../observability/request-meters.js';
import { RuntimeStats } from '../observability/runtime-stats.js';
import { registerUpstreamGauges } from '../observability/upstream-gauges.js';
import { WORKER_IN_FLIGHT } from '../observability/metric-catalogue.js';
import { RateLimitCounters } from '../observability/rate-limit-counters.js';
import { RateLimitTable } from '../shm/rate-limit-table.js';
import type { RateLimitDeps } from '../pipeline/types.js';
import * as C from '../shm/control-layout.js';
import { UsageMeter } from '../metering/usage-meter.js';
import { AuthRuntime } from '../auth/auth-runtime.js';
import { closeMergePool } from '../stages/aggregate/merge-pool.js';
import { authCounterFlush } from '../auth/counters.js';
import { upstreamStateViews } from '../shm/upstream-state-layout.js';
import type { UpstreamEnv } from '../upstream/registry.js';
import { buildGeneration, type WorkerGeneration } from './generation-state.js';
import { WorkerCache } from './cache-wiring.js';
import { closePlugins, NO_PLUGINS, loadPlugins, type PluginSet } from '../plugins/load.js';
import { WorkerListeners, type AppTraffic, type Scheme } from './listeners.js';
import type { FromSpare, FromWorker, Generation, ToWorker, WorkerBoot, WorkerInit } from './messages.js';

// A thread starts either with its assignment or as a spare: a spare has loaded its modules and
// uWS but listens on nothing until the supervisor sends it the slot of a worker that died
// ('assume'). Taking over then costs no module loading, which on a loaded machine is most of a
// cold start (seconds rather than the ~150 ms it takes on an idle one).
const boot = workerData as WorkerBoot;
const port = parentPort!;
const send = (msg: FromWorker): void => port.postMessage(msg);

let init!: WorkerInit;
let control!: Int32Array;
let logger!: pino.Logger;
let accessLog!: AccessLog;
let current: WorkerGeneration | undefined;
let build: UwsBuild;
let listeners: WorkerListeners | null = null;
let connectionLimits: ConnectionLimits | null = null;
let draining = false;
let inFlight = 0;
let drainDone: (() => void) | null = null;
const metrics = new MetricsRecorder();
const meters = new RequestMeters(metrics, process.env['TOLLGATE_BENCH_METERS'] !== 'off');
/** Usage per consumer, sent with every metrics push; the supervisor writes it to LMDB. */
const usage = new UsageMeter(randomUUID());
/** How often a worker pushes its metrics unasked; a crash loses at most this much of its counts. */
const METRICS_PUSH_MS = 1_000;
let auth!: AuthRuntime;
let flushAuthCounters = (): void => {};
/** The shared table and this worker's refusal counters: one for the thread's life, every generation uses them. */
let rateLimits!: RateLimitDeps;
let upstreamEnv!: UpstreamEnv;
let cache: WorkerCache | null = null;
const slot = (field: number): number => C.workerSlot(init.index, field);

function onFinish(ex: UwsExchange): void {
  inFlight--;
  // Only this worker writes its IN_FLIGHT word; the supervisor reads it for stats and drain.
  Atomics.store(control, slot(C.IN_FLIGHT), inFlight);
  const durationMs = performance.now() - ex.startTime;
  const ctx = ex.ctx;
  const status = ex.aborted ? 499 : ex.status;
  (ctx === null ? meters.unmatched : ctx.route.meter).record(ex.method, status, durationMs);
  if (ctx !== null && ctx.consumer !== null && meters.enabled) {
    // Tells the supervisor's timed usage flush that this worker has counts to push (see pushMetrics).
    if (usage.empty) Atomics.store(control, slot(C.USAGE_PENDING), 1);
    usage.record(ctx.consumer, ctx.route.id, status, ex.bytesRead, ex.bytesWritten);
  }
  accessLog(ex, ctx, status, durationMs);
  if (draining && inFlight === 0 && drainDone !== null) drainDone();
}

/** Sends what was counted since the previous push; `flush` answers a 'metrics-flush' (0: unasked). */
function pushMetrics(flush: number): void {
  flushAuthCounters();
  Atomics.store(control, slot(C.USAGE_PENDING), 0);
  send({ type: 'metrics', index: init.index, flush, delta: metrics.takeDelta(), usage: usage.takeDelta() });
}

function onStart(): void {
  inFlight++;
  Atomics.store(control, slot(C.IN_FLIGHT), inFlight);
}

/**
 * This worker's instances of a config's plugins (modules imported, options parsed, set up). The
 * supervisor checked the same config first, so a failure here is one of this worker alone (a
 * setup that failed on its second run); it fails the generation as a compile error would.
 */
async function workerPlugins(gen: Generation): Promise<PluginSet> {
  if (Object.keys(gen.config.plugins).length === 0) return NO_PLUGINS;
  const result = await loadPlugins(gen.config, logger, gen.pluginVersions);
  if (result.ok) return result.plugins;
  throw new Error(`plugins failed to load: ${result.problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`);
}

/** A generation sent while this worker was still starting (loading its plugins): applied once it listens. */
let pendingGeneration: Extract<ToWorker, { type: 'generation' }> | null = null;

async function applyGeneration(msg: Extract<ToWorker, { type: 'generation' }>): Promise<void> {
  if (current === undefined || listeners === null) {
    if (!draining) pendingGeneration = msg;
    return;
  }
  let plugins: PluginSet;
  try {
    plugins = await workerPlugins(msg.generation);
  } catch (err) {
    logger.error({ err, generation: msg.generation.id }, 'failed to apply config generation: plugins');
    send({ type: 'generation-failed', index: init.index, generation: msg.generation.id, message: (err as Error).message });
    return;
  }
  // Read after the await: the generation the plugins replace, and whether the worker still serves.
  const previous = current;
  if (listeners === null || draining) {
    await closePlugins(plugins, logger);
    return;
  }
  let next: WorkerGeneration;
  try {
    next = buildGeneration(msg.generation, previous, upstreamEnv, init.faultInjection, meters, auth, rateLimits, cache!.forConfig(msg.generation.config), plugins);
  } catch (err) {
    void closePlugins(plugins, logger);
    logger.error({ err, generation: msg.generation.id }, 'failed to apply config generation');
    send({ type: 'generation-failed', index: init.index, generation: msg.generation.id, message: String(err) });
    return;
  }
  const cfg = msg.generation.config;
  try {
    // Listeners whose certificates changed on disk are re-opened here; routes swap below, in the
    // same synchronous step, so no request sees new certificates with old routes or the reverse.
    const replaced = listeners.update(cfg.listen);
    for (const { listener, certificates } of replaced) {
      logger.debug({ listener, certificates: certificates.map((c) => ({ serverName: c.serverName, fingerprint256: c.pair.summary.fingerprint256 })) },
        'listener re-opened with new certificates');
    }
  } catch (err) {
    void next.upstreams.retire(previous.upstreams);
    void closePlugins(plugins, logger);
    logger.error({ err, generation: msg.generation.id }, 'failed to apply config generation: listeners');
    send({ type: 'generation-failed', index: init.index, generation: msg.generation.id, message: (err as Error).message });
    return;
  }
  current = next;
  logger.level = cfg.log.level;
  accessLog = createAccessLog(logger, cfg.log);
  connectionLimits?.apply(cfg.limits);
  // Requests already running keep their own route objects (and through them the old pools and
  // route table); retiring the old pools waits for those requests, then closes idle sockets.
  // The old plugins' close() waits for the same requests, which may still call their hooks.
  void previous.upstreams.retire(current!.upstreams).then(() => closePlugins(previous.plugins, logger));
  Atomics.store(control, slot(C.APPLIED_GENERATION), msg.generation.id);
  send({ type: 'generation-applied', index: init.index, generation: msg.generation.id });
}

function closeSockets(): void {
  // Closes every open connection; uv handles must all be gone before the thread ends, or Node aborts.
  listeners?.closeAll();
  listeners = null;
}

async function drain(timeoutMs: number): Promise<void> {
  draining = true;
  Atomics.store(control, slot(C.STATE), C.WORKER_STATE_DRAINING);
  listeners?.stopAccepting();
  // An open WebSocket would hold the drain until its timeout: told to go away, its client and
  // upstream close now (each is an exchange in flight until its close handler runs).
  closeWebSockets(1001, 'gateway shutting down');
  if (inFlight > 0) {
    await new Promise<void>((resolve) => {
      drainDone = resolve;
      setTimeout(resolve, timeoutMs).unref();
    });
  }
  const left = inFlight;
  closeSockets();
  if (current !== undefined) {
    await current.upstreams.retire(null).catch(() => {});
    await closePlugins(current.plugins, logger);
  }
  await auth.close().catch(() => {});
  await closeMergePool().catch(() => {});
  await cache?.close().catch((err: unknown) => logger.warn({ err }, 'closing the cache store failed'));
  logger.info({ inFlight: left }, left === 0 ? 'worker drained' : 'worker drain timed out');
  flushLogger(logger);
  pushMetrics(0);
  Atomics.store(control, slot(C.STATE), C.WORKER_STATE_GONE);
  send({ type: 'drained', index: init.index, inFlight: left });
  setImmediate(() => process.exit(0));
}

process.on('uncaughtException', (err) => {
  if (logger === undefined) throw err; // a spare: nothing to close, nothing to log to
  logger.fatal({ err }, 'worker crashed');
  flushLogger(logger);
  // What this worker counted since its last push, so that the totals lose none of it.
  try {
    pushMetrics(0);
  } catch {
    // The crash may have left the counts unreadable; the totals keep the previous push.
  }
  closeSockets();
  Atomics.store(control, slot(C.STATE), C.WORKER_STATE_GONE);
  // Let uv close the sockets' handles before the thread ends.
  setImmediate(() => process.exit(1));
});

function onMessage(msg: ToWorker): void {
  switch (msg.type) {
    case 'generation': void applyGeneration(msg); break;
    case 'drain': void drain(msg.timeoutMs); break;
    case 'metrics-flush': pushMetrics(msg.flush); break;
    case 'jwks': auth.onJwks(msg.update); break;
    case 'targets': current?.upstreams.updateTargets(msg.upstream, msg.assignment); break;
    case 'assume': break; // only a spare is sent one
  }
}

/** The thread takes its slot: loads its plugins, builds its generation and listens. */
async function start(assigned: WorkerInit): Promise<void> {
  init = assigned;
  control = new Int32Array(init.control);
  new RuntimeStats().register(metrics);
  metrics.gauge(WORKER_IN_FLIGHT, (emit) => emit([], inFlight));
  registerUpstreamGauges(metrics, () => current?.upstreams);
  auth = new AuthRuntime((uri) => send({ type: 'jwks-refetch', index: init.index, uri }), init.jwks);
  flushAuthCounters = authCounterFlush(metrics, auth.counters);
  cache = new WorkerCache(init.cacheShm);
  logger = createLogger(init.generation.config.log.level, { worker: init.index });
  accessLog = createAccessLog(logger, init.generation.config.log);
  port.on('message', onMessage);
  try {
    build = loadUws(init.uws);
    dropUwsMark(build);
    rateLimits = { table: new RateLimitTable(init.rateLimits), counters: new RateLimitCounters(metrics) };
    upstreamEnv = { state: upstreamStateViews(init.upstreamState), log: logger };
    const plugins = await workerPlugins(init.generation);
    current = buildGeneration(init.generation, null, upstreamEnv, init.faultInjection, meters, auth, rateLimits, cache.forConfig(init.generation.config), plugins);
  } catch (err) {
    send({ type: 'listen-failed', index: init.index, message: (err as Error).message });
    return;
  }
  const cfg = init.generation.config;
  const limits = new ConnectionLimits(build.quirks, cfg.limits, logger, metrics);
  connectionLimits = limits;
  const edgeFor = (scheme: Scheme, traffic: AppTraffic) => createEdge({
    state: () => current!.edge,
    draining: () => draining,
    onStart: () => {
      traffic.started();
      onStart();
    },
    onFinish: (ex) => {
      traffic.finished();
      onFinish(ex);
    },
    answerHeaders: init.faultInjection ? ['x-tollgate-worker', String(init.index)] : [],
    log: logger,
    quirks: build.quirks,
    scheme,
  });
  const opened = new WorkerListeners(build.uws, edgeFor, logger, { opened: (app) => limits.attach(app), closed: (app) => limits.detach(app) });
  try {
    opened.open(cfg.listen, init.ports);
  } catch (err) {
    send({ type: 'listen-failed', index: init.index, message: (err as Error).message });
    return;
  }
  listeners = opened;
  setInterval(() => pushMetrics(0), METRICS_PUSH_MS).unref();
  Atomics.store(control, slot(C.APPLIED_GENERATION), init.generation.id);
  Atomics.store(control, slot(C.STATE), C.WORKER_STATE_SERVING);
  send({ type: 'listening', index: init.index, ports: init.ports });
  const pending = pendingGeneration;
  pendingGeneration = null;
  if (pending !== null) void applyGeneration(pending);
}

/** A spare waits for a slot to take; told to drain first, it just ends (it holds no socket). */
function waitAsSpare(): void {
  const onSpareMessage = (msg: ToWorker): void => {
    if (msg.type === 'drain') {
      process.exit(0);
    } else if (msg.type === 'assume') {
      port.off('message', onSpareMessage);
      void start(msg.init);
    }
  };
  port.on('message', onSpareMessage);
  try {
    loadUws(boot.uws);
  } catch {
    // start() loads it again and reports the failure as the worker it became.
  }
  port.postMessage({ type: 'spare-ready' } satisfies FromSpare);
}

if (boot.init !== null) void start(boot.init);
else waitAsSpare();
