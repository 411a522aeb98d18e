// The supervisor's store: totals over workers that survive a worker's end, the sliding minute of
// 10-second slots, and histograms merged exactly across workers.
import t from 'tap';
import { MetricStore, SLOT_MS } from '../../dist/observability/metric-store.js';
import { MetricsRecorder } from '../../dist/observability/metrics-recorder.js';
import * as hdr from 'hdr-histogram-js';
import { BUCKETS, bucketIndex, bucketValue, HIGHEST_US, toMicros } from '../../dist/observability/latency-histogram.js';
import { CONFIG_RELOADS, REQUESTS, REQUEST_DURATION, UPSTREAM_CONNECTIONS, WORKER_HEAP_USED } from '../../dist/observability/metric-catalogue.js';

/** A store on a clock the test moves, started at a slot boundary. */
function clockedStore(): { store: MetricStore; advance: (ms: number) => void } {
  let now = 1_000 * SLOT_MS;
  return { store: new MetricStore(undefined, () => now), advance: (ms) => { now += ms; } };
}

const countOf = (store: MetricStore, labels: string[]) =>
  store.counterFigures(REQUESTS).find((c) => JSON.stringify(c.labels) === JSON.stringify(labels));

t.test('counter increments from several workers add up, and a worker that ends takes nothing back', async (t) => {
  const { store } = clockedStore();
  const a = new MetricsRecorder();
  const b = new MetricsRecorder();
  for (let i = 0; i < 3; i++) a.counter(REQUESTS, ['api', 'GET', '200']).inc();
  for (let i = 0; i < 4; i++) b.counter(REQUESTS, ['api', 'GET', '200']).inc();
  b.counter(REQUESTS, ['api', 'GET', '503']).inc();
  store.apply(0, a.takeDelta());
  store.apply(1, b.takeDelta());
  t.match(countOf(store, ['api', 'GET', '200']), { total: 7, window: 7 });
  store.workerGone(1);
  t.match(countOf(store, ['api', 'GET', '200']), { total: 7 }, 'the ended worker\'s counts stay');
  const replacement = new MetricsRecorder();
  replacement.counter(REQUESTS, ['api', 'GET', '200']).inc();
  store.apply(1, replacement.takeDelta());
  t.match(countOf(store, ['api', 'GET', '200']), { total: 8 }, 'its replacement counts on from there');
  t.match(countOf(store, ['api', 'GET', '503']), { total: 1 });
});

t.test('a push carries only what moved since the previous one', async (t) => {
  const r = new MetricsRecorder();
  const c = r.counter(REQUESTS, ['api', 'GET', '200']);
  c.inc();
  const first = r.takeDelta();
  t.same([...first.counters], [c.id, 1], 'the counter that moved, by its number');
  t.same(first.series, [{ id: c.id, kind: 'counter', name: REQUESTS.name, labels: ['api', 'GET', '200'] }], 'described once, in its first push');
  t.equal(r.takeDelta().counters.length, 0, 'nothing moved: nothing sent');
  t.equal(c.value, 0);
  c.inc();
  const again = r.takeDelta();
  t.same(again.series, [], 'a series already described is named by its number only');
  t.same([...again.counters], [c.id, 1]);
  const s = r.summary(REQUEST_DURATION, ['api']);
  s.record(1500);
  s.record(1500);
  s.record(20);
  const { summaries, sums } = r.takeDelta();
  t.same([...summaries.slice(0, 3)], [s.id, 3, 2], 'id, count, then two buckets');
  t.equal(summaries.length, 7);
  t.same([...sums], [3020]);
  t.equal(r.takeDelta().summaries.length, 0);
});

t.test('a replacement recorder for the same worker numbers its series anew', async (t) => {
  const { store } = clockedStore();
  const first = new MetricsRecorder();
  first.counter(REQUESTS, ['api', 'GET', '200']).inc();
  store.apply(0, first.takeDelta());
  const second = new MetricsRecorder();
  // Its first series gets the number the first recorder gave another series.
  second.counter(REQUESTS, ['api', 'GET', '404']).inc();
  store.apply(0, second.takeDelta());
  t.match(countOf(store, ['api', 'GET', '200']), { total: 1 });
  t.match(countOf(store, ['api', 'GET', '404']), { total: 1 });
});

