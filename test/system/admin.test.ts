// The admin API of a running gateway (SPEC §4): open probes, the bearer token, redaction,
// readiness across workers, and POST /reload with a broken and a good file.
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { configHead, fetchText, launch, startUpstreams } from './fixtures/system-fixture.js';

const TOKEN = 'adm1n-t0ken-for-tests';
const AUTH = { authorization: `Bearer ${TOKEN}` };
// Credentials in header rules, which GET /config must not show either.
const UPSTREAM_SECRETS = ['upstream-cred-1', 'cookie-cred-2', 'respond-cred-3'];

function config(head: string, extraRoutes = ''): string {
  return `${head}routes:
  - id: users-echo
    match: { path: /echo, methods: [GET] }
    upstream: users
    headers:
      request: { set: { Authorization: "Bearer ${UPSTREAM_SECRETS[0]}", x-gw: tollgate } }
      response: { set: { set-cookie: "sid=${UPSTREAM_SECRETS[1]}" } }
  - id: status
    match: { path: /status }
    respond: { status: 200, json: { ok: true }, headers: { x-api-key: ${UPSTREAM_SECRETS[2]} } }
${extraRoutes}`;
}

t.test('admin API on a gateway with a token', async (t) => {
  const demo = await startUpstreams(t);
  const head = configHead(demo, `token: ${TOKEN}`);
  const gw = await launch(t, config(head), { workers: 2 });
  const admin = (path: string, opts: Parameters<typeof fetchText>[1] = {}): ReturnType<typeof fetchText> => fetchText(gw.adminUrl + path, opts);

  t.test('/health and /ready answer without the token', async (t) => {
    const health = await admin('/health');
    t.equal(health.status, 200);
    const ready = await admin('/ready');
    t.equal(ready.status, 200);
    const body = ready.json();
    t.equal(body.ready, true);
    t.equal(body.workers.length, 2, 'both workers are listed');
    t.ok(body.workers.every((w: { state: string }) => w.state === 'serving'), 'every worker is serving');
  });

  t.test('every other endpoint needs the bearer token', async (t) => {
    // Unknown paths too: without the token nothing tells which paths exist.
    const paths = [['GET', '/config'], ['GET', '/routes'], ['GET', '/upstreams'], ['GET', '/metrics'], ['POST', '/reload'], ['GET', '/nope'], ['DELETE', '/metrics']] as const;
    for (const [method, path] of paths) {
      const none = await admin(path, { method });
      t.equal(none.status, 401, `${method} ${path} without a token`);
      t.match(String(none.headers['www-authenticate']), /^Bearer/, 'with WWW-Authenticate');
      t.match(String(none.headers['content-type']), /application\/problem\+json/);
      const wrong = await admin(path, { method, headers: { authorization: `Bearer ${TOKEN}x` } });
      t.equal(wrong.status, 401, `${method} ${path} with a wrong token`);
      t.match(String(wrong.headers['www-authenticate']), /^Bearer/);
      const basic = await admin(path, { method, headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } });
      t.equal(basic.status, 401, `${method} ${path} with another scheme`);
    }
    for (const [method, path, status] of [['GET', '/config', 200], ['GET', '/routes', 200], ['GET', '/upstreams', 200], ['GET', '/metrics', 200], ['GET', '/nope', 404], ['DELETE', '/metrics', 405]] as const) {
      const res = await admin(path, { method, headers: AUTH });
      t.equal(res.status, status, `${method} ${path} with the token`);
      const type = String(res.headers['content-type']);
      if (path === '/metrics' && status === 200) t.equal(type, 'text/plain; version=0.0.4; charset=utf-8', 'the Prometheus text format');
      else if (status >= 400) t.match(type, /^application\/problem\+json/, `${method} ${path}: a problem document`);
      else t.match(type, /^application\/json/, `${method} ${path}: JSON`);
      if (path !== '/metrics' || status !== 200) t.doesNotThrow(() => res.json(), `${method} ${path}: the body is JSON`);
    }
  });

  t.test('the Bearer scheme is case-insensitive (RFC 9110 §11.1); the token is not', async (t) => {
    for (const authorization of [`bearer ${TOKEN}`, `BEARER ${TOKEN}`, `BeArEr ${TOKEN}`, `Bearer  ${TOKEN}`]) {
      t.equal((await admin('/routes', { headers: { authorization } })).status, 200, JSON.stringify(authorization));
    }
    for (const authorization of [`bearer ${TOKEN.toUpperCase()}`, `bearer${TOKEN}`, `Bearer ${TOKEN} `.repeat(2), `Bearers ${TOKEN}`, TOKEN]) {
      t.equal((await admin('/routes', { headers: { authorization } })).status, 401, JSON.stringify(authorization));
    }
  });

  t.test('/config redacts the token and secrets in header rules, and shows the routes', async (t) => {
    const res = await admin('/config', { headers: AUTH });
    t.equal(res.status, 200);
    t.notMatch(res.text, TOKEN, 'the token value appears nowhere');
    for (const secret of UPSTREAM_SECRETS) t.notMatch(res.text, secret, `${secret} appears nowhere`);
    const body = res.json();
    t.equal(body.admin.token, '[redacted]');
    t.same(body.routes[0].headers.request.set, { authorization: '[redacted]', 'x-gw': 'tollgate' });
    t.same(body.routes[0].headers.response.set, { 'set-cookie': '[redacted]' });
    t.same(body.routes[1].respond.headers, { 'x-api-key': '[redacted]' });
    t.same(body.routes.map((r: { id: string }) => r.id), ['users-echo', 'status']);
    t.equal(body.routes[0].match.path, '/echo');
  });

  t.test('/routes lists the route ids', async (t) => {
    const res = await admin('/routes', { headers: AUTH });
    t.equal(res.status, 200);
    t.same(res.json().map((r: { id: string }) => r.id), ['users-echo', 'status']);
  });

  t.test('GET /reload is 405 with Allow: POST', async (t) => {
    const res = await admin('/reload', { headers: AUTH });
    t.equal(res.status, 405);
    t.equal(res.headers['allow'], 'POST');
  });

  t.test('POST /reload with a broken file answers 400 with positioned errors and keeps serving', async (t) => {
    writeFileSync(gw.configFile, config(head, '  - id: broken\n    match: { path: /broken }\n    upstream: missing\n    timout: 1s\n'));
    const res = await admin('/reload', { method: 'POST', headers: AUTH });
    t.equal(res.status, 400);
    t.match(String(res.headers['content-type']), /^application\/problem\+json/, 'a problem document');
    t.match(res.json(), { status: 400, title: 'Bad Request', reloaded: false });
    const errors: string[] = res.json().errors;
    t.equal(errors.length, 2, errors.join('\n'));
    for (const e of errors) t.match(e, new RegExp(`^${gw.configFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+ routes\\.2\\.\\w+: .+`));
    const old = await fetchText(gw.url + '/echo');
    t.equal(old.status, 200, 'the old config still serves');
    t.equal(old.json().service, 'users');
    t.equal((await fetchText(gw.url + '/broken')).status, 404, 'nothing of the broken file was applied');
    t.equal((await admin('/ready')).json().generation, 1);
  });

  t.test('POST /reload with a good changed file answers 200 and the new route answers', async (t) => {
    writeFileSync(gw.configFile, config(head, '  - id: orders-echo\n    match: { path: /orders-echo }\n    upstream: orders\n    rewrite: /echo\n'));
    const res = await admin('/reload', { method: 'POST', headers: AUTH });
    t.equal(res.status, 200, res.text);
    t.equal(res.json().reloaded, true);
    const generation = res.json().generation;
    t.ok(generation > 1, 'a new generation');
    // Every worker confirmed the new generation before the answer: any connection reaches it.
    for (let i = 0; i < 6; i++) {
      const added = await fetchText(gw.url + '/orders-echo', { reset: true });
      t.equal(added.status, 200);
      t.equal(added.json().service, 'orders');
    }
    const ready = (await admin('/ready')).json();
    t.equal(ready.generation, generation);
    t.ok(ready.workers.every((w: { generation: number }) => w.generation === generation), 'every worker applied it');
    t.same((await admin('/routes', { headers: AUTH })).json().map((r: { id: string }) => r.id), ['users-echo', 'status', 'orders-echo']);
  });
});

t.test('admin API without a token set lets every endpoint through on loopback', async (t) => {
  const demo = await startUpstreams(t);
  const gw = await launch(t, config(configHead(demo)), { workers: 1 });
  const res = await fetchText(gw.adminUrl + '/routes');
  t.equal(res.status, 200);
  t.same(res.json().map((r: { id: string }) => r.id), ['users-echo', 'status']);
  t.equal((await fetchText(gw.adminUrl + '/nope')).status, 404);
});
