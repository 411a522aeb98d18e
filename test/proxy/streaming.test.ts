// Streamed answers through the gateway: server-sent events and chunked bodies reach the client
// as the upstream sends them (lock-step: the upstream sends event N+1 only once the client said
// it has event N, through a side channel to the upstream, so a gateway that buffered would stall
// the test instead of passing it), the route's timeout covers only the wait for the head, and the
// upstream's timeout.idle cuts a body that stalls.
import t from 'tap';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { oneUpstreamYaml, startGateway } from '../helpers/gateway-process.js';

interface LockStepUpstream {
  url: string;
  /** Events the upstream has sent on its open stream. */
  sent: () => number;
  close(): Promise<void>;
}

/**
 * GET /events?n=N&type=T answers T (text/event-stream or application/octet-stream, chunked) and
 * sends event 0; POST /ack/K (the side channel) sends event K+1, or ends the stream after N.
 * GET /paced?n=N&gap=MS sends N chunks MS apart (a stream slower than the route's timeout);
 * GET /stall sends one chunk, then nothing.
 */
async function startUpstream(): Promise<LockStepUpstream> {
  let stream: ServerResponse | null = null;
  let total = 0;
  let sent = 0;
  const event = (k: number): string => `id: ${k}\ndata: event ${k}\n\n`;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/events') {
      total = Number(url.searchParams.get('n'));
      sent = 1;
      stream = res;
      res.writeHead(200, { 'content-type': url.searchParams.get('type') ?? 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(event(0));
    } else if (url.pathname.startsWith('/ack/')) {
      const k = Number(url.pathname.slice(5));
      res.end('ok');
      if (stream === null) return;
      if (k + 1 < total) {
        sent++;
        stream.write(event(k + 1));
      } else stream.end();
    } else if (url.pathname === '/paced') {
      const n = Number(url.searchParams.get('n'));
      const gap = Number(url.searchParams.get('gap'));
      res.writeHead(200, { 'content-type': 'text/plain' });
      let i = 0;
      const tick = (): void => {
        res.write(`chunk ${i}\n`);
        if (++i === n) res.end();
        else setTimeout(tick, gap);
      };
      tick();
    } else if (url.pathname === '/stall') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first chunk\n');
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    sent: () => sent,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

t.test('streamed answers', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(oneUpstreamYaml(up.url, {
    upstream: 'timeout: { response: 5s, idle: 700ms }',
    routes: `
  - { id: stream, match: { path: /events }, upstream: rec }
  - { id: paced, match: { path: /paced }, upstream: rec, timeout: 300ms }
  - { id: stall, match: { path: /stall }, upstream: rec, timeout: 10s }`,
  }));
  t.teardown(async () => {
    await gw.stop();
    await up.close();
  });

  for (const type of ['text/event-stream', 'application/octet-stream']) {
    t.test(`${type}: each event reaches the client before the upstream sends the next`, async (t) => {
      const N = 25;
      const res = await request(`${gw.url}/events?n=${N}&type=${encodeURIComponent(type)}`);
      t.equal(res.statusCode, 200);
      t.equal(res.headers['content-type'], type);
      let buffered = '';
      let next = 0;
      for await (const chunk of res.body) {
        buffered += (chunk as Buffer).toString();
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          t.equal(block, `id: ${next}\ndata: event ${next}`, `event ${next} arrived whole and in order`);
          t.equal(up.sent(), next + 1, 'and the upstream has not sent the next one yet');
          // The side channel, straight to the upstream: only now does it send event next+1.
          const ack = await request(`${up.url}/ack/${next}`, { method: 'POST' });
          await ack.body.dump();
          next++;
        }
      }
      t.equal(next, N, 'every event arrived, then the stream ended');
    });
  }

  t.test("a stream longer than the route's timeout, with pauses longer than it, is not cut", async (t) => {
    // Route timeout 300ms covers the head only; chunks come 500ms apart (within idle: 700ms).
    const res = await request(`${gw.url}/paced?n=5&gap=500`);
    t.equal(res.statusCode, 200);
    t.equal(await res.body.text(), [0, 1, 2, 3, 4].map((i) => `chunk ${i}\n`).join(''));
  });

  t.test('a body that stalls longer than timeout.idle is cut', async (t) => {
    const started = Date.now();
    const res = await request(`${gw.url}/stall`);
    t.equal(res.statusCode, 200, 'the head came at once');
    let received = '';
    const error = await (async () => {
      try {
        for await (const chunk of res.body) received += (chunk as Buffer).toString();
        return null;
      } catch (err) {
        return err as Error;
      }
    })();
    t.equal(received, 'first chunk\n', 'what came before the stall was delivered');
    t.ok(error !== null, `the answer was cut, not ended as if complete (${String(error)})`);
    // Which timer cut it: timeout.idle (700ms), not the route's 10s.
    const elapsed = Date.now() - started;
    t.ok(elapsed < 5_000, 'cut by the idle timeout, not the route timeout');
    // The connection's one timer runs at the route timeout's period (300ms) and checks the idle
    // limit when it fires (H1Connection.arm): the cut comes at the idle limit, not at a period.
    t.ok(elapsed >= 650, `not before timeout.idle (${elapsed} ms)`);
  });
});
