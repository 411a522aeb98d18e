// The figures of GET /dashboard/data: read from the store the workers push into, the shared
// upstream state and the worker words (nothing else: the feed's sources have no way to ask a
// worker), with live rates and the charts' history from the feed's own samples.
import t, { type Test } from 'tap';
import { MetricStore } from '../../dist/observability/metric-store.js';
import { MetricsRecorder } from '../../dist/observability/metrics-recorder.js';
import { RequestMeters } from '../../dist/observability/request-meters.js';
import { RATE_LIMITED } from '../../dist/observability/metric-catalogue.js';
import { QUOTA_EXCEEDED } from '../../dist/metering/metrics.js';
import { CACHE_RESULTS } from '../../dist/stages/cache/metrics.js';
import { DashboardFeed, HISTORY_POINTS, SAMPLE_MS, type DashboardSources } from '../../dist/supervisor/dashboard/feed.js';
import type { UpstreamSnapshot } from '../../dist/supervisor/upstream-supervision.js';
import { configOf } from '../config/fixtures/load.js';

const YAML = `upstreams:
  users: { targets: [http://127.0.0.1:9001, http://127.0.0.1:9002] }
routes:
  - { id: api, match: { path: /api/* }, upstream: users }
  - { id: status, match: { path: /status }, respond: { json: { ok: true } } }
`;

function fixture(t: Test, upstreams: UpstreamSnapshot[] = []) {
  let now = 1_000_000;
  const store = new MetricStore(undefined, () => now);
  const sources: DashboardSources = {
    store,
    config: () => configOf(t, YAML),
    generation: () => 3,
    ready: () => true,
    workers: () => [{ index: 0, state: 'serving', generation: 3, inFlight: 1 }, { index: 1, state: 'starting', generation: 2, inFlight: 0 }],
    upstreams: () => upstreams,
  };
  const feed = new DashboardFeed(sources, () => now);
  return { store, feed, advance: (ms: number) => { now += ms; }, now: () => now };
}

t.test('route figures: live rate from the samples, the last minute from the store', async (t) => {
  const { store, feed, advance } = fixture(t);
  const recorder = new MetricsRecorder();
  const meters = new RequestMeters(recorder);
  feed.sample();
  for (let i = 0; i < 18; i++) meters.route('api').record('GET', 200, 2);
  meters.route('api').record('GET', 502, 5);
  meters.route('api').record('GET', 503, 5);
  recorder.counter(RATE_LIMITED, ['api']).inc();
  recorder.counter(QUOTA_EXCEEDED, ['api', 'gold']).inc();
  for (const result of ['hit', 'hit', 'stale', 'miss']) recorder.counter(CACHE_RESULTS, ['api', result]).inc();
  store.apply(0, recorder.takeDelta());
  advance(SAMPLE_MS);
  feed.sample();
  advance(3_000);
  const d = feed.data();
  t.match(d, { generation: 3, ready: true, sampleMs: SAMPLE_MS, historyMs: SAMPLE_MS * HISTORY_POINTS });
  const [api, status] = d.routes;
  // 20 requests since the sample 5 s ago (the newest at least RATE_SPAN_MS old).
  t.match(api, { id: 'api', path: '/api/*', upstream: 'users', rps: 4, requests: 20, errors: 2, errorRate: 0.1, rateLimited: 1, quotaExceeded: 1, cacheHitRatio: 0.75 });
  t.ok(api!.p50Ms > 1.9 && api!.p50Ms < 2.1 && api!.p99Ms > 4.9 && api!.p99Ms < 5.1, `p50 ${api!.p50Ms}, p99 ${api!.p99Ms}`);
  t.match(status, { id: 'status', upstream: null, rps: 0, requests: 0, errorRate: 0, cacheHitRatio: null });
  t.match(d.totals, { rps: 4, requests: 20, errors: 2, errorRate: 0.1, rateLimited: 1, quotaExceeded: 1, cacheHitRatio: 0.75, workersServing: 1, workers: 2 });
  t.same(d.history, [{ t: d.time - 3_000, rps: 10, errors: 1, limited: 1, cacheHits: 1.5 }], 'one chart point between the two samples, per second');
  t.same(api!.spark, [10], 'and the route\'s own');
  t.same(d.workers.map((w) => [w.index, w.state, w.generation]), [[0, 'serving', 3], [1, 'starting', 2]]);

  advance(10_000);
  t.equal(feed.data().routes[0]!.rps, 0, 'no traffic since the last samples: the live rate falls to 0');
});

t.test('targets carry the health and circuit of the shared upstream state', async (t) => {
  const upstreams: UpstreamSnapshot[] = [{
    upstream: 'users', balance: 'round-robin', targets: [
      { url: 'http://127.0.0.1:9001', weight: 1, health: 'up', circuit: 'half-open', circuitOpenings: 2 },
      { url: 'http://127.0.0.1:9002', weight: 1, health: 'down', circuit: 'closed', circuitOpenings: 0 },
    ],
  }];
  const { feed } = fixture(t, upstreams);
  const [users] = feed.data().upstreams;
  t.same(users!.targets, [
    { url: 'http://127.0.0.1:9001', health: 'up', circuit: 'half-open', inFlight: 0, connections: 0 },
    { url: 'http://127.0.0.1:9002', health: 'down', circuit: 'closed', inFlight: 0, connections: 0 },
  ]);
});

t.test('the history keeps the last HISTORY_POINTS intervals; start() samples until stop()', async (t) => {
  const { feed, advance } = fixture(t);
  t.same(feed.data().history, [], 'no points before two samples');
  t.equal(feed.data().totals.rps, 0);
  for (let i = 0; i < HISTORY_POINTS + 40; i++) {
    feed.sample();
    advance(SAMPLE_MS);
  }
  const { history } = feed.data();
  t.equal(history.length, HISTORY_POINTS);
  t.ok(history.every((p, i) => i === 0 || p.t - history[i - 1]!.t === SAMPLE_MS), 'evenly spaced');

  const live = fixture(t);
  live.feed.start();
  live.feed.start(); // a second start changes nothing
  live.advance(SAMPLE_MS);
  t.teardown(() => live.feed.stop());
  await new Promise((r) => setTimeout(r, SAMPLE_MS + 200));
  t.equal(live.feed.data().history.length, 1, 'the timer took a second sample');
  live.feed.stop();
  await new Promise((r) => setTimeout(r, SAMPLE_MS + 200));
  t.equal(live.feed.data().history.length, 1, 'none after stop()');
});
