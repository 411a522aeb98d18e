import t from 'tap';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { startProxyFixture, type ProxyFixture } from './fixture.js';
import { rawExchange } from '../helpers/recording-upstream.js';

let fx: ProxyFixture;

t.before(async () => {
  fx = await startProxyFixture(() => `
  - id: user
    match: { path: /api/users/:id, methods: [GET, HEAD] }
    upstream: users
    rewrite: /v2/users/:id
    headers:
      request: { set: { x-gw: tollgate }, remove: [cookie] }
      response: { set: { x-served-by: tollgate }, remove: [server] }
  - id: echo
    match: { path: /api/echo/* }
    upstream: users
    rewrite: /echo/*
  - id: hosted
    match: { path: /hosted, host: api.example.com }
    respond: { status: 200, json: { host: specific } }
  - id: hosted-any
    match: { path: /hosted }
    respond: { status: 200, json: { host: any } }
  - id: static-wins
    match: { path: /api/users/me, methods: [GET] }
    respond: { status: 200, json: { me: true } }
  - id: headers-out
    match: { path: /headers-out }
    upstream: users
  - id: empty
    match: { path: /empty }
    respond: { status: 204 }
  - id: bytes
    match: { path: /bytes/:n }
    upstream: users
  - id: status
    match: { path: /status/:code }
    upstream: users
`, 'limits: { chunkedRequests: true }');
});
t.teardown(() => fx.close());

const echo = async (path: string, opts: Parameters<typeof request>[1] = {}) => {
  const res = await request(fx.gw.url + path, opts);
  return { res, body: (await res.body.json()) as { url: string; method: string; headers: Record<string, string>; body?: string; bodyLength: number } };
};

t.test('proxies with rewrite, params and header operations', async (t) => {
  const res = await request(fx.gw.url + '/api/users/42', { headers: { cookie: 'a=b' } });
  t.equal(res.statusCode, 200);
  t.same(await res.body.json(), { id: 42, name: 'User 42', email: 'user42@example.com' });
  t.equal(res.headers['x-served-by'], 'tollgate');
  t.notOk(res.headers.server, 'server header removed by the route');
  t.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
});

t.test('request header set/remove and forwarding headers reach the upstream', async (t) => {
  const { body } = await echo('/api/echo/a/b?x=1&y=%20z', { headers: { cookie: 'secret', 'x-client': 'c', host: 'front.example:8080' } });
  t.equal(body.url, '/echo/a/b?x=1&y=%20z', 'rewrite keeps the query unchanged');
  t.equal(body.headers['x-client'], 'c');
  t.equal(body.headers['x-forwarded-for'], '127.0.0.1');
  t.equal(body.headers['x-forwarded-proto'], 'http');
  t.equal(body.headers['x-forwarded-host'], 'front.example:8080');
  t.match(body.headers.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, 'a trace is started');
  t.match(body.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
});

t.test('untrusted clients cannot forge X-Forwarded-*', async (t) => {
  const { body } = await echo('/api/echo/x', { headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'gopher' } });
  t.equal(body.headers['x-forwarded-for'], '127.0.0.1');
  t.equal(body.headers['x-forwarded-proto'], 'http');
});

