import { once } from 'node:events';
import net from 'node:net';
import t from 'tap';
import { request } from 'undici';
import { startDemoUpstreams } from '../../dist/demo/index.js';
import { startGateway } from '../helpers/gateway-process.js';
import { rawRequest } from '../helpers/scripted-upstream.js';

const config = (users: number, log: string) => `
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
log: ${log}
upstreams:
  users: { targets: [http://127.0.0.1:${users}] }
routes:
  - { id: small, match: { path: /small }, upstream: users }
  - { id: missing, match: { path: /status/:code }, upstream: users }
`;

async function send(url: string, paths: string[]): Promise<void> {
  for (const p of paths) {
    const res = await request(url + p);
    await res.body.text();
  }
}

t.test('log.sampling 0 keeps error lines and drops successful ones; level warn still writes access lines', async (t) => {
  const demo = await startDemoUpstreams({ host: '127.0.0.1', ports: { users: 0, orders: 0, slow: 0, flaky: 0 } });
  const gw = await startGateway(config(demo.ports.users, '{ level: warn, access: true, sampling: 0 }'));
  t.teardown(async () => {
    await gw.stop();
    await demo.close();
  });
  await send(gw.url, ['/small', '/small', '/status/503', '/nope']);
  await gw.waitForLog((l) => l.msg === 'request' && l.path === '/nope');
  const lines = gw.logs.filter((l) => l.msg === 'request');
  t.same(lines.map((l) => l.status).sort(), [404, 503], 'only the error answers were logged');
  t.ok(gw.logs.some((l) => l.msg === 'tollgate started'), 'the start line is written at any level');
  t.notOk(gw.logs.some((l) => l.msg === 'worker drained'), 'info chatter is quiet at level warn');
});

t.test('log.access false writes no access lines', async (t) => {
  const demo = await startDemoUpstreams({ host: '127.0.0.1', ports: { users: 0, orders: 0, slow: 0, flaky: 0 } });
  const gw = await startGateway(config(demo.ports.users, '{ level: info, access: false }'));
  t.teardown(async () => {
    await demo.close();
  });
  await send(gw.url, ['/small', '/nope']);
  await gw.stop();
  t.equal(gw.logs.filter((l) => l.msg === 'request').length, 0);
  t.ok(gw.logs.some((l) => l.msg === 'worker drained'), 'other info lines are still written');
});

const FIELDS_CONFIG = (users: number, log: string) => `
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
log: ${log}
upstreams:
  users: { targets: [http://127.0.0.1:${users}] }
  closed: { targets: [http://127.0.0.1:${closedPort}] }
routes:
  - { id: echo, match: { path: /api/echo/* }, upstream: users, rewrite: /echo/* }
  - { id: dead, match: { path: /dead }, upstream: closed }
`;

// A port with nothing listening: the upstream call fails to connect.
let closedPort = 0;

async function closedLoopbackPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  server.close();
  await once(server, 'close');
  return port;
}

const DEFAULT_FIELDS = [
  'time', 'route', 'method', 'path', 'rawPath', 'query', 'host', 'status', 'durationMs', 'upstream',
  'upstreamStatus', 'upstreamMs', 'bytesIn', 'bytesOut', 'remoteAddress', 'userAgent', 'requestId', 'traceparent',
];

t.test('the default access line: client address, raw and normalised path, query, Host, user agent, upstream status and time', async (t) => {
  closedPort = await closedLoopbackPort();
  const demo = await startDemoUpstreams({ host: '127.0.0.1', ports: { users: 0, orders: 0, slow: 0, flaky: 0 } });
  const gw = await startGateway(FIELDS_CONFIG(demo.ports.users, '{ level: info }'));
  t.teardown(async () => {
    await gw.stop();
    await demo.close();
  });
  const proxied = await rawRequest(gw.port, 'POST /api/echo/./a/%7Ex?q=1&b HTTP/1.1\r\nHost: api.example:8080\r\nUser-Agent: probe/1.0\r\n'
    + 'Content-Length: 5\r\n\r\nhello');
  t.equal(proxied.status, 200);
  const line = await gw.waitForLog((l) => l.msg === 'request' && l.route === 'echo');
  t.same(Object.keys(line), ['level', ...DEFAULT_FIELDS.slice(0, 1), 'worker', ...DEFAULT_FIELDS.slice(1), 'msg'], 'the default fields, in order');
  t.match(line, {
    route: 'echo', method: 'POST', path: '/api/echo/a/~x', rawPath: '/api/echo/./a/%7Ex', query: 'q=1&b', host: 'api.example:8080',
    status: 200, upstream: `http://127.0.0.1:${demo.ports.users}`, upstreamStatus: 200, bytesIn: 5, bytesOut: proxied.body.length,
    remoteAddress: '127.0.0.1', userAgent: 'probe/1.0',
  });
  t.type(line.time, 'string');
  t.ok(typeof line.upstreamMs === 'number' && line.upstreamMs > 0 && line.upstreamMs <= (line.durationMs as number), 'upstreamMs is within durationMs');
  t.match(line.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  t.equal(line.requestId, /\r\nx-request-id: ([^\r]+)/i.exec(proxied.head)?.[1]);

  t.equal((await rawRequest(gw.port, 'GET /nope/../missing?z=2 HTTP/1.1\r\nHost: h\r\n\r\n')).status, 404);
  const unrouted = await gw.waitForLog((l) => l.msg === 'request' && l.status === 404);
  t.match(unrouted, { route: null, path: '/missing', rawPath: '/nope/../missing', query: 'z=2', host: 'h', remoteAddress: '127.0.0.1', userAgent: null, upstream: null, upstreamStatus: null, upstreamMs: null, traceparent: null });

  t.equal((await rawRequest(gw.port, 'GET /dead HTTP/1.1\r\nHost: h\r\n\r\n')).status, 502);
  const failed = await gw.waitForLog((l) => l.msg === 'request' && l.route === 'dead');
  t.match(failed, { status: 502, upstream: `http://127.0.0.1:${closedPort}`, upstreamStatus: null });
  t.type(failed.upstreamMs, 'number', 'the time until the upstream call failed');
});

t.test('log.accessFields picks the fields and their order; without "time" the lines carry no timestamp', async (t) => {
  closedPort = await closedLoopbackPort();
  const demo = await startDemoUpstreams({ host: '127.0.0.1', ports: { users: 0, orders: 0, slow: 0, flaky: 0 } });
  const gw = await startGateway(FIELDS_CONFIG(demo.ports.users, '{ accessFields: [status, rawPath, forwardedFor] }'));
  t.teardown(async () => {
    await gw.stop();
    await demo.close();
  });
  const res = await request(gw.url + '/api/echo/x', { headers: { 'x-forwarded-for': '203.0.113.9' } });
  await res.body.text();
  const line = await gw.waitForLog((l) => l.msg === 'request');
  t.same(line, { level: 30, worker: 0, status: 200, rawPath: '/api/echo/x', forwardedFor: '203.0.113.9', msg: 'request' });
  const other = await gw.waitForLog((l) => l.msg === 'tollgate started');
  t.type(other.time, 'string', 'other lines keep their timestamp');
});
