// Every metric Tollgate exports, in the order GET /metrics writes them (SPEC §5).
//
// To export a new counter (or gauge):
//   1. Declare it: `export const RATE_LIMITED = counter('tollgate_ratelimited_total', ['route'],
//      'Requests answered 429 by a rate limit', { view: { on: 'route', field: 'rateLimited' } })`
//      in the feature's own list (e.g. src/stages/rate-limit/metrics.ts), and add that list to
//      CATALOGUE below. `view` is optional: with it the figure also appears in /routes,
//      /upstreams and the SIGUSR2 snapshot (see MetricView).
//   2. In the stage factory, look the series up once: `const limited =
//      deps.metrics.counter(RATE_LIMITED, [route.id])`; per request: `limited.value++`.
//      A gauge is sampled instead: `metrics.gauge(DEF, (emit) => emit([labels...], value))` is
//      called each time the worker pushes; a state the supervisor can read itself (shared
//      memory) is set by a sampler in src/supervisor/supervisor-samplers.ts. A gauge holding a
//      state shows as a word in the views with `show: ['closed', 'open', 'half-open']`.
// Nothing else changes: the worker pushes increments every second and on demand
// (worker/main.ts), the supervisor sums them over workers and keeps the totals of workers that
// die (observability/metric-store.ts), /metrics writes every series it holds
// (prometheus-text.ts), and the views fill /routes, /upstreams and SIGUSR2 (supervisor/stats-snapshot.ts).
// A metric with no series yet (no request counted it) is not written at all.
import { counter, gauge, summary, type MetricDef } from './metric-def.js';
import { METERING_METRICS } from '../metering/metrics.js';
import { CACHE_RESULTS } from '../stages/cache/metrics.js';
import { WEBSOCKETS_OPEN } from '../stages/websocket/metrics.js';

export const REQUESTS = counter('tollgate_requests_total', ['route', 'method', 'status'],
  'Requests answered, by route id ("(unmatched)": no route), method and status sent (499: the client went away first).');

export const REQUEST_DURATION = summary('tollgate_request_duration_seconds', ['route'],
  'Time from the request head to the end of the answer. Quantiles over the last minute, from HDR histograms merged across workers; _sum and _count since start.');

export const UPSTREAM_DURATION = summary('tollgate_upstream_duration_seconds', ['upstream'],
  "Time from handing a request to the upstream's pool (queueing and connecting included) to the head of its answer, or to its failure. Quantiles over the last minute; _sum and _count since start.");

export const UPSTREAM_RESPONSES = counter('tollgate_upstream_responses_total', ['upstream', 'status'],
  'Answers received from upstreams, by status.');

export const UPSTREAM_ERRORS = counter('tollgate_upstream_errors_total', ['upstream', 'kind'],
  'Upstream calls that failed, by kind: timeout, connect, reset (connection closed), protocol (an invalid answer), request (the request cannot be written as HTTP/1.1).',
  { view: { on: 'upstream', field: 'errors', by: 'kind' } });

export const UPSTREAM_IN_FLIGHT = gauge('tollgate_upstream_in_flight_requests', ['upstream', 'target'],
  'Requests sent or waiting to be sent to the target, summed over workers.',
  { view: { on: 'target', field: 'inFlight' } });

export const UPSTREAM_QUEUED = gauge('tollgate_upstream_queued_requests', ['upstream', 'target'],
  'Requests waiting for a free connection to the target (the pool is at upstreams.NAME.connections), summed over workers.',
  { view: { on: 'target', field: 'queued' } });

export const UPSTREAM_CONNECTIONS = gauge('tollgate_upstream_connections', ['upstream', 'target', 'state'],
  'Keep-alive connections open to the target, summed over workers: busy (carrying a request) or idle.',
  { view: { on: 'target', field: 'connections', by: 'state' } });

export const TARGET_UP = gauge('tollgate_target_up', ['upstream', 'target'],
  'Whether the target takes traffic by its health (1) or is down by active or passive health checks (0); every target of every upstream.');
export const CIRCUIT_OPEN = gauge('tollgate_circuit_open', ['upstream', 'target'],
  "Whether the target's circuit breaker is open (1: answered 503 without a connection) or not (0: closed or half-open).");

export const WORKERS = gauge('tollgate_workers', [], 'Worker threads serving requests.');

export const CONFIG_RELOADS = counter('tollgate_config_reloads_total', ['result'],
  'Config reloads (SIGHUP, POST /reload) by result: success, or failure (the running config is kept).');

const MIB = 1 / (1024 * 1024);

export const WORKER_IN_FLIGHT = gauge('tollgate_worker_in_flight_requests', [], 'Requests started and not finished, per worker.', { perWorker: true });
export const WORKER_HEAP_USED = gauge('tollgate_worker_heap_used_bytes', [], "V8 heap used by the worker thread's isolate.",
  { perWorker: true, view: { on: 'worker', field: 'heapUsedMiB', scale: MIB, digits: 2 } });
export const WORKER_HEAP_TOTAL = gauge('tollgate_worker_heap_total_bytes', [], "V8 heap reserved by the worker thread's isolate.",
  { perWorker: true, view: { on: 'worker', field: 'heapTotalMiB', scale: MIB, digits: 2 } });
