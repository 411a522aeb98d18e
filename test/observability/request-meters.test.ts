// RequestMeters counts each answer into its route's series by method and status: every switch of
// method or status between answers lands in the right counter (the meters keep the last series
// used beside their maps), and a method outside the known list counts as OTHER.
import t from 'tap';
import { MetricsRecorder } from '../../src/observability/metrics-recorder.js';
import { RequestMeters } from '../../src/observability/request-meters.js';

function countsOf(metrics: MetricsRecorder): Map<string, number> {
  const delta = metrics.takeDelta();
  const names = new Map(delta.series.map((s) => [s.id, `${s.name}{${s.labels.join(',')}}`]));
  const out = new Map<string, number>();
  for (let i = 0; i < delta.counters.length; i += 2) out.set(names.get(delta.counters[i]!)!, delta.counters[i + 1]!);
  return out;
}

t.test('every answer is counted under its own method and status', async (t) => {
  const metrics = new MetricsRecorder();
  const meters = new RequestMeters(metrics);
  const route = meters.route('r');
  const answers: [string, number][] = [
    ['GET', 200], ['GET', 200], ['GET', 404], ['POST', 200], ['GET', 200], ['POST', 201], ['POST', 201],
    ['FOO', 200], ['get', 200], ['GET', 404], ['DELETE', 204], ['GET', 200],
  ];
  for (const [method, status] of answers) route.record(method, status, 1.5);
  t.same(Object.fromEntries(countsOf(metrics)), {
    'tollgate_requests_total{r,GET,200}': 4,
    'tollgate_requests_total{r,GET,404}': 2,
    'tollgate_requests_total{r,POST,200}': 1,
    'tollgate_requests_total{r,POST,201}': 2,
    'tollgate_requests_total{r,OTHER,200}': 2,
    'tollgate_requests_total{r,DELETE,204}': 1,
  });
});

t.test('meters that are off count nothing', async (t) => {
  const metrics = new MetricsRecorder();
  const meters = new RequestMeters(metrics, false);
  meters.route('r').record('GET', 200, 1);
  t.equal(countsOf(metrics).size, 0);
});
