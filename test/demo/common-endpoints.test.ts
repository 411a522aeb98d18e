import { Readable } from 'node:stream';
import t from 'tap';
import { DEFAULT_DEMO_PORTS } from '../../dist/demo/index.js';
import { call, startDemo } from './fixtures/demo-fixture.js';

const SERVICES = ['users', 'orders', 'slow', 'flaky'] as const;

t.test('DEFAULT_DEMO_PORTS are 9001-9004', async (t) => {
  t.same(DEFAULT_DEMO_PORTS, { users: 9001, orders: 9002, slow: 9003, flaky: 9004 });
});

t.test('every service answers /health, /small and unknown paths', async (t) => {
  const demo = await startDemo(t);
  for (const service of SERVICES) {
    t.not(demo.ports[service], 0, `${service} got a real port`);
    const health = await call(demo, service, '/health');
    t.equal(health.status, 200);
    t.equal(health.text, JSON.stringify({ status: 'ok', service }));
    t.equal(health.headers['server'], 'tollgate-demo');
    const small = await call(demo, service, '/small');
    t.equal(small.status, 200);
    t.equal(small.headers['content-type'], 'application/json');
    t.ok(small.text.length >= 80 && small.text.length <= 140, `small body is ~100 bytes (${small.text.length})`);
    t.equal(small.json().service, service);
    const missing = await call(demo, service, '/no/such/path');
    t.equal(missing.status, 404);
    t.equal(missing.headers['content-type'], 'application/problem+json');
    t.equal(missing.json().status, 404);
  }
});

t.test('/echo reports method, url, query, headers and body', async (t) => {
  const demo = await startDemo(t);
  const res = await call(demo, 'orders', '/echo/a/b?x=1&x=2&y=%20z', {
    method: 'PUT',
    headers: ['X-Repeat', 'one', 'x-repeat', 'two', 'content-type', 'text/plain'],
    body: 'héllo',
  });
  t.equal(res.status, 200);
  const echo = res.json();
  t.equal(echo.service, 'orders');
  t.equal(echo.method, 'PUT');
  t.equal(echo.url, '/echo/a/b?x=1&x=2&y=%20z');
  t.same(echo.query, { x: ['1', '2'], y: ' z' });
  t.equal(echo.headers['x-repeat'], 'one, two');
  t.equal(echo.headers['content-type'], 'text/plain');
  t.equal(echo.bodyLength, Buffer.byteLength('héllo'));
  t.equal(echo.body, 'héllo');

  const plain = (await call(demo, 'users', '/echo')).json();
  t.equal(plain.method, 'GET');
  t.equal(plain.url, '/echo');
  t.same(plain.query, {});
  t.equal(plain.bodyLength, 0);
});

t.test('/echo counts a large streamed body but only returns bodies up to 64 KiB', async (t) => {
  const demo = await startDemo(t);
  const exact = Buffer.alloc(64 * 1024, 'a');
  const kept = (await call(demo, 'users', '/echo', { method: 'POST', body: exact })).json();
  t.equal(kept.bodyLength, exact.length);
  t.equal(kept.body, exact.toString());

  async function* chunks(): AsyncGenerator<Buffer> {
    for (let i = 0; i < 64; i++) yield Buffer.alloc(16 * 1024, 'b');
  }
  const big = (await call(demo, 'users', '/echo', { method: 'POST', body: Readable.from(chunks()) })).json();
  t.equal(big.bodyLength, 64 * 16 * 1024);
  t.equal(big.headers['transfer-encoding'], 'chunked');
  t.notOk('body' in big, 'a body over 64 KiB is not echoed');
});

t.test('/bytes/:n serves exactly n bytes up to 16 MiB', async (t) => {
  const demo = await startDemo(t);
  const small = await call(demo, 'users', '/bytes/10');
  t.equal(small.status, 200);
  t.equal(small.headers['content-type'], 'application/octet-stream');
  t.equal(small.text.length, 10);
  const big = await call(demo, 'slow', '/bytes/16777216');
  t.equal(big.text.length, 16 * 1024 * 1024);
  t.equal(big.headers['content-length'], String(16 * 1024 * 1024));
  t.equal((await call(demo, 'users', '/bytes/0')).text, '');
  t.equal((await call(demo, 'users', '/bytes/16777217')).status, 400);
  t.equal((await call(demo, 'users', '/bytes/abc')).status, 400);
});

t.test('/status/:code answers that status with a problem body', async (t) => {
  const demo = await startDemo(t);
  const teapot = await call(demo, 'users', '/status/418');
  t.equal(teapot.status, 418);
  t.equal(teapot.headers['content-type'], 'application/problem+json');
  t.equal(teapot.json().status, 418);
  const unavailable = await call(demo, 'flaky', '/status/503');
  t.equal(unavailable.status, 503);
  const empty = await call(demo, 'users', '/status/204');
  t.equal(empty.status, 204);
  t.equal(empty.text, '');
  t.equal((await call(demo, 'users', '/status/99')).status, 400);
  t.equal((await call(demo, 'users', '/status/600')).status, 400);
});

t.test('/headers-out echoes query pairs as response headers', async (t) => {
  const demo = await startDemo(t);
  const res = await call(demo, 'users', '/headers-out?connection=x-foo&x-foo=1&keep-alive=timeout%3D5&x-bar=a%20b');
  t.equal(res.status, 200);
  t.equal(res.headers['x-foo'], '1');
  t.equal(res.headers['x-bar'], 'a b');
  t.equal(res.headers['keep-alive'], 'timeout=5');
  t.equal(res.headers['connection'], 'x-foo');
  t.same(res.json().headers, { connection: 'x-foo', 'x-foo': '1', 'keep-alive': 'timeout=5', 'x-bar': 'a b' });
  t.equal((await call(demo, 'users', '/headers-out?x-evil=a%0d%0ainjected:1')).status, 400, 'CR/LF refused');
  t.equal((await call(demo, 'users', '/headers-out?content-length=5')).status, 400, 'framing headers refused');
  t.equal((await call(demo, 'users', '/headers-out?bad%20name=1')).status, 400, 'invalid names refused');
});

t.test('HEAD on a GET route answers its status and headers without a body', async (t) => {
  const demo = await startDemo(t);
  const head = await call(demo, 'users', '/users/1', { method: 'HEAD' });
  t.equal(head.status, 200);
  t.equal(head.headers['content-type'], 'application/json');
  t.equal(head.text, '');
  const missing = await call(demo, 'users', '/users/x', { method: 'HEAD' });
  t.equal(missing.status, 404);
  // The connection still works after the bodiless answers.
  t.equal((await call(demo, 'users', '/users/1')).json().id, 1);
});
