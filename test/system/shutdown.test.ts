// SIGTERM and SIGINT (SPEC §6): stop accepting, finish in-flight requests within
// shutdownTimeout, exit 0.
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import t, { type Test } from 'tap';
import type { GatewayProcess } from '../helpers/gateway-process.js';
import { configHead, fetchOnNewConnection, fetchText, launch, poll, startUpstreams, type Reply } from './fixtures/system-fixture.js';

function config(head: string, shutdownTimeout = ''): string {
  return `${head}${shutdownTimeout === '' ? '' : `shutdownTimeout: ${shutdownTimeout}\n`}routes:
  - id: slow
    match: { path: /slow, methods: [GET] }
    upstream: slow
  - id: drip
    match: { path: /drip, methods: [GET] }
    upstream: slow
`;
}

/** Resolves with the connect error code, or 'connected' when the port still accepts. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

async function inFlight(gw: GatewayProcess): Promise<number> {
  const ready = (await fetchText(`${gw.adminUrl}/ready`)).json() as { workers: { inFlight: number }[] };
  return ready.workers.reduce((sum, w) => sum + w.inFlight, 0);
}

/** Sends a slow request and resolves once the gateway counts it in flight (wrapped: an async function would await it). */
async function slowRequestInFlight(t: Test, gw: GatewayProcess, ms: number): Promise<{ reply: Promise<Reply | Error> }> {
  const reply = fetchOnNewConnection(`${gw.url}/slow?ms=${ms}`, { timeoutMs: 10_000 }).catch((err: Error) => err);
  t.ok(await poll(async () => (await inFlight(gw)) === 1, 2_000), 'the slow request is in flight');
  return { reply };
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal} finishes the in-flight request, refuses new connections and exits 0`, async (t) => {
    const demo = await startUpstreams(t);
    const gw = await launch(t, config(configHead(demo)), { workers: 2 });
    const slow = (await slowRequestInFlight(t, gw, 800)).reply;
    let slowDone = false;
    void slow.then(() => { slowDone = true; });

    const signalledAt = performance.now();
    gw.child.kill(signal);
    let refusedWhileDraining = false;
    await poll(async () => {
      const result = await tryConnect(gw.port);
      refusedWhileDraining = result === 'ECONNREFUSED' && !slowDone;
      return result !== 'connected';
    }, 700, 10);
    t.ok(refusedWhileDraining, 'new connections are refused while the slow request is still running');

    const reply = await slow;
    t.notOk(reply instanceof Error, `the in-flight request completed (${reply instanceof Error ? reply.message : ''})`);
    if (!(reply instanceof Error)) {
      t.equal(reply.status, 200);
      t.same(reply.json(), { waited: 800 });
    }
    const code = await gw.exited;
    const tookMs = performance.now() - signalledAt;
    t.equal(code, 0, 'exit code 0');
    t.ok(tookMs < 4_000, `exited ${Math.round(tookMs)} ms after ${signal}`);
    t.equal(await tryConnect(gw.port), 'ECONNREFUSED', 'nothing listens after the exit');
    t.ok(gw.logs.some((l) => l.msg === 'stopped'), 'the supervisor logged its stop');
  });
}

t.test('shutdownTimeout cuts a request that outlives it and still exits 0', async (t) => {
  const demo = await startUpstreams(t);
  const gw = await launch(t, config(configHead(demo), '300ms'), { workers: 2 });
  const slow = (await slowRequestInFlight(t, gw, 5_000)).reply;

  const signalledAt = performance.now();
  gw.child.kill('SIGTERM');
  const code = await gw.exited;
  const tookMs = performance.now() - signalledAt;
  t.equal(code, 0, 'exit code 0');
  t.ok(tookMs < 2_500, `exited ${Math.round(tookMs)} ms after SIGTERM, well before the 5 s request`);
  t.ok(tookMs >= 250, 'after waiting about shutdownTimeout for the request');
  const reply = await slow;
  t.ok(reply instanceof Error || reply.status !== 200, 'the slow request was cut');
  t.ok(performance.now() - signalledAt < 4_000, 'the client learnt it at once, not at its own timeout');
});

interface StrictRead {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Node's parser saw the whole message (the chunked terminator). */
  complete: boolean;
  error: string;
  /** The connection closed within 3 s of the answer ending. */
  closedAfter: boolean;
}

/** GETs `url` with Node's http client (a strict HTTP/1.1 parser); calls `onFirstByte` at the first body byte. */
function strictGet(url: string, onFirstByte: () => void): Promise<StrictRead> {
  return new Promise((resolve) => {
    const out: StrictRead = { status: 0, headers: {}, body: Buffer.alloc(0), complete: false, error: '', closedAfter: false };
    const parts: Buffer[] = [];
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      out.body = Buffer.concat(parts);
      resolve(out);
    };
    const req = http.get(url, { agent: new http.Agent({ keepAlive: true }), timeout: 8_000 }, (res) => {
      out.status = res.statusCode ?? 0;
      out.headers = res.headers;
      res.on('data', (d: Buffer) => {
        if (parts.length === 0) onFirstByte();
        parts.push(d);
      });
      res.on('end', () => {
        out.complete = res.complete;
        const socket = req.socket;
        if (socket === null || socket.destroyed) {
          out.closedAfter = true;
          settle();
          return;
        }
        const timer = setTimeout(settle, 3_000);
        socket.once('close', () => {
          clearTimeout(timer);
          out.closedAfter = true;
          settle();
        });
      });
      res.on('error', (err) => {
        out.error = err.message;
        settle();
      });
    });
    req.on('error', (err) => {
      out.error ||= `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`;
      settle();
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

t.test('SIGTERM during a chunked answer: the answer ends well-formed and whole, then the connection closes', async (t) => {
  const demo = await startUpstreams(t);
  const gw = await launch(t, config(configHead(demo)), { workers: 1 });
  const CHUNKS = 8;
  const SIZE = 100;
  // The drip has no Content-Length: the gateway streams it on with chunked framing.
  const read = await strictGet(`${gw.url}/drip?chunks=${CHUNKS}&interval=150&size=${SIZE}`, () => gw.child.kill('SIGTERM'));
  t.equal(read.error, '', `the strict client parsed the answer without an error (${read.error})`);
  t.equal(read.status, 200);
  t.equal(read.headers['transfer-encoding'], 'chunked', 'a chunked answer');
  t.ok(read.complete, 'the chunked terminator arrived');
  t.equal(read.body.length, CHUNKS * SIZE, 'every chunk arrived');
  t.notOk(read.body.includes('onnection'), 'no header text inside the body');
  t.ok(read.closedAfter, 'the gateway closed the connection after the answer');
  t.equal(await gw.exited, 0, 'exit code 0');
});
