// GET /metrics of a real gateway (SPEC §5), read with a Prometheus text-format parser: exact
// counts summed over 4 workers, counters that never go backwards across a reload and a worker's
// replacement, and latency quantiles that match, within the HDR histograms' precision, what the
// access log says each request took.
import { writeFileSync } from 'node:fs';
import t from 'tap';
import type { ParsedFamily } from '../helpers/prometheus.js';
import { family, parseMetrics, samples, summaries, total } from '../helpers/prometheus.js';
import { configHead, fetchOnNewConnection, fetchText, launch, poll, startUpstreams, waitForLogSince, type LogLine } from './fixtures/system-fixture.js';
import { workerOf } from './fixtures/worker-load.js';
import { findFreePortForTest } from '../proxy/free-port.js';

interface Scrape {
  text: string;
  families: ParsedFamily[];
}

async function scrape(adminUrl: string): Promise<Scrape> {
  const res = await fetchText(adminUrl + '/metrics');
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${res.text}`);
  return { text: res.text, families: parseMetrics(res.text) };
}

/** Every counter sample and summary count of `before`, with its value in `after`. */
function counterPairs(before: Scrape, after: Scrape): { key: string; before: number; after: number }[] {
  const out: { key: string; before: number; after: number }[] = [];
  for (const f of before.families) {
    if (f.type === 'COUNTER') {
      for (const m of f.metrics) out.push({ key: `${f.name}${JSON.stringify(m.labels ?? {})}`, before: Number(m.value), after: total(after.families, f.name, m.labels ?? {}) });
    } else if (f.type === 'SUMMARY') {
      const later = summaries(after.text, f.name);
      for (const s of summaries(before.text, f.name)) {
        const match = later.find((l) => JSON.stringify(l.labels) === JSON.stringify(s.labels));
        out.push({ key: `${f.name}_count${JSON.stringify(s.labels)}`, before: s.count, after: match?.count ?? 0 });
      }
    }
  }
  return out;
}

const routesYaml = (extra = ''): string => `log: { level: warn, access: false }
routes:
  - id: users
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
${extra}`;

t.test('counts are exact across 4 workers and never go backwards across a reload and a worker replacement', async (t) => {
  const demo = await startUpstreams(t);
  const head = configHead(demo);
  const gw = await launch(t, head + routesYaml(), { workers: 4, env: { TOLLGATE_FAULT_INJECTION: '1' } });
  const workers = new Set<number>();
  const send = async (path: string, times: number, status: number, method = 'GET'): Promise<void> => {
    for (let i = 0; i < times; i++) {
      // A new connection each: SO_REUSEPORT spreads them over the workers.
      const res = method === 'GET' ? await fetchOnNewConnection(gw.url + path) : await fetchText(gw.url + path, { method: 'POST', reset: true });
      t.equal(res.status, status, `${method} ${path}`);
      const w = workerOf(res.headers);
      if (w !== null) workers.add(w);
    }
  };
  await send('/users/small', 40, 200);
  await send('/orders/status/503', 12, 503);
  await send('/status', 8, 200);
  await send('/status', 3, 200, 'POST');
  await send('/nope', 5, 404);
  t.ok(workers.size >= 2, `the requests were answered by ${workers.size} workers`);

  const first = await scrape(gw.adminUrl);
  const f = first.families;
  t.equal(total(f, 'tollgate_requests_total', { route: 'users', method: 'GET', status: '200' }), 40);
  t.equal(total(f, 'tollgate_requests_total', { route: 'orders-status', method: 'GET', status: '503' }), 12);
  t.equal(total(f, 'tollgate_requests_total', { route: 'status', method: 'GET', status: '200' }), 8);
  t.equal(total(f, 'tollgate_requests_total', { route: 'status', method: 'POST', status: '200' }), 3);
  t.equal(total(f, 'tollgate_requests_total', { route: '(unmatched)', method: 'GET', status: '404' }), 5);
  t.equal(samples(f, 'tollgate_requests_total').length, 5, 'no other series');
  t.equal(total(f, 'tollgate_upstream_responses_total', { upstream: 'users', status: '200' }), 40);
  t.equal(total(f, 'tollgate_upstream_responses_total', { upstream: 'orders', status: '503' }), 12);
  const counts = Object.fromEntries(summaries(first.text, 'tollgate_request_duration_seconds').map((s) => [s.labels.route, s.count]));
  t.same(counts, { users: 40, 'orders-status': 12, status: 11, '(unmatched)': 5 }, 'a duration for every request');
  const upstreamCounts = Object.fromEntries(summaries(first.text, 'tollgate_upstream_duration_seconds').map((s) => [s.labels.upstream, s.count]));
  t.same(upstreamCounts, { users: 40, orders: 12 });
  t.equal(family(f, 'tollgate_upstream_errors_total'), undefined, 'no upstream error: the metric is not written');
  t.equal(total(f, 'tollgate_workers'), 4);
  t.same(samples(f, 'tollgate_worker_heap_used_bytes').map((m) => m.labels?.worker).sort(), ['0', '1', '2', '3'], 'per-worker gauges for each worker');
  t.ok(samples(f, 'tollgate_worker_heap_used_bytes').every((m) => Number(m.value) > 0));
  t.ok(samples(f, 'tollgate_worker_event_loop_delay_p99_seconds').length === 4);
  t.ok(total(f, 'process_resident_memory_bytes') > 0 && total(f, 'process_cpu_seconds_total') > 0 && total(f, 'process_open_fds') > 0, 'process metrics');
  t.equal(total(f, 'tollgate_upstream_connections', { upstream: 'users', target: `http://127.0.0.1:${demo.ports.users}`, state: 'busy' }), 0);
  t.ok(total(f, 'tollgate_upstream_connections', { upstream: 'users', state: 'idle' }) >= 1, 'idle keep-alive connections to users');
  t.same(samples(f, 'tollgate_config_reloads_total').map((m) => [m.labels?.result, m.value]), [['success', '0'], ['failure', '0']]);
  t.equal(family(f, 'tollgate_cache_total'), undefined, 'a metric nothing counted (no route caches) is not written');

  // A reload that changes the routes: the totals carry on.
  writeFileSync(gw.configFile, head + routesYaml('  - { id: added, match: { path: /added }, respond: { status: 201 } }\n'));
  t.equal((await fetchText(gw.adminUrl + '/reload', { method: 'POST' })).status, 200);
  writeFileSync(gw.configFile, head + routesYaml('  - { id: broken, match: { path: /x }, upstream: nowhere }\n'));
  t.equal((await fetchText(gw.adminUrl + '/reload', { method: 'POST' })).status, 400);
  await send('/users/small', 4, 200);
  await send('/added', 2, 201);
  const second = await scrape(gw.adminUrl);
  for (const p of counterPairs(first, second)) if (p.after < p.before) t.fail(`${p.key} went back from ${p.before} to ${p.after} across a reload`);
  t.equal(total(second.families, 'tollgate_requests_total', { route: 'users' }), 44, 'counted on after the reload');
  t.equal(total(second.families, 'tollgate_requests_total', { route: 'added' }), 2);
  t.same(samples(second.families, 'tollgate_config_reloads_total').map((m) => [m.labels?.result, m.value]), [['success', '1'], ['failure', '1']]);

  // A worker dies (an exception outside any request) and is replaced.
  const from = gw.logs.length;
  const crash = await fetchOnNewConnection(gw.url + '/users/small', { headers: { 'x-tollgate-fault': 'crash-worker' } });
  t.equal(crash.status, 202);
  await waitForLogSince(gw, from, (l: LogLine) => l.msg === 'worker exited unexpectedly; replacing it', 10_000);
  t.ok(await poll(async () => (await fetchText(gw.adminUrl + '/ready')).status === 200, 10_000, 50), 'ready again');
  const third = await scrape(gw.adminUrl);
  for (const p of counterPairs(second, third)) if (p.after < p.before) t.fail(`${p.key} went back from ${p.before} to ${p.after} across a worker replacement`);
  t.pass('no counter went back across the replacement');
  // The dying worker pushes what it counted since its last push before it ends, the crash
  // request included.
  t.equal(total(third.families, 'tollgate_requests_total', { route: 'users', status: '202' }), 1, 'the crash request is counted');
  t.equal(total(third.families, 'tollgate_requests_total', { route: 'users' }), 45);
  await send('/users/small', 3, 200);
  const fourth = await scrape(gw.adminUrl);
  t.equal(total(fourth.families, 'tollgate_requests_total', { route: 'users' }), 48, 'counting goes on exactly after the replacement');
  t.equal(total(fourth.families, 'tollgate_workers'), 4);
  t.equal(samples(fourth.families, 'tollgate_worker_heap_used_bytes').length, 4, 'one series per live worker, the dead one\'s gone');

  t.test('the gateway\'s own port answers none of the admin paths', async (t) => {
    for (const path of ['/metrics', '/routes', '/upstreams', '/config']) {
      const res = await fetchText(gw.url + path);
      t.equal(res.status, 404, `${path} on the public port`);
      t.notMatch(res.text, 'tollgate_requests_total');
    }
  });
});

