// SIGUSR2 (SPEC §6): a stats snapshot in the log with per-route and per-upstream counts of what
// was served over the last minute, written whatever log.level says: the same snapshot as
// GET /routes and GET /upstreams.
import t from 'tap';
import { configHead, fetchText, launch, startUpstreams, waitForLogSince, type LogLine } from './fixtures/system-fixture.js';

interface Statuses {
  '1xx': number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
}

interface RouteLine {
  id: string;
  requests: number;
  rps: number;
  errors: number;
  statuses: Statuses;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

interface UpstreamLine {
  upstream: string;
  targets: { url: string; weight: number }[];
  requests: number;
  failed: number;
  statuses: Statuses;
  p50Ms: number;
  p99Ms: number;
}

const classes = (s: Partial<Statuses>): Statuses => ({ '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, ...s });

function routesOf(stats: LogLine): Map<string, RouteLine> {
  return new Map((stats.routes as RouteLine[]).map((r) => [r.id, r]));
}

t.test('SIGUSR2 logs a stats line with per-route and per-upstream counts, status classes and latencies, at any log level', async (t) => {
  const demo = await startUpstreams(t);
  const yaml = `${configHead(demo)}log: { level: warn }
routes:
  - id: users-small
    match: { path: /users/small, methods: [GET] }
    upstream: users
    rewrite: /small
  - id: orders-status
    match: { path: /orders/status/:code, methods: [GET] }
    upstream: orders
    rewrite: /status/:code
  - id: status
    match: { path: /status }
    respond: { status: 200, json: { ok: true } }
`;
  const gw = await launch(t, yaml, { workers: 2 });
  // New connections spread the requests over both workers, so the counts are summed across them.
  const send = async (path: string, times: number, status: number): Promise<void> => {
    for (let i = 0; i < times; i++) t.equal((await fetchText(gw.url + path, { reset: true })).status, status, path);
  };
  await send('/users/small', 7, 200);
  await send('/orders/status/503', 3, 503);
  await send('/status', 4, 200);

  let from = gw.logs.length;
  gw.child.kill('SIGUSR2');
  const stats = await waitForLogSince(gw, from, (l) => l.msg === 'stats');
  const routes = routesOf(stats);
  t.equal(routes.get('users-small')?.requests, 7);
  t.equal(routes.get('users-small')?.errors, 0);
  t.equal(routes.get('orders-status')?.requests, 3);
  t.equal(routes.get('orders-status')?.errors, 3, 'upstream 5xx answers count as errors');
  t.equal(routes.get('status')?.requests, 4);
  t.same(routes.get('users-small')?.statuses, classes({ '2xx': 7 }), 'status classes per route');
  t.same(routes.get('orders-status')?.statuses, classes({ '5xx': 3 }));
  const small = routes.get('users-small');
  t.ok(small !== undefined && small.maxMs >= small.p99Ms && small.p99Ms >= small.p90Ms && small.p90Ms >= small.p50Ms && small.p50Ms > 0, 'latency quantiles are reported');
  t.ok(small !== undefined && small.rps > 0, 'a rate is reported');
  t.equal((stats.workers as unknown[]).length, 2, 'both workers are in the snapshot');

  const upstreams = new Map((stats.upstreams as UpstreamLine[]).map((u) => [u.upstream, u]));
  t.same([...upstreams.keys()], ['users', 'orders', 'slow'], 'every configured upstream is listed');
  t.match(upstreams.get('users'), { targets: [{ url: `http://127.0.0.1:${demo.ports.users}`, weight: 1 }], requests: 7, failed: 0, statuses: classes({ '2xx': 7 }) });
  t.match(upstreams.get('orders'), { requests: 3, failed: 0, statuses: classes({ '5xx': 3 }) }, "the upstream's own status classes");
  t.match(upstreams.get('slow'), { requests: 0, failed: 0 });
  const users = upstreams.get('users');
  t.ok(users !== undefined && users.p99Ms >= users.p50Ms && users.p50Ms > 0 && users.p50Ms <= (small?.p99Ms ?? 0), 'upstream latency quantiles, within the route\'s');
  const runtime = stats.workers as { index: number; heapUsedMiB: number; heapTotalMiB: number; eventLoopDelayMs: { p50: number; p99: number; max: number }; eventLoopUtilization: number }[];
  t.ok(runtime.every((w) => w.heapUsedMiB > 0 && w.heapTotalMiB >= w.heapUsedMiB), `each worker reports its own heap (${runtime.map((w) => w.heapUsedMiB).join(', ')} MiB used)`);
  t.ok(runtime.every((w) => w.eventLoopDelayMs.max >= w.eventLoopDelayMs.p99 && w.eventLoopDelayMs.p99 >= w.eventLoopDelayMs.p50 && w.eventLoopDelayMs.p50 >= 0), 'and its event-loop delay quantiles');
  t.ok(runtime.every((w) => w.eventLoopUtilization >= 0 && w.eventLoopUtilization <= 1), 'and its event-loop utilisation');
  t.ok((stats.process as { rssMiB: number }).rssMiB > 0, 'the process RSS is in the snapshot');
  t.equal(gw.child.exitCode, null, 'SIGUSR2 does not stop the gateway');

  await send('/status', 2, 200);
  from = gw.logs.length;
  gw.child.kill('SIGUSR2');
  const next = routesOf(await waitForLogSince(gw, from, (l) => l.msg === 'stats'));
  t.equal(next.get('status')?.requests, 6, 'a second SIGUSR2 logs the last minute again, with the new requests');
  t.equal(gw.child.exitCode, null);

  // The same snapshot as the admin API's: no request between them, so the same counts.
  const [routesNow, upstreamsNow] = await Promise.all([fetchText(gw.adminUrl + '/routes'), fetchText(gw.adminUrl + '/upstreams')]);
  from = gw.logs.length;
  gw.child.kill('SIGUSR2');
  const again = await waitForLogSince(gw, from, (l) => l.msg === 'stats');
  type Counted = { id?: string; upstream?: string; requests: number; statuses: Statuses; lifetime: { requests: number } };
  const counts = (items: unknown): unknown[] => (items as Counted[]).map((i) => [i.id ?? i.upstream, i.requests, i.statuses, i.lifetime.requests]);
  t.same(counts(again.routes), counts(routesNow.json()), 'SIGUSR2 routes = GET /routes');
  t.same(counts(again.upstreams), counts(upstreamsNow.json()), 'SIGUSR2 upstreams = GET /upstreams');
  t.same(Object.keys((again.routes as object[])[0]!).sort(), Object.keys(routesNow.json()[0]).sort(), 'with the same fields');
  t.same(Object.keys((again.upstreams as object[])[0]!).sort(), Object.keys(upstreamsNow.json()[0]).sort());
});