t.test('the window holds the last minute in 10-second slots; totals hold everything', async (t) => {
  const { store, advance } = clockedStore();
  const r = new MetricsRecorder();
  const series = r.counter(REQUESTS, ['api', 'GET', '200']);
  const push = (n: number): void => {
    for (let i = 0; i < n; i++) series.inc();
    store.apply(0, r.takeDelta());
  };
  push(5);
  advance(SLOT_MS);
  push(7);
  t.match(countOf(store, ['api', 'GET', '200']), { total: 12, window: 12 });
  t.equal(store.windowSeconds(), 10, 'since start, while shorter than a minute');
  advance(5 * SLOT_MS);
  t.match(countOf(store, ['api', 'GET', '200']), { total: 12, window: 7 }, 'the first slot left the window after a minute');
  t.equal(store.windowSeconds(), 50, 'five whole slots, and the current one just begun');
  advance(4_000);
  t.equal(store.windowSeconds(), 54);
  advance(-4_000);
  advance(SLOT_MS);
  t.match(countOf(store, ['api', 'GET', '200']), { total: 12, window: 0 });
  push(2);
  t.match(countOf(store, ['api', 'GET', '200']), { total: 14, window: 2 }, 'a slot reused by a later epoch starts from zero');
});

t.test('latency quantiles are taken over every worker\'s values, not the worst worker\'s', async (t) => {
  const { store, advance } = clockedStore();
  const fast = new MetricsRecorder();
  const slow = new MetricsRecorder();
  for (let i = 0; i < 90; i++) fast.summary(REQUEST_DURATION, ['api']).record(1_000);
  for (let i = 0; i < 10; i++) slow.summary(REQUEST_DURATION, ['api']).record(100_000);
  store.apply(0, fast.takeDelta());
  store.apply(1, slow.takeDelta());
  const [api] = store.summaryFigures(REQUEST_DURATION);
  t.equal(api?.count, 100);
  t.equal(api?.sumSeconds, (90 * 1_000 + 10 * 100_000) / 1e6, '_sum is exact, not from the histogram');
  t.ok(Math.abs(api!.window.p50 - 1_000) <= 1, `p50 ${api?.window.p50} µs is the fast majority's`);
  t.ok(Math.abs(api!.window.p99 - 100_000) <= 100, `p99 ${api?.window.p99} µs is the slow tail (0.1% precision)`);
  t.same(api?.window, api?.lifetime, 'the window and the lifetime agree within the first minute');
  advance(6 * SLOT_MS);
  const [later] = store.summaryFigures(REQUEST_DURATION);
  t.equal(later?.window.count, 0, 'a minute later the window is empty');
  t.equal(later?.lifetime.count, 100, 'the lifetime keeps everything');
});

t.test('gauges: summed over live workers, or one per worker; an ended worker\'s gauges go', async (t) => {
  const { store } = clockedStore();
  const worker = (busy: number, heap: number): MetricsRecorder => {
    const r = new MetricsRecorder();
    r.gauge(UPSTREAM_CONNECTIONS, (emit) => emit(['users', 'http://127.0.0.1:9001', 'busy'], busy));
    r.gauge(WORKER_HEAP_USED, (emit) => emit([], heap));
    return r;
  };
  store.apply(0, worker(2, 100).takeDelta());
  store.apply(1, worker(3, 200).takeDelta());
  t.same(store.gaugeFigures(UPSTREAM_CONNECTIONS).map((g) => g.value), [5]);
  t.same(store.gaugeFigures(WORKER_HEAP_USED).map((g) => [g.worker, g.value]), [[0, 100], [1, 200]]);
  store.apply(1, worker(1, 150).takeDelta());
  t.same(store.gaugeFigures(UPSTREAM_CONNECTIONS).map((g) => g.value), [3], 'a push replaces the worker\'s previous values');
  store.workerGone(0);
  t.same(store.gaugeFigures(UPSTREAM_CONNECTIONS).map((g) => g.value), [1]);
  t.same(store.gaugeFigures(WORKER_HEAP_USED).map((g) => g.worker), [1]);
});