/** What the access log says the gateway recorded: per route, the durations in ms (µs decimals). */
function loggedMs(logs: LogLine[], field: 'durationMs' | 'upstreamMs'): number[] {
  return logs.filter((l) => l.msg === 'request' && l.route === 'slow').map((l) => l[field] as number).sort((a, b) => a - b);
}

/** HdrHistogram's getValueAtPercentile on exact values: the value of rank round(p * n), at least 1. */
function rankValue(sorted: number[], percentile: number): number {
  const rank = Math.max(1, Math.floor((percentile / 100) * sorted.length + 0.5));
  return sorted[rank - 1]!;
}

t.test('summary quantiles from 4 workers match the exact quantiles of a known latency distribution, within HDR precision', async (t) => {
  const demo = await startUpstreams(t);
  const yaml = `${configHead(demo)}log: { level: warn, access: true }
routes:
  - id: slow
    match: { path: /slow, methods: [GET] }
    upstream: slow
`;
  const gw = await launch(t, yaml, { workers: 4 });
  // 30 answers after 20 ms, 8 after 60 ms, 2 after 200 ms, eight at a time on new connections.
  const delays = [...Array(30).fill(20), ...Array(8).fill(60), 200, 200] as number[];
  for (let i = 0; i < delays.length; i += 8) {
    const replies = await Promise.all(delays.slice(i, i + 8).map((ms) => fetchOnNewConnection(`${gw.url}/slow?ms=${ms}`)));
    for (const r of replies) t.equal(r.status, 200);
  }
  t.ok(await poll(() => loggedMs(gw.logs, 'durationMs').length === delays.length, 5_000), 'every request is in the access log');
  const { text } = await scrape(gw.adminUrl);
  const [route] = summaries(text, 'tollgate_request_duration_seconds').filter((s) => s.labels.route === 'slow');
  const [upstream] = summaries(text, 'tollgate_upstream_duration_seconds').filter((s) => s.labels.upstream === 'slow');
  t.equal(route?.count, 40);
  t.equal(upstream?.count, 40);
  for (const [summary, field] of [[route!, 'durationMs'], [upstream!, 'upstreamMs']] as const) {
    const exact = loggedMs(gw.logs, field);
    const sumMs = exact.reduce((a, b) => a + b, 0);
    t.ok(Math.abs(summary.sum * 1000 - sumMs) < 0.001 * exact.length, `${field}: _sum ${summary.sum} s is the sum of what was logged (${sumMs} ms)`);
    for (const [q, p] of [['0.5', 50], ['0.9', 90], ['0.99', 99], ['0.999', 99.9]] as const) {
      const expected = rankValue(exact, p);
      const got = summary.quantiles[q]! * 1000;
      // 3 significant digits: a value reads back as the top of its bucket, at most 1/1024 above it.
      t.ok(got >= expected - 0.001 && got <= expected * (1 + 1 / 1024) + 0.001, `${field} quantile ${q}: ${got} ms, exact ${expected} ms`);
    }
    t.ok(summary.quantiles['0.5']! >= 0.020 && summary.quantiles['0.9']! >= 0.060 && summary.quantiles['0.99']! >= 0.200,
      `${field}: the quantiles sit on the upstream's delays (${Object.values(summary.quantiles).join(', ')} s)`);
  }

  const routes = (await fetchText(gw.adminUrl + '/routes')).json();
  const slow = routes.find((r: { id: string }) => r.id === 'slow');
  t.equal(slow.requests, 40, '/routes counts the last minute');
  t.ok(Math.abs(slow.p99Ms - route!.quantiles['0.99']! * 1000) < 1e-6, '/routes p99 is the /metrics 0.99 quantile');
  t.ok(slow.rps > 0);
});

