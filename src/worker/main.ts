import { parentPort, workerData } from 'node:worker_threads';
import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { performance } from 'node:perf_hooks';
import { loadUws, type Uws } from '../http/load-uws.js';
import { createEdge } from '../http/edge.js';
import type { UwsExchange } from '../http/uws-exchange.js';
import { createLogger, flushLogger } from '../observability/pino-logger.js';
import { createAccessLog } from '../observability/access-log.js';
import { RouteStats } from '../observability/route-stats.js';
import * as C from '../shm/control-layout.js';
import { buildGeneration, type WorkerGeneration } from './generation-state.js';
import type { FromWorker, ToWorker, WorkerInit } from './messages.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const control = new Int32Array(init.control);
const slot = (field: number): number => C.workerSlot(init.index, field);
const send = (msg: FromWorker): void => port.postMessage(msg);

const logger = createLogger(init.generation.config.log.level, { worker: init.index });
let current: WorkerGeneration | undefined;
let uws: Uws;
let app: TemplatedApp | null = null;
let listenSocket: us_listen_socket | null = null;
let draining = false;
let inFlight = 0;
let drainDone: (() => void) | null = null;
const stats = new RouteStats();
let accessLog = createAccessLog(logger, init.generation.config.log);

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
    current = buildGeneration(msg.generation, previous, logger);
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
    uws.us_listen_socket_close(listenSocket);
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
    uws.us_listen_socket_close(listenSocket);
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
  logger.fatal({ err }, 'worker crashed');
  flushLogger(logger);
  closeSockets();
  Atomics.store(control, slot(C.STATE), C.WORKER_STATE_GONE);
  // Let uv close the sockets' handles before the thread ends.
  setImmediate(() => process.exit(1));
});

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'generation': applyGeneration(msg); break;
    case 'drain': void drain(msg.timeoutMs); break;
    case 'stats': send({ type: 'stats', index: init.index, inFlight, stats: stats.snapshot() }); break;
  }
});

function start(): void {
  try {
    uws = loadUws();
    current = buildGeneration(init.generation, null, logger);
  } catch (err) {
    send({ type: 'listen-failed', index: init.index, message: (err as Error).message });
    return;
  }
  const cfg = init.generation.config;
  const tls = cfg.listen.tls;
  const a = tls ? uws.SSLApp({ cert_file_name: tls.certFile, key_file_name: tls.keyFile }) : uws.App();
  app = a;
  a.any('/*', createEdge({
    state: () => current!.edge,
    draining: () => draining,
    onStart,
    onFinish,
    log: logger,
    faultInjection: init.faultInjection,
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

start();
