import { parentPort, workerData } from 'node:worker_threads';
import type pino from 'pino';
import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { performance } from 'node:perf_hooks';
import { loadUws, type UwsBuild } from '../http/load-uws.js';
import { createEdge } from '../http/edge.js';
import type { UwsExchange } from '../http/uws-exchange.js';
import { createLogger, flushLogger } from '../observability/pino-logger.js';
import { createAccessLog, type AccessLog } from '../observability/access-log.js';
import { RouteStats } from '../observability/route-stats.js';
import { RuntimeStats } from '../observability/runtime-stats.js';
import * as C from '../shm/control-layout.js';
import { upstreamStateViews } from '../shm/upstream-state-layout.js';
import type { UpstreamEnv } from '../upstream/registry.js';
import { buildGeneration, type WorkerGeneration } from './generation-state.js';
import type { FromSpare, FromWorker, ToWorker, WorkerBoot, WorkerInit } from './messages.js';

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
let app: TemplatedApp | null = null;
let listenSocket: us_listen_socket | null = null;
let draining = false;
let inFlight = 0;
let drainDone: (() => void) | null = null;
const stats = new RouteStats();
let runtime!: RuntimeStats;
let upstreamEnv!: UpstreamEnv;
const slot = (field: number): number => C.workerSlot(init.index, field);

function onFinish(ex: UwsExchange): void {
  inFlight--;
  // Only this worker writes its IN_FLIGHT word; the supervisor reads it for stats and drain.
  Atomics.store(control, slot(C.IN_FLIGHT), inFlight);
  const durationMs = performance.now() - ex.startTime;
  const ctx = ex.ctx;
  const status = ex.aborted ? 499 : ex.status;
  if (ctx === null) stats.record('(unmatched)', status, durationMs, null, 0, -1);
  else stats.record(ctx.route.id, status, durationMs, ctx.route.config.upstream, ctx.upstreamStatus, ctx.upstreamMs);
  accessLog(ex, ctx, status, durationMs);
  if (draining && inFlight === 0 && drainDone !== null) drainDone();
}

function onStart(): void {
  inFlight++;
  Atomics.store(control, slot(C.IN_FLIGHT), inFlight);
}

function applyGeneration(msg: Extract<ToWorker, { type: 'generation' }>): void {
  const previous = current;
  if (previous === undefined) return;
  try {
    current = buildGeneration(msg.generation, previous, upstreamEnv, init.faultInjection);
  } catch (err) {
    logger.error({ err, generation: msg.generation.id }, 'failed to apply config generation');
    send({ type: 'generation-failed', index: init.index, generation: msg.generation.id, message: String(err) });
    return;
  }
  const cfg = msg.generation.config;
  logger.level = cfg.log.level;
  accessLog = createAccessLog(logger, cfg.log);
  // Requests already running keep their own route objects (and through them the old pools and
  // route table); retiring the old pools waits for those requests, then closes idle sockets.
  void previous.upstreams.retire(current!.upstreams);
  Atomics.store(control, slot(C.APPLIED_GENERATION), msg.generation.id);
  send({ type: 'generation-applied', index: init.index, generation: msg.generation.id });
}

function closeSockets(): void {
  if (listenSocket !== null) {
    build.uws.us_listen_socket_close(listenSocket);
    listenSocket = null;
  }
  if (app !== null) {
    // Closes every open connection; uv handles must all be gone before the thread ends, or Node aborts.
    (app as TemplatedApp & { close(): void }).close();
    app = null;
  }
}

async function drain(timeoutMs: number): Promise<void> {
  draining = true;
  Atomics.store(control, slot(C.STATE), C.WORKER_STATE_DRAINING);
  if (listenSocket !== null) {
    build.uws.us_listen_socket_close(listenSocket);
    listenSocket = null;
  }
  if (inFlight > 0) {
    await new Promise<void>((resolve) => {
      drainDone = resolve;
      setTimeout(resolve, timeoutMs).unref();
    });
  }
  const left = inFlight;
  closeSockets();
  if (current !== undefined) await current.upstreams.retire(null).catch(() => {});
  logger.info({ inFlight: left }, left === 0 ? 'worker drained' : 'worker drain timed out');
  flushLogger(logger);
  Atomics.store(control, slot(C.STATE), C.WORKER_STATE_GONE);
  send({ type: 'drained', index: init.index, inFlight: left });
  setImmediate(() => process.exit(0));
}

process.on('uncaughtException', (err) => {
  if (logger === undefined) throw err; // a spare: nothing to close, nothing to log to
  logger.fatal({ err }, 'worker crashed');
  flushLogger(logger);
  closeSockets();
  Atomics.store(control, slot(C.STATE), C.WORKER_STATE_GONE);
  // Let uv close the sockets' handles before the thread ends.
  setImmediate(() => process.exit(1));
});

function onMessage(msg: ToWorker): void {
  switch (msg.type) {
    case 'generation': applyGeneration(msg); break;
    case 'drain': void drain(msg.timeoutMs); break;
    case 'targets': current?.upstreams.updateTargets(msg.upstream, msg.assignment); break;
    case 'stats': send({ type: 'stats', index: init.index, inFlight, stats: stats.snapshot(), runtime: runtime.snapshot() }); break;
    case 'assume': break; // only a spare is sent one
  }
}

/** The thread takes its slot: builds its generation and listens. */
function start(assigned: WorkerInit): void {
  init = assigned;
  control = new Int32Array(init.control);
  runtime = new RuntimeStats();
  logger = createLogger(init.generation.config.log.level, { worker: init.index });
  accessLog = createAccessLog(logger, init.generation.config.log);
  port.on('message', onMessage);
  try {
    build = loadUws(init.uws);
    upstreamEnv = { state: upstreamStateViews(init.upstreamState), log: logger };
    current = buildGeneration(init.generation, null, upstreamEnv, init.faultInjection);
  } catch (err) {
    send({ type: 'listen-failed', index: init.index, message: (err as Error).message });
    return;
  }
  const cfg = init.generation.config;
  const tls = cfg.listen.tls;
  const uws = build.uws;
  const a = tls ? uws.SSLApp({ cert_file_name: tls.certFile, key_file_name: tls.keyFile }) : uws.App();
  app = a;
  a.any('/*', createEdge({
    state: () => current!.edge,
    draining: () => draining,
    onStart,
    onFinish,
    answerHeaders: init.faultInjection ? ['x-tollgate-worker', String(init.index)] : [],
    log: logger,
    quirks: build.quirks,
  }));
  a.listen(cfg.listen.host, init.port, (ls) => {
    if (!ls) {
      closeSockets();
      send({ type: 'listen-failed', index: init.index, message: `cannot listen on ${cfg.listen.host}:${init.port} (address in use or not available)` });
      return;
    }
    listenSocket = ls;
    Atomics.store(control, slot(C.APPLIED_GENERATION), init.generation.id);
    Atomics.store(control, slot(C.STATE), C.WORKER_STATE_SERVING);
    send({ type: 'listening', index: init.index, port: init.port });
  });
}

/** A spare waits for a slot to take; told to drain first, it just ends (it holds no socket). */
function waitAsSpare(): void {
  const onSpareMessage = (msg: ToWorker): void => {
    if (msg.type === 'drain') {
      process.exit(0);
    } else if (msg.type === 'assume') {
      port.off('message', onSpareMessage);
      start(msg.init);
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

if (boot.init !== null) start(boot.init);
else waitAsSpare();
