// Slow and idle clients must not starve the others: with 1,000 connections open that send their
// headers a byte at a time (slowloris), send their bodies a byte at a time, or never read their
// answers, ordinary requests on new connections keep succeeding. (How fast they stay is a figure
// of `npm run bench`, never of a test.)
import t from 'tap';
import net from 'node:net';
import { startProxyFixture, type ProxyFixture } from './fixture.js';
import { fetchText } from '../helpers/http-reply.js';
import { sleep } from '../helpers/scripted-upstream.js';

let fx: ProxyFixture;

t.before(async () => {
  fx = await startProxyFixture(() => `
  - { id: users, match: { path: /api/* }, upstream: users, rewrite: /* }
`);
});
t.teardown(() => fx.close());

const CROWD = 1_000;

t.test(`${CROWD} slow or idle connections do not starve ordinary requests`, async (t) => {
  const port = fx.gw.port;
  const sockets: net.Socket[] = [];
  const trickles: { socket: net.Socket; rest: string }[] = [];
  let opened = 0;
  for (let i = 0; i < CROWD; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.on('connect', () => opened++);
    sockets.push(s);
    const kind = i % 3;
    if (kind === 0) trickles.push({ socket: s, rest: `GET /api/small HTTP/1.1\r\nHost: x\r\nX-Slow: ${'z'.repeat(200)}\r\n\r\n` });
    else if (kind === 1) {
      s.write('POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
      trickles.push({ socket: s, rest: 'b'.repeat(1000) });
    } else {
      // Asks for 64 KiB and never reads: the answer waits in the gateway's and the kernel's buffers.
      s.pause();
      s.write('GET /api/bytes/65536 HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(1));
    }
  }
  // One byte per slow connection every 100 ms, for the length of the test (bounded).
  let running = true;
  const ticker = (async () => {
    while (running) {
      for (const tr of trickles) {
        if (tr.rest.length === 0 || tr.socket.destroyed) continue;
        tr.socket.write(tr.rest[0]!);
        tr.rest = tr.rest.slice(1);
      }
      await sleep(100);
    }
  })();
  const until = Date.now() + 5_000;
  while (opened < CROWD && Date.now() < until) await sleep(50);
  t.equal(opened, CROWD, `all ${CROWD} slow connections are open`);

  const results: number[] = [];
  const deadline = Date.now() + 4_000;
  while (Date.now() < deadline && results.length < 200) {
    const batch = await Promise.all(Array.from({ length: 10 }, () => fetchText(`${fx.gw.url}/api/small`).then((r) => r.status, () => 0)));
    results.push(...batch);
  }
  running = false;
  await ticker;
  for (const s of sockets) s.destroy();
  t.ok(results.length >= 50, `ordinary requests were made (${results.length})`);
  t.same(results.filter((s) => s !== 200), [], 'every ordinary request on a new connection succeeded');
});
