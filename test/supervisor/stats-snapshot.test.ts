// The snapshot /routes, /upstreams and SIGUSR2 share: figures over the last minute, totals under
// `lifetime`, and the fields the catalogue's views add.
import t from 'tap';
import { MetricStore } from '../../dist/observability/metric-store.js';
import { MetricsRecorder } from '../../dist/observability/metrics-recorder.js';
import { RequestMeters } from '../../dist/observability/request-meters.js';
import { CATALOGUE, UPSTREAM_CONNECTIONS, UPSTREAM_IN_FLIGHT, WORKER_HEAP_USED, WORKER_LOOP_DELAY_P99 } from '../../dist/observability/metric-catalogue.js';
import { counter, gauge } from '../../dist/observability/metric-def.js';
import { statsSnapshot } from '../../dist/supervisor/stats-snapshot.js';
import { configOf } from '../config/fixtures/load.js';

const YAML = `upstreams:
  users: { targets: [http://127.0.0.1:9001, { url: http://127.0.0.1:9002, weight: 3 }] }
  idle: { targets: [http://127.0.0.1:9003] }
routes:
  - { id: api, match: { path: /api/*, methods: [GET] }, upstream: users }
  - { id: status, match: { path: /status }, respond: { json: { ok: true } } }
`;
const WORKERS = [{ index: 0, state: 'serving', generation: 1, inFlight: 0 }, { index: 1, state: 'serving', generation: 1, inFlight: 2 }];

function storeAt(start: number): { store: MetricStore; advance: (ms: number) => void } {
  let now = start;
  return { store: new MetricStore(undefined, () => now), advance: (ms) => { now += ms; } };
}

t.test('routes: every configured route in order, with its figures; unmatched requests apart', async (t) => {
  const { store, advance } = storeAt(0);
  const meters = new RequestMeters(new MetricsRecorder());
  for (let i = 0; i < 9; i++) meters.route('api').record('GET', 200, 1);
  meters.route('api').record('GET', 502, 3);
  meters.route('api').record('GET', 499, 2);
  store.apply(0, meters.metrics.takeDelta());
  advance(10_000);
  const snap = statsSnapshot(store, configOf(t, YAML), WORKERS);
  t.equal(snap.windowSeconds, 10);
  t.same(snap.routes.map((r) => r.id), ['api', 'status']);
  const [api, status] = snap.routes;
  t.match(api, {
    path: '/api/*', methods: ['GET'], upstream: 'users', respond: false, requests: 11, rps: 1.1, errors: 1,
    statuses: { '1xx': 0, '2xx': 9, '3xx': 0, '4xx': 1, '5xx': 1 },
    lifetime: { requests: 11, errors: 1 },
  });
  // Within the histograms' 0.1%: a value reads back as the highest of its bucket.
  t.ok(Math.abs(api!.p50Ms - 1) <= 0.001 && Math.abs(api!.maxMs - 3) <= 0.003, `quantiles in ms (${api!.p50Ms}, ${api!.maxMs})`);
  t.match(status, { requests: 0, rps: 0, p99Ms: 0, respond: true });

  t.match(snap.unmatched, { requests: 0, lifetime: { requests: 0 } });
  meters.unmatched.record('GET', 404, 0.2);
  store.apply(1, meters.metrics.takeDelta());
  const next = statsSnapshot(store, configOf(t, YAML), WORKERS);
  t.same(next.routes.map((r) => r.id), ['api', 'status'], '/routes lists only the config\'s routes');
  t.match(next.unmatched, { requests: 1, statuses: { '4xx': 1 }, lifetime: { requests: 1 } });
});