t.test('a well-formed X-Request-Id and traceparent are kept; a bad id is replaced', async (t) => {
  const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const { res, body } = await echo('/api/echo/id', { headers: { 'x-request-id': 'client-id-1', traceparent: tp } });
  t.equal(res.headers['x-request-id'], 'client-id-1');
  t.equal(body.headers['x-request-id'], 'client-id-1');
  t.equal(body.headers.traceparent, tp);
  const bad = await echo('/api/echo/id', { headers: { 'x-request-id': 'bad id with spaces' } });
  t.not(bad.res.headers['x-request-id'], 'bad id with spaces');
  t.match(String(bad.res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
});

t.test('hop-by-hop headers are removed both ways, including those named in Connection', async (t) => {
  const raw = await rawExchange(fx.gw.port,
    'GET /api/echo/h HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, x-hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nX-Stay: 1\r\n\r\n', 800);
  const body = JSON.parse(raw.text.slice(raw.text.indexOf('\r\n\r\n') + 4)) as { headers: Record<string, string> };
  t.notOk(body.headers['x-hop'], 'a header named in Connection is not forwarded');
  t.notOk(body.headers['te']);
  t.not(body.headers['keep-alive'], 'timeout=5');
  t.equal(body.headers['x-stay'], '1');
  const res = await request(fx.gw.url + '/headers-out?connection=x-foo&x-foo=1&x-bar=2&keep-alive=timeout%3D5');
  await res.body.text();
  t.equal(res.statusCode, 200);
  t.notOk(res.headers['x-foo'], 'header named in the upstream Connection is dropped');
  t.notOk(res.headers['keep-alive']);
  t.equal(res.headers['x-bar'], '2');
});

t.test('routing: static beats param, host-specific beats any-host, 404 and 405 with Allow', async (t) => {
  const me = await request(fx.gw.url + '/api/users/me');
  t.same(await me.body.json(), { me: true });
  const specific = await request(fx.gw.url + '/hosted', { headers: { host: 'API.example.com:8443' } });
  t.same(await specific.body.json(), { host: 'specific' });
  const any = await request(fx.gw.url + '/hosted', { headers: { host: 'other.example' } });
  t.same(await any.body.json(), { host: 'any' });
  const missing = await request(fx.gw.url + '/nope');
  t.equal(missing.statusCode, 404);
  t.equal(missing.headers['content-type'], 'application/problem+json');
  const problem = (await missing.body.json()) as Record<string, unknown>;
  t.match(problem, { type: String, title: 'Not Found', status: 404, detail: String });
  t.equal(problem.instance, missing.headers['x-request-id']);
  const wrong = await request(fx.gw.url + '/api/users/1', { method: 'DELETE' });
  await wrong.body.text();
  t.equal(wrong.statusCode, 405);
  t.equal(wrong.headers.allow, 'GET, HEAD');
});

// Raw sockets: an HTTP client library would normalise these paths itself before sending them.
const rawGet = async (path: string) => {
  const { text } = await rawExchange(fx.gw.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 1_000);
  return { status: Number(text.slice(9, 12)), body: text.slice(text.indexOf('\r\n\r\n') + 4) };
};

t.test('paths are normalised before matching and forwarding', async (t) => {
  // /api/echo/../users/1 is /api/users/1: it reaches the route that names that path, and only it.
  const up = await rawGet('/api/echo/../users/1');
  t.equal(up.status, 200);
  t.match(up.body, /"id":1,/);
  const dots = await rawGet('/api/echo/a/./b/');
  t.equal(JSON.parse(dots.body).url, '/echo/a/b/', 'dot-segments are resolved, never forwarded');
  const slashes = await rawGet('/api/echo//x//y');
  t.equal(JSON.parse(slashes.body).url, '/echo/x/y');
  for (const path of ['/../api/users/1', '/api/%2e%2e/%2e%2e/%2e%2e/x', '/api/echo/a/%2e%2E/b', '/api/echo/%2fetc', '/api/echo/%zz', '/api/echo/a\\b']) {
    const res = await rawGet(path);
    t.equal(res.status, 400, `${path} is rejected`);
    t.match(res.body, /"status":400/);
  }
});

t.test('HEAD, 204 and respond routes', async (t) => {
  const head = await request(fx.gw.url + '/api/users/5', { method: 'HEAD' });
  t.equal(head.statusCode, 200);
  t.equal(await head.body.text(), '');
  t.equal(head.headers['content-type'], 'application/json');
  const respondHead = await request(fx.gw.url + '/hosted', { method: 'HEAD' });
  t.equal(await respondHead.body.text(), '');
  t.equal(respondHead.headers['content-length'], String('{"host":"any"}'.length), 'HEAD reports the length a GET would have');
  const empty = await request(fx.gw.url + '/empty');
  t.equal(empty.statusCode, 204);
  t.equal(await empty.body.text(), '');
  t.notOk(empty.headers['content-length']);
  const status = await request(fx.gw.url + '/status/418');
  await status.body.text();
  t.equal(status.statusCode, 418, 'upstream status codes pass through');
});

t.test('large bodies stream both ways intact', async (t) => {
  const big = await request(fx.gw.url + '/bytes/3000000');
  const buf = Buffer.from(await big.body.arrayBuffer());
  t.equal(big.statusCode, 200);
  t.equal(buf.length, 3_000_000);
  t.equal(big.headers['content-length'], '3000000');
  const payload = Buffer.alloc(200_000, 'q');
  const { body } = await echo('/api/echo/upload', { method: 'POST', body: payload });
  t.equal(body.bodyLength, 200_000);
  async function* chunks() {
    for (let i = 0; i < 20; i++) yield Buffer.alloc(10_000, 'c');
  }
  const chunked = await echo('/api/echo/chunked', { method: 'POST', body: Readable.from(chunks()) });
  t.equal(chunked.body.bodyLength, 200_000, 'a chunked request body is forwarded whole');
});

t.test('the access log records route, status, upstream and request id', async (t) => {
  const res = await request(fx.gw.url + '/api/users/9', { headers: { 'x-request-id': 'log-check-1' } });
  await res.body.text();
  const line = await fx.gw.waitForLog((l) => l.requestId === 'log-check-1');
  t.match(line, { msg: 'request', route: 'user', method: 'GET', path: '/api/users/9', status: 200, bytesOut: Number });
  t.equal(line.upstream, `http://127.0.0.1:${fx.ports.users}`);
  t.type(line.durationMs, 'number');
});
