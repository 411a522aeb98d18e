// Health checks with real upstreams that fail on purpose: active checks (once per node, not once
// per worker) take a target out and bring it back; passive detection from real traffic takes it
// out too; with no healthy target the gateway answers 503 without trying.
import t, { type Test } from 'tap';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { startFailingUpstream, type FailingUpstream } from '../helpers/failing-upstream.js';
import { freshRequest, waitUntil } from '../helpers/fresh-request.js';

function gatewayYaml(targets: FailingUpstream[], opts: { workers: number; healthCheck: string; extra?: string }): string {
  return `
listen: { host: 127.0.0.1, port: 0 }
workers: ${opts.workers}
admin: { host: 127.0.0.1, port: 0 }
log: { level: info, access: false }
upstreams:
  svc:
    targets: [${targets.map((u) => u.url).join(', ')}]
    healthCheck: ${opts.healthCheck}
${opts.extra ?? ''}
routes:
  - { id: api, match: { path: /api/* }, upstream: svc }
`;
}

async function setup(t: Test, count: number, opts: { workers: number; healthCheck: string; extra?: string }): Promise<{ ups: FailingUpstream[]; gw: GatewayProcess }> {
  const ups = await Promise.all(Array.from({ length: count }, (_, i) => startFailingUpstream(String.fromCharCode(97 + i))));
  const gw = await startGateway(gatewayYaml(ups, opts));
  t.teardown(async () => {
    await gw.stop();
    await Promise.all(ups.map((u) => u.close()));
  });
  return { ups, gw };
}

const logsWith = (gw: GatewayProcess, msg: string, target: string) => gw.logs.filter((l) => l.msg === msg && l.target === target);

async function answers(gw: GatewayProcess, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await freshRequest(gw.url + '/api/x');
    out.push(`${r.status} ${r.text}`);
  }
  return out;
}

t.test('active checks run once per node with 4 workers, take a failing target out and bring it back', async (t) => {
  const { ups: [a, b], gw } = await setup(t, 2, { workers: 4, healthCheck: '{ path: /health, interval: 100ms, timeout: 500ms, unhealthyAfter: 2, healthyAfter: 2 }' });
  const start = Date.now();
  await new Promise((r) => setTimeout(r, 1_000));
  const checks = a!.hits.get('/health') ?? 0;
  const elapsed = Date.now() - start + 200; // the checks may have begun a little before `start`
  t.ok(checks >= 2, `target a was checked (${checks} times)`);
  t.ok(checks <= elapsed / 100 + 2, `${checks} checks in ~${elapsed} ms at a 100 ms interval: one checker per node, not one per worker (4 workers would make about ${Math.round((4 * elapsed) / 100)})`);

  a!.healthStatus = 503;
  await gw.waitForLog((l) => l.msg === 'target marked down: health checks fail' && l.target === a!.url, 5_000);
  const before = a!.requests();
  t.same(new Set(await answers(gw, 12)), new Set(['200 b']), 'a target that is down gets no traffic');
  t.equal(a!.requests(), before, 'not one request reached it');
  a!.healthStatus = 200;
  await gw.waitForLog((l) => l.msg === 'target healthy again: health checks pass' && l.target === a!.url, 5_000);
  t.same(new Set(await answers(gw, 12)), new Set(['200 a', '200 b']), 'back in the rotation once the checks pass');
  t.equal(logsWith(gw, 'target marked down: health checks fail', a!.url).length, 1, 'the change is logged once, not once per worker');
  t.equal(logsWith(gw, 'target healthy again: health checks pass', a!.url).length, 1);
  t.equal(logsWith(gw, 'target marked down: health checks fail', b!.url).length, 0);
});

t.test('with no healthy target the answer is a 503 problem and no upstream is asked', async (t) => {
  const { ups, gw } = await setup(t, 2, { workers: 2, healthCheck: '{ path: /health, interval: 100ms, unhealthyAfter: 1 }' });
  for (const u of ups) u.healthStatus = 500;
  await waitUntil(() => ups.every((u) => logsWith(gw, 'target marked down: health checks fail', u.url).length === 1), 5_000, 'both down');
  const r = await freshRequest(gw.url + '/api/x');
  t.equal(r.status, 503);
  t.equal(r.headers['content-type'], 'application/problem+json');
  t.match(JSON.parse(r.text), { type: 'https://tollgate.dev/problems/upstream-unavailable', status: 503, detail: 'The upstream has no healthy target.' });
  t.equal(ups.reduce((n, u) => n + u.requests(), 0), 0, 'no request was sent to a target that is down');
  const post = await freshRequest(gw.url + '/api/x', { method: 'POST', body: 'x'.repeat(100), headers: { 'content-length': '100' } });
  t.equal(post.status, 503, 'a request with a body too');
  ups[1]!.healthStatus = 200;
  await gw.waitForLog((l) => l.msg === 'target healthy again: health checks pass' && l.target === ups[1]!.url, 5_000);
  t.equal((await freshRequest(gw.url + '/api/x')).text, 'b');
});

t.test('passive detection: failures in a row in real traffic take a target out until the checks bring it back', async (t) => {
  const { ups: [a, b], gw } = await setup(t, 2, {
    workers: 2,
    healthCheck: '{ path: /health, interval: 1s, healthyAfter: 3, passiveFailures: 3 }',
  });
  a!.behaviour = { kind: 'reset' };
  const seen: string[] = [];
  for (let i = 0; i < 12 && logsWith(gw, 'target marked down: failures in a row in real traffic', a!.url).length === 0; i++) {
    seen.push((await answers(gw, 1))[0]!);
  }
  t.equal(seen.filter((s) => s.startsWith('502')).length, 3, 'three failed calls, across both workers, and no more');
  await gw.waitForLog((l) => l.msg === 'target marked down: failures in a row in real traffic' && l.target === a!.url, 2_000);
  t.same(new Set(await answers(gw, 8)), new Set(['200 b']), 'then only the healthy target is used');
  a!.behaviour = { kind: 'ok' };
  await gw.waitForLog((l) => l.msg === 'target healthy again: health checks pass' && l.target === a!.url, 8_000);
  t.same(new Set(await answers(gw, 8)), new Set(['200 a', '200 b']), 'three good checks later it is back');
  t.equal(logsWith(gw, 'target marked down: failures in a row in real traffic', a!.url).length, 1, 'logged once');
});