t.test('upstreams: calls, the answers\' status classes, calls without an answer, and the pools by target', async (t) => {
  const { store } = storeAt(0);
  const recorder = new MetricsRecorder();
  const meters = new RequestMeters(recorder);
  meters.upstream('users').answered(0.25, 200);
  meters.upstream('users').answered(0.25, 404);
  meters.upstream('users').failed('connect', 1.5);
  meters.upstream('users').failed('reset', -1); // after the answer's head: not a second call
  recorder.gauge(UPSTREAM_IN_FLIGHT, (emit) => emit(['users', 'http://127.0.0.1:9002', ], 3));
  recorder.gauge(UPSTREAM_CONNECTIONS, (emit) => {
    emit(['users', 'http://127.0.0.1:9002', 'busy'], 3);
    emit(['users', 'http://127.0.0.1:9002', 'idle'], 1);
    emit(['users', 'http://10.0.0.9:8080', 'idle'], 2); // a target the config does not list (discovery)
  });
  store.apply(0, recorder.takeDelta());
  const [users, idle] = statsSnapshot(store, configOf(t, YAML), WORKERS).upstreams;
  t.match(users, {
    upstream: 'users', balance: 'round-robin', requests: 3, failed: 1,
    statuses: { '2xx': 1, '4xx': 1, '5xx': 0 }, errors: { connect: 1, reset: 1 },
    lifetime: { requests: 3, failed: 1, errors: { connect: 1, reset: 1 } },
  });
  t.same(users?.targets, [
    { url: 'http://127.0.0.1:9001', weight: 1 },
    { url: 'http://127.0.0.1:9002', weight: 3, inFlight: 3, connections: { busy: 3, idle: 1 } },
    { url: 'http://10.0.0.9:8080', weight: null, connections: { idle: 2 } },
  ]);
  t.match(idle, { upstream: 'idle', requests: 0, failed: 0, targets: [{ url: 'http://127.0.0.1:9003' }] });
});

t.test('workers: per-worker gauges, scaled and rounded as their views say', async (t) => {
  const { store } = storeAt(0);
  for (const index of [0, 1]) {
    const r = new MetricsRecorder();
    r.gauge(WORKER_HEAP_USED, (emit) => emit([], (10 + index) * 1024 * 1024 + 5_000));
    r.gauge(WORKER_LOOP_DELAY_P99, (emit) => emit([], 0.0123456));
    store.apply(index, r.takeDelta());
  }
  const { workers } = statsSnapshot(store, configOf(t, YAML), WORKERS);
  t.same(workers, [
    { index: 0, state: 'serving', generation: 1, inFlight: 0, heapUsedMiB: 10, eventLoopDelayMs: { p99: 12.35 } },
    { index: 1, state: 'serving', generation: 1, inFlight: 2, heapUsedMiB: 11, eventLoopDelayMs: { p99: 12.35 } },
  ]);
});

t.test('a feature\'s counter with a route view joins /routes with no other change', async (t) => {
  const limited = counter('tollgate_test_limited_total', ['route'], 'Test counter.', { view: { on: 'route', field: 'rateLimited' } });
  const catalogue = [...CATALOGUE, limited];
  const recorder = new MetricsRecorder(catalogue);
  const store = new MetricStore(catalogue);
  const c = recorder.counter(limited, ['api']);
  c.inc();
  c.inc();
  recorder.counter(limited, ['gone']).inc(); // a route the config no longer has: not listed
  store.apply(0, recorder.takeDelta());
  const { routes } = statsSnapshot(store, configOf(t, YAML), WORKERS, catalogue);
  t.match(routes[0], { id: 'api', rateLimited: 2, lifetime: { rateLimited: 2 } });
  t.notOk('rateLimited' in routes[1]!, 'a route without counts has no field');
});

t.test('a state gauge joins its target as a word, combined by max over workers', async (t) => {
  const circuit = gauge('tollgate_test_circuit_state', ['upstream', 'target'], 'Test gauge.',
    { combine: 'max', view: { on: 'target', field: 'circuit', show: ['closed', 'open', 'half-open'] } });
  const catalogue = [...CATALOGUE, circuit];
  const store = new MetricStore(catalogue);
  for (const [index, state] of [[0, 0], [1, 2], [2, 0]] as const) {
    const r = new MetricsRecorder(catalogue);
    r.gauge(circuit, (emit) => emit(['users', 'http://127.0.0.1:9001'], state));
    store.apply(index, r.takeDelta());
  }
  const [users] = statsSnapshot(store, configOf(t, YAML), WORKERS, catalogue).upstreams;
  t.match(users?.targets[0], { url: 'http://127.0.0.1:9001', circuit: 'half-open' });
  t.same(store.gaugeFigures(circuit).map((g) => g.value), [2], '/metrics shows the highest state, not a sum');
});
