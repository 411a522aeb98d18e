// Pins what a pipelining client sees with either bundled uWS build (README, "Known limitations"):
// a request that arrives while an earlier one on its connection is still being answered
// asynchronously (any proxied request) makes uWS close the connection, and the client gets no
// answer at all. Requests that come in one read (as pipelining clients write them) never reach
// the upstream: the gateway sends a proxied request only once uWS has parsed the whole read. One
// that comes later finds the first upstream, which is then aborted, not left half-processed.
// Pipelining behind an answer the gateway gives at once, and sequential keep-alive requests, work.
import t from 'tap';
import { oneUpstreamYaml, startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { rawExchange } from '../helpers/recording-upstream.js';
import { sleep, startScriptedUpstream, waitFor, type ScriptedUpstream } from '../helpers/scripted-upstream.js';

let up: ScriptedUpstream;
let gw: GatewayProcess;

t.before(async () => {
  up = await startScriptedUpstream();
  gw = await startGateway(oneUpstreamYaml(up.url, {
    routes: '  - { id: proxied, match: { path: /api/* }, upstream: rec }\n  - { id: local, match: { path: /status }, respond: { status: 200, json: { ok: true } } }',
  }));
});
t.teardown(async () => {
  await gw.stop();
  await up.close();
});

const answers = (text: string): string[] => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]!);

t.test('requests pipelined behind a proxied one in one read: connection closed, no answer, none reaches the upstream', async (t) => {
  up.on('/api/warm', (_req, io) => io.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nwarm'));
  up.on('/api/first', (_req, io) => io.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst'));
  // A warm keep-alive upstream connection: the first request would be written upstream at once.
  const warm = await rawExchange(gw.port, 'GET /api/warm HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 2_000);
  t.same(answers(warm.text), ['200']);
  const { text, closed } = await rawExchange(gw.port,
    'GET /api/first HTTP/1.1\r\nHost: x\r\n\r\nGET /api/second HTTP/1.1\r\nHost: x\r\n\r\n', 2_000);
  t.ok(closed, 'uWS closed the client connection');
  t.same(answers(text), [], 'no answer, not even to the first request');
  await sleep(200);
  t.same(up.requestsFor('/api/first'), [], 'the first request never reached the upstream: its answer could not be delivered');
  t.same(up.requestsFor('/api/second'), [], 'nor did the pipelined one');
  const next = await rawExchange(gw.port, 'GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 2_000);
  t.same(answers(next.text), ['200'], 'the gateway goes on serving');
});

t.test('a request pipelined in a later read, while the first is upstream: closed, the first aborted upstream', async (t) => {
  up.on('/api/slow', async (_req, io) => {
    await io.sleep(500);
    io.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow');
  });
  const net = await import('node:net');
  const s = net.connect(gw.port, '127.0.0.1');
  let got = '';
  let closed = false;
  s.on('data', (d) => (got += d.toString('latin1')));
  s.on('error', () => {});
  s.on('close', () => { closed = true; });
  s.write('GET /api/slow HTTP/1.1\r\nHost: x\r\n\r\n');
  t.ok(await waitFor(() => up.requestsFor('/api/slow').length === 1, 2_000), 'the first request reached the upstream');
  s.write('GET /api/later HTTP/1.1\r\nHost: x\r\n\r\n');
  t.ok(await waitFor(() => closed, 2_000), 'uWS closed the client connection');
  t.same(answers(got), [], 'no answer');
  const slow = up.requestsFor('/api/slow');
  t.ok(await waitFor(() => slow[0]!.conn.peerClosed, 400), 'the gateway aborted it: closed that upstream connection before the answer');
  t.same(up.requestsFor('/api/later'), [], 'the pipelined request never reached the upstream');
  s.destroy();
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
