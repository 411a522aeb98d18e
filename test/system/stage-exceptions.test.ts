// An exception thrown in any stage, synchronously or from one of its callbacks (upstream-call
// handlers, request body chunks, timers, abort and drain callbacks), ends that request only: a
// 500 problem answer when nothing was sent yet, a cut connection once the answer had begun, an
// error logged with the request id, and never a dead worker. The throws come from the test-only
// fault stage (x-tollgate-fault: throw-...), which hands the chain an Exchange that throws at the
// chosen point, so the exception climbs through the stage's own callback.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { Client, type Dispatcher } from 'undici';
import type { GatewayProcess } from '../helpers/gateway-process.js';
import { findFreePortForTest } from '../proxy/free-port.js';
import { configHead, fetchOnNewConnection, fetchText, launch, poll, startUpstreams, waitForLogSince, type LogLine } from './fixtures/system-fixture.js';

const FAILED = 'request failed: exception in the gateway';
const BIG = 16 * 1024 * 1024;

async function startFaultyGateway(t: Test): Promise<GatewayProcess> {
  const demo = await startUpstreams(t);
  const deadPort = await findFreePortForTest();
  const yaml = `${configHead(demo)}  down: { targets: [http://127.0.0.1:${deadPort}] }
limits: { requestTimeout: 500ms }
log: { access: false }
routes:
  - { id: echo, match: { path: /echo, methods: [GET, HEAD, POST] }, upstream: users }
  - { id: bytes, match: { path: /bytes/:n, methods: [GET] }, upstream: users }
  - { id: slow, match: { path: /slow, methods: [GET] }, upstream: slow }
  - { id: down, match: { path: /down, methods: [GET] }, upstream: down }
  - { id: static, match: { path: /static, methods: [GET] }, respond: { status: 200, json: { ok: true } } }
`;
  return launch(t, yaml, { workers: 1, env: { TOLLGATE_FAULT_INJECTION: '1' } });
}

interface Sent {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request on a connection of its own; rejects when the connection is cut before the body ends. */
async function send(url: string, opts: { method?: Dispatcher.HttpMethod; body?: string; headers: Record<string, string> }): Promise<Sent> {
  const target = new URL(url);
  const client = new Client(target.origin, { pipelining: 1 });
  try {
    const res = await client.request({
      path: target.pathname + target.search, method: opts.method ?? 'GET', body: opts.body, headers: opts.headers,
      headersTimeout: 5_000, bodyTimeout: 5_000,
    });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  } finally {
    await client.destroy();
  }
}

/** Opens a raw connection, writes `head`, and resolves with everything read until the gateway closes it. */
function rawExchange(port: number, head: string, opts: { pauseMs?: number } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => {}); // a reset ends it as well: 'close' follows
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error('the gateway neither answered nor closed within 10 s'));
    });
    socket.write(head);
    if (opts.pauseMs !== undefined) {
      // A reader that stops reading: the gateway meets backpressure, and drains once it reads again.
      socket.pause();
      setTimeout(() => socket.resume(), opts.pauseMs);
    }
  });
}

/**
 * The failure was logged once, as an error with the request id and where it was caught; the
 * worker is still the same one (nothing crashed or was replaced), it serves, and it counts no
 * request as still in flight.
 */
async function assertContained(t: Test, gw: GatewayProcess, from: number, requestId: string, fault: string, where: string): Promise<LogLine> {
  const logged = await waitForLogSince(gw, from, (l) => l.msg === FAILED && l.requestId === requestId, 5_000).catch(() => null);
  t.ok(logged !== null, `an error is logged with the request id ${requestId}`);
  if (logged !== null) {
    t.equal(logged.level, 50, 'at level error');
    t.match((logged.err as { message?: string }).message, `fault injection: ${fault}`, 'with the exception');
    t.equal(logged.where, where, 'and where it was caught');
  }
  const crashes = gw.logs.slice(from).filter((l) => l.msg === 'worker crashed' || String(l.msg).startsWith('worker exited unexpectedly'));
  t.same(crashes.map((l) => l.msg), [], 'no worker crashed');
  t.equal((await fetchOnNewConnection(`${gw.url}/static`)).status, 200, 'the worker serves the next request');
  const idle = await poll(async () => (await fetchText(`${gw.adminUrl}/ready`)).json().workers[0].inFlight === 0, 3_000);
  t.ok(idle, 'and counts nothing in flight: the failed request finished');
  return logged ?? {};
}

function expect500(t: Test, reply: Sent, requestId: string): void {
  t.equal(reply.status, 500, 'answered 500');
  t.equal(reply.headers['content-type'], 'application/problem+json');
  const problem = JSON.parse(reply.text);
  t.equal(problem.status, 500);
  t.equal(problem.instance, requestId, 'the problem names the request id');
  t.notMatch(reply.text, /fault injection/, 'the exception is not leaked to the client');
}

