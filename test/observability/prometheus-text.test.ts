// GET /metrics's text: read back by a real Prometheus text-format parser.
import t from 'tap';
import { MetricStore } from '../../dist/observability/metric-store.js';
import { MetricsRecorder } from '../../dist/observability/metrics-recorder.js';
import { RequestMeters } from '../../dist/observability/request-meters.js';
import { CATALOGUE, REQUESTS, UPSTREAM_CONNECTIONS, WORKER_HEAP_USED, WORKERS } from '../../dist/observability/metric-catalogue.js';
import { counter } from '../../dist/observability/metric-def.js';
import { escapeLabelValue, formatValue, renderPrometheus } from '../../dist/observability/prometheus-text.js';
import { family, parseMetrics, samples, summaries, total } from '../helpers/prometheus.js';

t.test('every family has HELP and TYPE, summaries have quantiles, _sum and _count', async (t) => {
  const store = new MetricStore();
  const recorder = new MetricsRecorder();
  const meters = new RequestMeters(recorder);
  for (let i = 0; i < 8; i++) meters.route('api').record('GET', 200, 2);
  meters.route('api').record('POST', 503, 40);
  meters.unmatched.record('GET', 404, 0.1);
  meters.upstream('users').answered(1.5, 200);
  meters.upstream('users').failed('connect', 0.3);
  recorder.gauge(UPSTREAM_CONNECTIONS, (emit) => emit(['users', 'http://127.0.0.1:9001', 'idle'], 4));
  recorder.gauge(WORKER_HEAP_USED, (emit) => emit([], 1234));
  store.apply(3, recorder.takeDelta());
  store.set(WORKERS, [], 2);

  const text = renderPrometheus(store, CATALOGUE);
  const families = parseMetrics(text);
  t.same(families.map((f) => f.name), [
    'tollgate_requests_total', 'tollgate_request_duration_seconds', 'tollgate_upstream_duration_seconds', 'tollgate_upstream_responses_total',
    'tollgate_upstream_errors_total', 'tollgate_upstream_connections', 'tollgate_workers', 'tollgate_worker_heap_used_bytes',
  ], 'only metrics with series, in catalogue order');
  for (const f of families) t.ok(f.help.length > 0, `${f.name} has HELP`);
  t.equal(family(families, 'tollgate_requests_total')?.type, 'COUNTER');
  t.equal(family(families, 'tollgate_workers')?.type, 'GAUGE');
  t.equal(total(families, 'tollgate_requests_total', { route: 'api', method: 'GET', status: '200' }), 8);
  t.equal(total(families, 'tollgate_requests_total', { route: 'api', status: '503' }), 1);
  t.equal(total(families, 'tollgate_requests_total', { route: '(unmatched)' }), 1);
  t.equal(total(families, 'tollgate_upstream_errors_total', { upstream: 'users', kind: 'connect' }), 1);
  t.equal(total(families, 'tollgate_worker_heap_used_bytes', { worker: '3' }), 1234, 'per-worker gauges carry the worker label');

  const duration = family(families, 'tollgate_request_duration_seconds');
  t.equal(duration?.type, 'SUMMARY');
  const api = summaries(text, 'tollgate_request_duration_seconds').find((s) => s.labels.route === 'api');
  t.same(Object.keys(api?.quantiles ?? {}), ['0.5', '0.9', '0.99', '0.999']);
  t.equal(api?.count, 9);
  t.ok(Math.abs(api!.sum - (8 * 0.002 + 0.04)) < 1e-9, `_sum ${api?.sum}`);
  t.ok(Math.abs(api!.quantiles['0.5']! - 0.002) <= 0.002 * 0.001, 'the median in seconds, within 0.1%');
  t.ok(Math.abs(api!.quantiles['0.999']! - 0.04) <= 0.04 * 0.001, 'the tail in seconds');
  const [upstream] = summaries(text, 'tollgate_upstream_duration_seconds');
  t.same(upstream?.labels, { upstream: 'users' });
  t.equal(upstream?.count, 2, 'an upstream call counts with or without an answer');
});

t.test('label values are escaped; odd numbers are written as Prometheus reads them', async (t) => {
  t.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  t.equal(formatValue(NaN), 'NaN');
  t.equal(formatValue(Infinity), '+Inf');
  t.equal(formatValue(-Infinity), '-Inf');
  t.equal(formatValue(0.25), '0.25');
  const odd = counter('tollgate_test_total', ['name'], 'A help text with a \\ and a\nline feed.');
  const recorder = new MetricsRecorder([odd]);
  const value = 'C:\\dir\\"file"\nnext';
  recorder.counter(odd, [value]).inc();
  const store = new MetricStore([odd]);
  store.apply(0, recorder.takeDelta());
  const text = renderPrometheus(store, [odd]);
  t.match(text, '# HELP tollgate_test_total A help text with a \\\\ and a\\nline feed.\n');
  const [f] = parseMetrics(text);
  t.equal(f?.metrics[0]?.labels?.name, value, 'the parser reads back the exact value');
  t.equal(f?.help, 'A help text with a \\ and a\nline feed.');
});

t.test('a summary whose window is empty writes NaN quantiles and keeps its totals', async (t) => {
  let now = 0;
  const store = new MetricStore(undefined, () => now);
  const meters = new RequestMeters(new MetricsRecorder());
  meters.route('api').record('GET', 200, 5);
  store.apply(0, meters.metrics.takeDelta());
  now += 120_000;
  const [api] = summaries(renderPrometheus(store, CATALOGUE), 'tollgate_request_duration_seconds');
  t.same(api?.quantiles, { '0.5': NaN, '0.9': NaN, '0.99': NaN, '0.999': NaN });
  t.equal(api?.count, 1);
});

t.test('methods outside the known list share one OTHER series: a client cannot mint series', async (t) => {
  const recorder = new MetricsRecorder();
  const meters = new RequestMeters(recorder);
  for (const method of ['GET', 'BREW', 'FOO(1)', 'get']) meters.unmatched.record(method, 501, 0.01);
  const store = new MetricStore();
  store.apply(0, recorder.takeDelta());
  t.same(store.counterFigures(REQUESTS).map((c) => [c.labels[1], c.total]).sort(), [['GET', 1], ['OTHER', 3]]);
});
