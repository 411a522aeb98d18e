import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { startDemoUpstreams, type DemoUpstreams } from '../../dist/demo/index.js';
import { findFreePortForTest } from './free-port.js';

let demo: DemoUpstreams;
let gw: GatewayProcess;
// A hand-written upstream whose misbehaviour each test picks by path.
let seenAborted = false;
let rawUpstream: net.Server;
let nodeUpstream: http.Server;

t.before(async () => {
  demo = await startDemoUpstreams({ host: '127.0.0.1', ports: { users: 0, orders: 0, slow: 0, flaky: 0 } });
  rawUpstream = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', (d) => {
      const path = d.toString('latin1').split(' ')[1];
      if (path === '/short-body') {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n' + 'x'.repeat(100));
        setTimeout(() => s.destroy(), 50);
      } else if (path === '/short-big-body') {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n' + 'x'.repeat(300_000));
        setTimeout(() => s.destroy(), 50);
      } else if (path === '/garbage') {
        s.end('THIS IS NOT HTTP\r\n\r\n');
      }
    });
  });
  nodeUpstream = http.createServer((req, res) => {
    req.on('close', () => {
      if (!res.writableEnded) seenAborted = true;
    });
    setTimeout(() => res.end('late'), 3_000).unref();
  });
  await new Promise<void>((r) => rawUpstream.listen(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => nodeUpstream.listen(0, '127.0.0.1', () => r()));
  const rawPort = (rawUpstream.address() as net.AddressInfo).port;
  const nodePort = (nodeUpstream.address() as net.AddressInfo).port;
  const deadPort = await findFreePortForTest();
  gw = await startGateway(`
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
limits: { maxBodySize: 1kb, chunkedRequests: true }
upstreams:
  slow: { targets: [http://127.0.0.1:${demo.ports.slow}], timeout: { response: 300ms } }
  flaky: { targets: [http://127.0.0.1:${demo.ports.flaky}] }
  users: { targets: [http://127.0.0.1:${demo.ports.users}] }
  dead: { targets: [http://127.0.0.1:${deadPort}] }
  raw: { targets: [http://127.0.0.1:${rawPort}] }
  hang: { targets: [http://127.0.0.1:${nodePort}] }
routes:
  - { id: slow, match: { path: /slow }, upstream: slow }
  - { id: slow-route-timeout, match: { path: /slow-long }, upstream: slow, rewrite: /slow, timeout: 2s }
  - { id: flaky, match: { path: /flaky/* }, upstream: flaky, rewrite: /* }
  - { id: echo, match: { path: /echo }, upstream: users }
  - { id: dead, match: { path: /dead }, upstream: dead }
  - { id: raw, match: { path: /raw/* }, upstream: raw, rewrite: /* }
  - { id: hang, match: { path: /hang }, upstream: hang }
`);
});

t.teardown(async () => {
  await gw.stop();
  await demo.close();
  rawUpstream.close();
  nodeUpstream.closeAllConnections();
  nodeUpstream.close();
});

const problemOf = async (path: string, opts: Parameters<typeof request>[1] = {}) => {
  const res = await request(gw.url + path, opts);
  const text = await res.body.text();
  return { status: res.statusCode, type: res.headers['content-type'], body: text ? JSON.parse(text) as Record<string, unknown> : {} };
};

t.test('an upstream that answers too late is a 504', async (t) => {
  const p = await problemOf('/slow?ms=2000');
  t.equal(p.status, 504);
  t.equal(p.type, 'application/problem+json');
  t.equal(p.body.status, 504);
  t.notMatch(JSON.stringify(p.body), /UND_ERR|undici|timeout error/i, 'no upstream internals leak');
});

t.test('a route timeout overrides the upstream one', async (t) => {
  const res = await request(gw.url + '/slow-long?ms=600');
  t.equal(res.statusCode, 200);
  t.same(await res.body.json(), { waited: 600 });
});

t.test('a refused connection is a 502', async (t) => {
  const p = await problemOf('/dead');
  t.equal(p.status, 502);
  t.equal(p.body.title, 'Bad Gateway');
});

t.test('a reset connection and an invalid response are 502', async (t) => {
  t.equal((await problemOf('/flaky/reset')).status, 502);
  t.equal((await problemOf('/raw/garbage')).status, 502);
});

t.test('upstream 5xx answers pass through unchanged', async (t) => {
  const res = await request(gw.url + '/flaky/fail');
  t.equal(res.statusCode, 500);
  t.match(await res.body.text(), /flaky/);
});

t.test('an upstream that dies mid-body: 502 while nothing was sent, a cut connection after', async (t) => {
  // A small body is gathered before it is written, so its failure can still be answered properly.
  t.equal((await problemOf('/raw/short-body')).status, 502);
  // A large body streams: the status line already went out, so the client must see a cut.
  const res = await request(gw.url + '/raw/short-big-body');
  t.equal(res.statusCode, 200);
  await t.rejects(res.body.arrayBuffer(), 'the client sees a truncated body as an error, not a short success');
});

t.test('a client that goes away aborts the upstream request', async (t) => {
  seenAborted = false;
  const ac = new AbortController();
  const pending = request(gw.url + '/hang', { signal: ac.signal }).catch((e: Error) => e);
  await new Promise((r) => setTimeout(r, 200));
  ac.abort();
  await pending;
  const until = Date.now() + 2_000;
  while (!seenAborted && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  t.ok(seenAborted, 'the upstream saw its request closed before it answered');
});

t.test('a declared body over maxBodySize is a 413 without forwarding', async (t) => {
  const p = await problemOf('/echo', { method: 'POST', body: Buffer.alloc(2048, 'a') });
  t.equal(p.status, 413);
  t.equal(p.body.status, 413);
});

t.test('a chunked body is cut at maxBodySize while streaming, not after buffering', async (t) => {
  const s = net.connect(gw.port, '127.0.0.1');
  let text = '';
  s.on('data', (d) => { text += d.toString(); });
  s.write('POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
  s.write('258\r\n' + 'a'.repeat(600) + '\r\n');
  s.write('258\r\n' + 'b'.repeat(600) + '\r\n');
  // The body is never finished: an answer can only come from the limit tripping mid-stream.
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 2_000);
    s.on('close', () => { clearTimeout(timer); resolve(true); });
  });
  s.destroy();
  t.match(text, /^HTTP\/1\.1 413 /);
  t.ok(closed, 'the connection is closed after the 413');
});

t.test('a body inside the limit is forwarded whole', async (t) => {
  const res = await request(gw.url + '/echo', { method: 'POST', body: Buffer.alloc(900, 'z') });
  const body = await res.body.json() as { bodyLength: number };
  t.equal(body.bodyLength, 900);
});
