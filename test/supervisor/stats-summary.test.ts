// The SIGUSR2 snapshot merges the workers' counts and latency histograms.
import t from 'tap';
import { RouteStats } from '../../dist/observability/route-stats.js';
import { RateLimitCounters } from '../../dist/observability/rate-limit-counters.js';
import { summariseStats } from '../../dist/supervisor/stats-summary.js';
import { configOf } from '../config/fixtures/load.js';

const config = (t: Parameters<typeof configOf>[0]) =>
  configOf(t, 'upstreams:\n  users: { targets: [http://127.0.0.1:9001, http://127.0.0.1:9002] }\n  idle: { targets: [http://127.0.0.1:9003] }\n');

/** A worker's stats reply: its route stats and its rate-limit counters. */
const reply = (routes: RouteStats, limits = new RateLimitCounters()) => ({ ...routes.snapshot(), rateLimited: limits.snapshot() });

t.test('quantiles are taken over every worker\'s requests, not the worst worker\'s', async (t) => {
  const fast = new RouteStats();
  const slow = new RouteStats();
  for (let i = 0; i < 90; i++) fast.record('api', 200, 1, 'users', 200, 0.5);
  for (let i = 0; i < 10; i++) slow.record('api', 503, 100, 'users', 503, 99);
  const summary = summariseStats([reply(fast), reply(slow)], config(t), 10);
  const [api] = summary.routes;
  t.match(api, { route: 'api', requests: 100, rps: 10, errors: 10, statuses: { '1xx': 0, '2xx': 90, '3xx': 0, '4xx': 0, '5xx': 10 } });
  t.ok(api !== undefined && api.p50Ms >= 0.99 && api.p50Ms <= 1.01, `p50 ${api?.p50Ms} ms is the fast majority's`);
  t.ok(api !== undefined && api.p99Ms >= 99 && api.p99Ms <= 101, `p99 ${api?.p99Ms} ms is the slow tail`);
  t.ok(api !== undefined && api.maxMs >= 99 && api.maxMs <= 101);
});

t.test('upstream figures: calls, failures without an answer, the answers\' status classes, time to the answer', async (t) => {
  const worker = new RouteStats();
  worker.record('api', 200, 2, 'users', 200, 0.25);
  worker.record('api', 404, 2, 'users', 404, 0.25);
  worker.record('api', 502, 2, 'users', 0, 1.5);
  worker.record('api', 413, 0.1, 'users', 0, -1); // refused before any upstream call
  worker.record('local', 200, 0.1, null, 0, -1);
  const summary = summariseStats([reply(worker)], config(t), 1);
  t.same(summary.upstreams.map((u) => u.upstream), ['users', 'idle'], 'every configured upstream, in config order');
  t.match(summary.upstreams[0], {
    targets: ['http://127.0.0.1:9001', 'http://127.0.0.1:9002'], requests: 3, failed: 1,
    statuses: { '1xx': 0, '2xx': 1, '3xx': 0, '4xx': 1, '5xx': 0 },
  });
  t.ok(summary.upstreams[0]!.p50Ms > 0.2 && summary.upstreams[0]!.p50Ms < 0.3, `sub-millisecond times keep their decimals (${summary.upstreams[0]!.p50Ms})`);
  t.match(summary.upstreams[1], { requests: 0, failed: 0, p50Ms: 0 });
  t.same(summary.routes.map((r) => [r.route, r.requests]), [['api', 4], ['local', 1]]);
});

t.test('a snapshot starts a new interval', async (t) => {
  const worker = new RouteStats();
  worker.record('api', 200, 1, null, 0, -1);
  worker.snapshot();
  const summary = summariseStats([reply(worker)], config(t), 1);
  t.match(summary.routes[0], { route: 'api', requests: 0, statuses: { '2xx': 0 } });
});

t.test('rate-limited requests are summed per route across workers, and counted again from zero after a snapshot', async (t) => {
  const [a, b] = [new RouteStats(), new RouteStats()];
  const [limitsA, limitsB] = [new RateLimitCounters(), new RateLimitCounters()];
  for (const stats of [a, b]) stats.record('api', 429, 0.1, null, 0, -1);
  a.record('open', 200, 0.1, null, 0, -1);
  const cellA = limitsA.of('api');
  const cellB = limitsB.of('api');
  cellA.limited += 2;
  cellB.limited += 3;
  t.equal(limitsA.of('api'), cellA, 'one cell per route id, found again after a reload');
  const summary = summariseStats([reply(a, limitsA), reply(b, limitsB)], config(t), 1);
  t.same(summary.routes.map((r) => [r.route, r.rateLimited]), [['api', 5], ['open', 0]]);
  t.same(limitsA.snapshot(), [], 'the snapshot reset the counts');
});