t.test('the supervisor\'s own counts, and metrics outside the catalogue are refused', async (t) => {
  const { store } = clockedStore();
  store.add(CONFIG_RELOADS, ['success']);
  store.add(CONFIG_RELOADS, ['success']);
  t.same(store.counterFigures(CONFIG_RELOADS).map((c) => [c.labels[0], c.total]), [['success', 2]]);
  const none = new Float64Array(0);
  t.throws(() => store.apply(0, { source: 1, series: [{ id: 0, kind: 'counter', name: 'tollgate_nope_total', labels: [] }], counters: new Float64Array([0, 1]), summaries: new Int32Array(0), sums: none, gauges: none }),
    /not a counter of the catalogue/);
  const r = new MetricsRecorder();
  t.throws(() => r.counter({ name: 'tollgate_unlisted_total', help: 'x', kind: 'counter', labels: [] }, []), /not listed in CATALOGUE/);
  t.throws(() => r.counter(REQUESTS, ['api']), /takes labels \[route, method, status\]/);
});

/** The histogram the buckets copy: hdr-histogram-js with the same range and precision. */
const hdrHistogram = (): hdr.Histogram =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, useWebAssembly: false });

t.test('the buckets are HdrHistogram\'s: every value lands in the bucket whose highest value HdrHistogram reports for it', async (t) => {
  const h = hdrHistogram() as hdr.Histogram & { highestEquivalentValue(v: number): number };
  let wrong = 0;
  const check = (us: number): void => {
    const i = bucketIndex(us);
    if (i < 0 || i >= BUCKETS || bucketValue(i) !== h.highestEquivalentValue(us)) wrong++;
  };
  for (let us = 1; us < 200_000; us++) check(us);
  for (let us = 200_000; us <= HIGHEST_US; us += 997) check(us);
  check(HIGHEST_US);
  t.equal(wrong, 0);
});

t.test('latencies pushed as buckets give the percentiles of a histogram that recorded them directly', async (t) => {
  const { store } = clockedStore();
  const r = new MetricsRecorder();
  const s = r.summary(REQUEST_DURATION, ['api']);
  const direct = hdrHistogram();
  // 1 us to 60 s, every power of two and the values around it, and an uneven spread.
  const values: number[] = [];
  for (let bit = 0; bit < 26; bit++) values.push(2 ** bit - 1, 2 ** bit, 2 ** bit + 1);
  for (let i = 1; i <= 5000; i++) values.push(Math.floor((i * i * 7919) % 60_000_000) + 1);
  for (const v of values.filter((v) => v >= 1)) {
    s.record(toMicros(v / 1000));
    direct.recordValue(toMicros(v / 1000));
  }
  store.apply(0, r.takeDelta());
  const [figures] = store.summaryFigures(REQUEST_DURATION);
  t.equal(figures!.lifetime.count, direct.totalCount);
  t.same(
    [figures!.lifetime.p50, figures!.lifetime.p90, figures!.lifetime.p99, figures!.lifetime.p999],
    [50, 90, 99, 99.9].map((p) => direct.getValueAtPercentile(p)),
  );
  t.same(
    [figures!.window.p50, figures!.window.p90, figures!.window.p99, figures!.window.p999],
    [50, 90, 99, 99.9].map((p) => direct.getValueAtPercentile(p)),
    'the window, merged from its slots, says the same',
  );
  // The max as a histogram reports a value: the highest of its bucket (0.1% resolution).
  t.equal(figures!.lifetime.max, direct.getValueAtPercentile(100));
});