t.test('upstream failures are counted by kind, in /metrics and /upstreams', async (t) => {
  const demo = await startUpstreams(t);
  const dead = await findFreePortForTest();
  const yaml = `${configHead(demo)}  dead: { targets: [http://127.0.0.1:${dead}] }
log: { level: error, access: false }
routes:
  - { id: dead, match: { path: /dead }, upstream: dead }
  - { id: late, match: { path: /late }, upstream: slow, rewrite: /slow, timeout: 100ms }
`;
  const gw = await launch(t, yaml, { workers: 2 });
  for (let i = 0; i < 3; i++) t.equal((await fetchOnNewConnection(gw.url + '/dead')).status, 502);
  for (let i = 0; i < 2; i++) t.equal((await fetchOnNewConnection(gw.url + '/late?ms=2000')).status, 504);
  const { families, text } = await scrape(gw.adminUrl);
  t.equal(total(families, 'tollgate_upstream_errors_total', { upstream: 'dead', kind: 'connect' }), 3);
  t.equal(total(families, 'tollgate_upstream_errors_total', { upstream: 'slow', kind: 'timeout' }), 2);
  t.equal(family(families, 'tollgate_upstream_responses_total'), undefined, 'no answer came');
  t.same(summaries(text, 'tollgate_upstream_duration_seconds').map((s) => [s.labels.upstream, s.count]).sort(), [['dead', 3], ['slow', 2]],
    'a failed call is timed to its failure');
  const upstreams = new Map((await fetchText(gw.adminUrl + '/upstreams')).json().map((u: { upstream: string }) => [u.upstream, u]));
  t.match(upstreams.get('dead'), { requests: 3, failed: 3, errors: { connect: 3 }, lifetime: { failed: 3, errors: { connect: 3 } } });
  t.match(upstreams.get('slow'), { requests: 2, failed: 2, errors: { timeout: 2 } });
  t.match(upstreams.get('users'), { requests: 0, failed: 0 });
  t.notOk('errors' in (upstreams.get('users') as object), 'an upstream without failures has no errors field');
});
