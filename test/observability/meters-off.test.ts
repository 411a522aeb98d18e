// TOLLGATE_BENCH_METERS=off, native-bench's `meters-off` contender: the same gateway with meters
// that record nothing, so that a benchmark can measure what they cost. It must really switch them
// off (else the benchmark compares a gateway with itself) and change nothing else.
import t from 'tap';
import { oneUpstreamYaml, startGateway } from '../helpers/gateway-process.js';
import { fetchText } from '../helpers/http-reply.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { parseMetrics, total } from '../helpers/prometheus.js';

const up = await startRecordingUpstream();
t.teardown(() => up.close());

for (const [label, env, expected] of [['meters on', {}, 5], ['TOLLGATE_BENCH_METERS=off', { TOLLGATE_BENCH_METERS: 'off' }, 0]] as const) {
  t.test(`${label}: ${expected} requests counted`, async (t) => {
    const gw = await startGateway(oneUpstreamYaml(up.url), { env });
    t.teardown(() => gw.stop());
    for (let i = 0; i < 5; i++) t.equal((await fetchText(`${gw.url}/api/x${i}`)).status, 200, 'proxied as usual');
    const metrics = parseMetrics((await fetchText(gw.adminUrl + '/metrics')).text);
    t.equal(total(metrics, 'tollgate_requests_total', { route: 'any' }), expected);
  });
}