t.test('exceptions in stages and their callbacks', async (t) => {
  const gw = await startFaultyGateway(t);
  let n = 0;
  const id = (name: string): string => `stage-exception-${name}-${++n}`;

  t.test('thrown synchronously in the chain: 500', async (t) => {
    const from = gw.logs.length;
    const requestId = id('sync');
    const reply = await send(`${gw.url}/echo`, { headers: { 'x-tollgate-fault': 'throw-in-stage', 'x-request-id': requestId } });
    expect500(t, reply, requestId);
    await assertContained(t, gw, from, requestId, 'throw-in-stage', 'request handler');
  });

  t.test('thrown in an upstream-call handler (the answer from the upstream): 500', async (t) => {
    const from = gw.logs.length;
    const requestId = id('upstream-answer');
    const reply = await send(`${gw.url}/echo`, { headers: { 'x-tollgate-fault': 'throw-on-answer', 'x-request-id': requestId } });
    expect500(t, reply, requestId);
    await assertContained(t, gw, from, requestId, 'throw-on-answer', 'upstream response end handler');
  });

  t.test('thrown in an upstream-call handler (the head of an answer to HEAD): 500', async (t) => {
    const from = gw.logs.length;
    const requestId = id('upstream-head');
    const reply = await send(`${gw.url}/echo`, { method: 'HEAD', headers: { 'x-tollgate-fault': 'throw-on-answer', 'x-request-id': requestId } });
    t.equal(reply.status, 500, 'answered 500');
    await assertContained(t, gw, from, requestId, 'throw-on-answer', 'upstream response head handler');
  });

  t.test('thrown in an upstream-call handler (an upstream that cannot be reached): 500, not 502', async (t) => {
    const from = gw.logs.length;
    const requestId = id('upstream-error');
    const reply = await send(`${gw.url}/down`, { headers: { 'x-tollgate-fault': 'throw-on-answer', 'x-request-id': requestId } });
    expect500(t, reply, requestId);
    await assertContained(t, gw, from, requestId, 'throw-on-answer', 'upstream error handler');
  });

  t.test('thrown in a request body callback: 500', async (t) => {
    const from = gw.logs.length;
    const requestId = id('body-read');
    const reply = await send(`${gw.url}/echo`, {
      method: 'POST', body: 'a body of a few bytes', headers: { 'x-tollgate-fault': 'throw-in-body-read', 'x-request-id': requestId },
    });
    expect500(t, reply, requestId);
    await assertContained(t, gw, from, requestId, 'throw-in-body-read', 'request body callback');
  });

  t.test('thrown in a timer (the request body timeout of a stalled upload): 500', async (t) => {
    const from = gw.logs.length;
    const requestId = id('timer');
    const head = `POST /echo HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\nx-tollgate-fault: throw-on-answer\r\nx-request-id: ${requestId}\r\n\r\nten bytes.`;
    const answer = (await rawExchange(gw.port, head)).toString('latin1');
    t.match(answer, /^HTTP\/1\.1 500 /, 'answered 500 when the timer fires');
    t.match(answer, new RegExp(`"instance":"${requestId}"`), 'the problem names the request id');
    await assertContained(t, gw, from, requestId, 'throw-on-answer', 'request body timer');
  });

  t.test('thrown once the answer has begun: the connection is cut', async (t) => {
    const from = gw.logs.length;
    const requestId = id('mid-body');
    const head = `GET /bytes/${BIG} HTTP/1.1\r\nHost: gw\r\nx-tollgate-fault: throw-mid-body\r\nx-request-id: ${requestId}\r\n\r\n`;
    const answer = await rawExchange(gw.port, head);
    t.match(answer.subarray(0, 100).toString('latin1'), /^HTTP\/1\.1 200 /, 'the head had gone out');
    t.ok(answer.length < BIG, `the body is cut short (${answer.length} of ${BIG} bytes)`);
    await assertContained(t, gw, from, requestId, 'throw-mid-body', 'upstream response body handler');
  });

  t.test('thrown in a drain callback (a slow reader): the connection is cut', async (t) => {
    const from = gw.logs.length;
    const requestId = id('drain');
    const head = `GET /bytes/${BIG} HTTP/1.1\r\nHost: gw\r\nx-tollgate-fault: throw-on-drain\r\nx-request-id: ${requestId}\r\n\r\n`;
    const answer = await rawExchange(gw.port, head, { pauseMs: 500 });
    t.match(answer.subarray(0, 100).toString('latin1'), /^HTTP\/1\.1 200 /, 'the head had gone out');
    t.ok(answer.length < BIG, `the body is cut short (${answer.length} of ${BIG} bytes)`);
    await assertContained(t, gw, from, requestId, 'throw-on-drain', 'drain callback');
  });

  t.test('thrown in an abort callback (the client left): logged, nothing to answer', async (t) => {
    const from = gw.logs.length;
    const requestId = id('abort');
    const head = `GET /slow?ms=3000 HTTP/1.1\r\nHost: gw\r\nx-tollgate-fault: throw-on-abort\r\nx-request-id: ${requestId}\r\n\r\n`;
    const socket = net.connect(gw.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(head);
    await sleep(200);
    socket.destroy();
    await assertContained(t, gw, from, requestId, 'throw-on-abort', 'abort callback');
  });

  t.equal(gw.child.exitCode, null, 'the gateway is still running');
});
