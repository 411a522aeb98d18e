// The circuit breaker with a real upstream that fails on purpose, across two workers: it opens at
// the error rate, answers 503 at once while open (no connection to the target), lets exactly one
// probe through per node after the cooldown, and closes when the probe succeeds. The state shows
// in the SIGUSR2 snapshot and on the admin API's /upstreams.
import { parseMetrics, total } from '../helpers/prometheus.js';
import t from 'tap';
import { startGateway } from '../helpers/gateway-process.js';
import { startFailingUpstream } from '../helpers/failing-upstream.js';
import { freshRequest, waitUntil } from '../helpers/fresh-request.js';

t.test('open, half-open with one probe per node, closed', async (t) => {
  const a = await startFailingUpstream('a');
  const gw = await startGateway(`
listen: { host: 127.0.0.1, port: 0 }
workers: 2
admin: { host: 127.0.0.1, port: 0 }
log: { level: info, access: false }
upstreams:
  svc:
    targets: ['${a.url}']
    circuitBreaker: { errorRate: 50%, minRequests: 4, window: 10s, cooldown: 1s }
routes:
  - { id: api, match: { path: /api/* }, upstream: svc }
`, { env: { TOLLGATE_FAULT_INJECTION: '1' } }); // answers name their worker (x-tollgate-worker)
  t.teardown(async () => {
    await gw.stop();
    await a.close();
  });
  const circuitOf = async (): Promise<string> => {
    const r = await freshRequest(gw.adminUrl + '/upstreams');
    return (JSON.parse(r.text) as { targets: { circuit: string }[] }[])[0]!.targets[0]!.circuit;
  };
  t.equal(await circuitOf(), 'closed');

  a.behaviour = { kind: 'status', status: 500 };
  const failing = [];
  for (let i = 0; i < 4; i++) failing.push((await freshRequest(gw.url + '/api/x')).status);
  t.same(failing, [500, 500, 500, 500], 'the upstream\'s own 500s are relayed while the circuit is closed');
  await gw.waitForLog((l) => l.msg === 'circuit opened: the target gets no requests until a probe succeeds', 2_000);

  const hits = a.requests();
  const connections = a.connections();
  for (let i = 0; i < 6; i++) {
    const r = await freshRequest(gw.url + '/api/x');
    t.equal(r.status, 503);
    t.match(JSON.parse(r.text), { type: 'https://tollgate.dev/problems/upstream-unavailable', detail: 'The upstream is failing: its circuit breaker is open.' });
  }
  t.equal(a.requests(), hits, 'no request reached the target while open');
  t.equal(a.connections(), connections, 'no connection was even attempted');
  t.equal(await circuitOf(), 'open', 'admin /upstreams shows it open');
  const families = parseMetrics((await freshRequest(gw.adminUrl + '/metrics')).text);
  t.equal(total(families, 'tollgate_circuit_open', { upstream: 'svc', target: a.url }), 1, '/metrics: tollgate_circuit_open is 1 for the target');
  t.equal(total(families, 'tollgate_target_up', { upstream: 'svc', target: a.url }), 1, 'and the target is still up by its health');
  gw.child.kill('SIGUSR2');
  const stats = await gw.waitForLog((l) => l.msg === 'stats', 5_000);
  const svc = (stats.upstreams as { upstream: string; targets: { url: string; circuit: string; circuitOpenings: number; health: string }[] }[])[0]!;
  t.match(svc.targets, [{ url: a.url, circuit: 'open', circuitOpenings: 1, health: 'up' }], 'and the SIGUSR2 snapshot');

  // After the cooldown the target is fixed but slow: concurrent requests from both workers find
  // one probe in flight, and only that one reaches the target.
  a.behaviour = { kind: 'delay', ms: 600 };
  await new Promise((r) => setTimeout(r, 1_100));
  const burst = await Promise.all(Array.from({ length: 16 }, () => freshRequest(gw.url + '/api/x')));
  const statuses = burst.map((r) => r.status).sort();
  t.same(statuses, [200, ...Array(15).fill(503)], 'one probe, fifteen answered 503 at once');
  t.equal(new Set(burst.map((r) => r.headers['x-tollgate-worker'])).size, 2, 'the burst reached both workers');
  t.equal(a.requests(), hits + 1, 'exactly one request reached the target during the half-open state');
  await gw.waitForLog((l) => l.msg === 'circuit closed: the probe succeeded', 2_000);
  a.behaviour = { kind: 'ok' };
  const after = await Promise.all(Array.from({ length: 6 }, () => freshRequest(gw.url + '/api/x')));
  t.same(after.map((r) => r.status), Array(6).fill(200), 'closed: every request goes through');
  t.equal(await circuitOf(), 'closed');
  for (const msg of ['circuit opened: the target gets no requests until a probe succeeds', 'circuit half-open: one probe request goes through', 'circuit closed: the probe succeeded']) {
    t.equal(gw.logs.filter((l) => l.msg === msg).length, 1, `"${msg.split(':')[0]}" is logged once for the node`);
  }
});

t.test('a failed probe opens the circuit again', async (t) => {
  const a = await startFailingUpstream('a');
  const gw = await startGateway(`
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
log: { level: info, access: false }
upstreams:
  svc:
    targets: ['${a.url}']
    circuitBreaker: { errorRate: 100%, minRequests: 2, window: 10s, cooldown: 300ms }
routes:
  - { id: api, match: { path: /api/* }, upstream: svc }
`);
  t.teardown(async () => {
    await gw.stop();
    await a.close();
  });
  a.behaviour = { kind: 'reset' };
  t.same([(await freshRequest(gw.url + '/api/x')).status, (await freshRequest(gw.url + '/api/x')).status], [502, 502]);
  t.equal((await freshRequest(gw.url + '/api/x')).status, 503, 'two resets in two calls open it');
  await new Promise((r) => setTimeout(r, 350));
  t.equal((await freshRequest(gw.url + '/api/x')).status, 502, 'the probe goes through and fails');
  await gw.waitForLog((l) => l.msg === 'circuit opened again: the probe failed', 2_000);
  t.equal((await freshRequest(gw.url + '/api/x')).status, 503, 'open again');
  a.behaviour = { kind: 'ok' };
  await waitUntil(async () => (await freshRequest(gw.url + '/api/x')).status === 200, 3_000, 'the next probe closes it');
  t.equal((await freshRequest(gw.url + '/api/x')).status, 200);
});
