// SIGTERM and SIGINT (SPEC §6): stop accepting, finish in-flight requests within
// shutdownTimeout, exit 0.
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
