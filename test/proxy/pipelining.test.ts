// Pins what a pipelining client sees with either bundled uWS build (README, "Known limitations"):
// a request that arrives while an earlier one on its connection is still being answered
// asynchronously (any proxied request) makes uWS close the connection. The client gets no
// answer at all, the first request is not left half-processed upstream (its upstream request is
// aborted), and the pipelined one never reaches the upstream. Pipelining behind an answer the
// gateway gives at once, and sequential keep-alive requests, work.
import t from 'tap';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { rawExchange } from '../helpers/recording-upstream.js';
import { sleep, startScriptedUpstream, waitFor, type ScriptedUpstream } from '../helpers/scripted-upstream.js';

let up: ScriptedUpstream;
let gw: GatewayProcess;

t.before(async () => {
  up = await startScriptedUpstream();
  gw = await startGateway(`
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
log: { level: warn, access: false }
upstreams:
  up: { targets: ['${up.url}'] }
routes:
  - { id: proxied, match: { path: /api/* }, upstream: up }
  - { id: local, match: { path: /status }, respond: { status: 200, json: { ok: true } } }
`);
});
t.teardown(async () => {
  await gw.stop();
  await up.close();
});

const answers = (text: string): string[] => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]!);

t.test('a request pipelined behind a proxied one: connection closed, no answer, the first aborted upstream', async (t) => {
  up.on('/api/warm', (_req, io) => io.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nwarm'));
  up.on('/api/slow', async (_req, io) => {
    await io.sleep(500);
    io.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow');
  });
  // A warm keep-alive upstream connection: the first request is written upstream at once.
  const warm = await rawExchange(gw.port, 'GET /api/warm HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 2_000);
  t.same(answers(warm.text), ['200']);
  const { text, closed } = await rawExchange(gw.port,
    'GET /api/slow HTTP/1.1\r\nHost: x\r\n\r\nGET /api/second HTTP/1.1\r\nHost: x\r\n\r\n', 2_000);
  t.ok(closed, 'uWS closed the client connection');
  t.same(answers(text), [], 'no answer, not even to the first request');
  const slow = up.requestsFor('/api/slow');
  t.equal(slow.length, 1, 'the first request reached the upstream');
  t.ok(await waitFor(() => slow[0]!.conn.peerClosed, 400), 'and the gateway aborted it: closed that upstream connection before the answer');
  t.same(up.requestsFor('/api/second'), [], 'the pipelined request never reached the upstream');
  await sleep(200);
  const next = await rawExchange(gw.port, 'GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 2_000);
  t.same(answers(next.text), ['200'], 'the gateway goes on serving');
});

t.test('pipelining behind answers the gateway gives at once works', async (t) => {
  const { text } = await rawExchange(gw.port,
    'GET /status HTTP/1.1\r\nHost: x\r\n\r\nGET /status HTTP/1.1\r\nHost: x\r\n\r\nGET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 2_000);
  t.same(answers(text), ['200', '200', '200']);
});

t.test('sequential requests on one keep-alive connection are all proxied', async (t) => {
  up.on('/api/fast', (_req, io) => io.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfast'));
  const net = await import('node:net');
  const s = net.connect(gw.port, '127.0.0.1');
  let got = '';
  s.on('data', (d) => (got += d.toString('latin1')));
  for (let i = 0; i < 3; i++) {
    const before = answers(got).length;
    s.write('GET /api/fast HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => answers(got).length > before, 2_000);
  }
  s.destroy();
  t.same(answers(got), ['200', '200', '200']);
});