export const WORKER_EXTERNAL = gauge('tollgate_worker_external_bytes', [], 'Memory outside the V8 heap held by the worker thread (buffers).',
  { perWorker: true, view: { on: 'worker', field: 'externalMiB', scale: MIB, digits: 2 } });
const delay = (q: string, text: string): MetricDef => gauge(`tollgate_worker_event_loop_delay_${q}_seconds`, [],
  `Event-loop delay of the worker, ${text} over the last 10 seconds: how late a 10 ms timer ran.`,
  { perWorker: true, view: { on: 'worker', field: `eventLoopDelayMs.${q}`, scale: 1000, digits: 2 } });
export const WORKER_LOOP_DELAY_P50 = delay('p50', 'median');
export const WORKER_LOOP_DELAY_P99 = delay('p99', '99th percentile');
export const WORKER_LOOP_DELAY_MAX = delay('max', 'maximum');
export const WORKER_LOOP_UTILIZATION = gauge('tollgate_worker_event_loop_utilization', [],
  "Share of the last 10 seconds the worker's event loop was busy (0..1).",
  { perWorker: true, view: { on: 'worker', field: 'eventLoopUtilization', digits: 3 } });

export const AUTH_EVENTS = counter('tollgate_auth_total', ['event'],
  'Authentication outcomes (src/auth/counters.ts): missing, apiKeyAccepted, apiKeyRefused, jwtCached, jwtVerified, jwtRefused, jwtInline, jwtOffloaded, poolFull (503: the verification queue was full), keysUnavailable (503: no keys loaded yet), insufficientScope (403), jwksRefetchAsked.');
export const JWKS_FETCHES = counter('tollgate_jwks_fetches_total', ['uri'], 'JWKS fetches by the supervisor (start, refresh, unknown kid after the cooldown), per jwksUri.');
export const JWKS_FAILURES = counter('tollgate_jwks_failures_total', ['uri'], 'JWKS fetches that failed (the cached keys keep serving), per jwksUri.');
export const JWKS_KEYS = gauge('tollgate_jwks_keys', ['uri'], 'Keys held from the last good JWKS fetch, per jwksUri.');

export const RATE_LIMITED = counter('tollgate_ratelimited_total', ['route'],
  'Requests answered 429 by a route rate limit or a plan limit, by route.',
  { view: { on: 'route', field: 'rateLimited' } });
export const RATE_LIMIT_SLOTS = gauge('tollgate_ratelimit_slots', ['state'],
  'Slots of the shared rate-limit table (rateLimits.capacity): used (holding a key), capacity.');
export const RATE_LIMIT_TABLE_EVENTS = counter('tollgate_ratelimit_table_total', ['event'],
  'Rate-limit table events: reused (an idle slot given to a new key: the table was full), full (503: no idle slot in the key\'s probe window), stuck (503: a slot stayed marked as changing owner; expected 0).');

export const WORKER_OPEN_CONNECTIONS = gauge('tollgate_worker_open_connections', [],
  'Open client connections of the worker; known only with limits.maxConnections set (uWS reports connections opening and closing to a filter the worker attaches at start, on the current build).',
  { perWorker: true, view: { on: 'worker', field: 'openConnections' } });
export const CONNECTIONS_REFUSED = counter('tollgate_connections_refused_total', [],
  'Client connections closed the moment they opened because their worker had limits.maxConnections open.');

export const PROCESS_RSS = gauge('process_resident_memory_bytes', [], 'Resident memory of the whole process (every thread).');
export const PROCESS_CPU = counter('process_cpu_seconds_total', [], 'User and system CPU time of the whole process.');
export const PROCESS_START = gauge('process_start_time_seconds', [], 'Start time of the process, in seconds since the Unix epoch.');
export const PROCESS_OPEN_FDS = gauge('process_open_fds', [], 'Open file descriptors (sockets included) of the process (Linux).');

export const CATALOGUE: readonly MetricDef[] = [
  REQUESTS,
  REQUEST_DURATION,
  UPSTREAM_DURATION,
  UPSTREAM_RESPONSES,
  UPSTREAM_ERRORS,
  UPSTREAM_IN_FLIGHT,
  UPSTREAM_QUEUED,
  UPSTREAM_CONNECTIONS,
  TARGET_UP,
  CIRCUIT_OPEN,
  WORKERS,
  CONFIG_RELOADS,
  WORKER_IN_FLIGHT,
  WORKER_HEAP_USED,
  WORKER_HEAP_TOTAL,
  WORKER_EXTERNAL,
  WORKER_LOOP_DELAY_P50,
  WORKER_LOOP_DELAY_P99,
  WORKER_LOOP_DELAY_MAX,
  WORKER_LOOP_UTILIZATION,
  WORKER_OPEN_CONNECTIONS,
  CONNECTIONS_REFUSED,
  RATE_LIMITED,
  RATE_LIMIT_SLOTS,
  RATE_LIMIT_TABLE_EVENTS,
  AUTH_EVENTS,
  JWKS_FETCHES,
  JWKS_FAILURES,
  JWKS_KEYS,
  ...METERING_METRICS,
  CACHE_RESULTS,
  WEBSOCKETS_OPEN,
  PROCESS_RSS,
  PROCESS_CPU,
  PROCESS_START,
  PROCESS_OPEN_FDS,
];
