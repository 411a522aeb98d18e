// SIGUSR2 (SPEC §6): a stats snapshot in the log with per-route counts of what was served.
import t from 'tap';
import { configHead, fetchText, launch, startUpstreams, waitForLogSince, type LogLine } from './fixtures/system-fixture.js';

interface RouteLine {
  route: string;
  requests: number;
  rps: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
}

function routesOf(stats: LogLine): Map<string, RouteLine> {
  return new Map((stats.routes as RouteLine[]).map((r) => [r.route, r]));
}

t.test('SIGUSR2 logs a stats line with per-route request counts', async (t) => {
  const demo = await startUpstreams(t);
  const yaml = `${configHead(demo)}routes:
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
  const small = routes.get('users-small');
  t.ok(small !== undefined && small.p99Ms >= small.p50Ms && small.p50Ms > 0, 'latency quantiles are reported');
  t.ok(small !== undefined && small.rps > 0, 'a rate is reported');
  t.equal((stats.workers as unknown[]).length, 2, 'both workers are in the snapshot');
  const runtime = stats.workers as { index: number; heapUsedMiB: number; heapTotalMiB: number; eventLoopDelayMs: { p50: number; p99: number; max: number }; eventLoopUtilization: number }[];
  t.ok(runtime.every((w) => w.heapUsedMiB > 0 && w.heapTotalMiB >= w.heapUsedMiB), `each worker reports its own heap (${runtime.map((w) => w.heapUsedMiB).join(', ')} MiB used)`);
  t.ok(runtime.every((w) => w.eventLoopDelayMs.max >= w.eventLoopDelayMs.p99 && w.eventLoopDelayMs.p99 >= w.eventLoopDelayMs.p50 && w.eventLoopDelayMs.p50 >= 0), 'and its event-loop delay quantiles');
  t.ok(runtime.every((w) => w.eventLoopUtilization >= 0 && w.eventLoopUtilization <= 1), 'and its event-loop utilisation');
  t.ok((stats.process as { rssMiB: number }).rssMiB > 0, 'the process RSS is in the snapshot');
  t.ok(Array.isArray(stats.upstreams), 'upstreams are in the snapshot');
  t.equal(gw.child.exitCode, null, 'SIGUSR2 does not stop the gateway');

  await send('/status', 2, 200);
  from = gw.logs.length;
  gw.child.kill('SIGUSR2');
  const next = routesOf(await waitForLogSince(gw, from, (l) => l.msg === 'stats'));
  // Per interval (2) or since the start (6): either way a second signal yields a second snapshot.
  t.ok([2, 6].includes(next.get('status')?.requests ?? -1), 'a second SIGUSR2 logs a second snapshot with the new requests');
  t.equal(gw.child.exitCode, null);
});
