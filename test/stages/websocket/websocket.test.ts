// Route `websocket` against a real gateway (one worker) and a real ws upstream, with ws clients.
import t from 'tap';
import { oneUpstreamYaml, startGateway } from '../../helpers/gateway-process.js';
import { connect } from './ws-client.js';
import { startWsUpstream } from './ws-upstream.js';

const ROUTES = `
  - id: live
    match: { path: /ws/* }
    upstream: rec
    websocket: { idleTimeout: 1500ms, maxPayloadLength: 64kb, maxBackpressure: 256kb }
  - id: guarded
    match: { path: /private/* }
    upstream: rec
    rewrite: /ws/*
    auth: [apiKey]
    websocket: true
  - id: plain
    match: { path: /plain/* }
    upstream: rec
    rewrite: /ws/*`;
const EXTRA = 'auth: { apiKey: { header: x-api-key } }\nconsumers: { acme: { apiKeys: ["acme-key-0123456789abcdef"] } }';

t.test('websocket routes', async (t) => {
  const up = await startWsUpstream();
  t.teardown(() => up.close());
  const gw = await startGateway(oneUpstreamYaml(up.url, { extra: EXTRA, routes: ROUTES }));
  t.teardown(() => gw.stop());
  const wsUrl = `ws://127.0.0.1:${gw.port}`;

  t.test('text and binary echo in order, the protocol negotiated, request headers forwarded', async (t) => {
    const c = await connect(`${wsUrl}/ws/echo?room=1`, { protocols: ['chat.v1', 'chat.v2'], headers: { 'x-request-id': 'ws-test-1' } });
    t.equal(c.ws.protocol, 'chat.v2', "the upstream's choice of protocol reaches the client");
    const conn = up.connections.at(-1)!;
    t.equal(conn.path, '/ws/echo?room=1', 'path and query pass through');
    t.equal(conn.headers['x-request-id'], 'ws-test-1');
    t.equal(conn.headers['x-forwarded-for'], '127.0.0.1');
    t.equal(conn.headers['sec-websocket-protocol'], 'chat.v1,chat.v2', 'the offered protocols go upstream');
    for (let i = 0; i < 20; i++) {
      if (i % 2 === 0) c.ws.send(`text ${i}`);
      else c.ws.send(Buffer.from([i, 0, 255, i]), { binary: true });
    }
    for (let i = 0; i < 20; i++) {
      const m = await c.next();
      if (i % 2 === 0) t.same([m.binary, m.data.toString()], [false, `text ${i}`]);
      else t.same([m.binary, [...m.data]], [true, [i, 0, 255, i]]);
    }
    c.ws.close(4000, 'client says bye');
    t.same(await conn.closed, { code: 4000, reason: 'client says bye' }, "the client's close code and reason reach the upstream");
    t.equal((await c.closed).code, 4000);
  });

  t.test("the upstream's close code and reason reach the client", async (t) => {
    const c = await connect(`${wsUrl}/ws/close/4321`);
    t.same(await c.closed, { code: 4321, reason: 'upstream says bye' });
  });

  t.test('an upstream that goes away without a close frame: the client gets 1014', async (t) => {
    const c = await connect(`${wsUrl}/ws/echo`);
    up.connections.at(-1)!.socket.terminate();
    t.equal((await c.closed).code, 1014);
  });

  t.test('pings are answered by the gateway, not relayed', async (t) => {
    const c = await connect(`${wsUrl}/ws/echo`);
    const conn = up.connections.at(-1)!;
    const pong = new Promise<string>((resolve) => c.ws.once('pong', (d: Buffer) => resolve(d.toString())));
    c.ws.ping('are you there');
    t.equal(await pong, 'are you there');
    c.ws.send('after ping');
    t.equal((await c.next()).data.toString(), 'after ping');
    t.equal(conn.pings, 0, 'the upstream saw no ping');
    c.ws.close(1000);
    await c.closed;
  });

  t.test('a message over maxPayloadLength closes both sides with 1009', async (t) => {
    const c = await connect(`${wsUrl}/ws/echo`);
    const conn = up.connections.at(-1)!;
    c.ws.send(Buffer.alloc(65 * 1024), { binary: true });
    t.equal((await c.closed).code, 1009);
    t.equal((await conn.closed).code, 1009);
  });

  t.test('idleTimeout closes a quiet WebSocket with 1001 on both sides', async (t) => {
    const c = await connect(`${wsUrl}/ws/echo`);
    const conn = up.connections.at(-1)!;
    t.same(await c.closed, { code: 1001, reason: 'idle timeout' });
    t.equal((await conn.closed).code, 1001);
  });

  t.test('a slow reader: the upstream is paused, nothing is lost or reordered', async (t) => {
    const COUNT = 320;
    const SIZE = 64 * 1024; // 20 MiB in all: more than the loopback socket buffers on the way hold
    const c = await connect(`${wsUrl}/ws/flood/${COUNT}/${SIZE}`);
    c.ws.pause(); // the client reads nothing for now
    const conn = up.connections.at(-1)!;
    // The upstream queued everything at once; with the gateway holding at most maxBackpressure
    // (256 KiB) plus what one socket read brings, most of it stays in the upstream's own queue.
    let held = 0;
    for (let i = 0; i < 100 && held === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const now = conn.socket.bufferedAmount;
      const before = now;
      await new Promise((r) => setTimeout(r, 50));
      if (now > 8 * 1024 * 1024 && conn.socket.bufferedAmount === before) held = now;
    }
    t.ok(held > 8 * 1024 * 1024, `the upstream's writes back up while the client does not read (${held} bytes held by the upstream)`);
    t.equal(c.messages.length, 0);
    c.ws.resume();
    for (let i = 0; i < COUNT; i++) {
      const m = await c.next();
      if (m.data.length !== SIZE || m.data.readUInt32BE(0) !== i || m.data[SIZE - 1] !== (i & 0xff)) {
        t.fail(`message ${i} arrived as ${m.data.readUInt32BE(0)} (${m.data.length} bytes)`);
        return;
      }
    }
    t.pass(`all ${COUNT} messages of ${SIZE} bytes arrived whole and in order`);
    t.equal(conn.socket.bufferedAmount, 0);
    c.ws.close(1000);
    await c.closed;
  });

  t.test('an upstream that does not read: the client is closed with 1013 rather than buffered without bound', async (t) => {
    const c = await connect(`${wsUrl}/ws/deaf`);
    const conn = up.connections.at(-1)!;
    let sent = 0;
    // 60 KiB messages until the gateway gives up: the loopback socket buffers take some MiB first,
    // then more than maxBackpressure (256 KiB) waits in the gateway's queue for the upstream.
    while (c.ws.readyState === c.ws.OPEN && sent < 2000) {
      await new Promise<void>((resolve) => c.ws.send(Buffer.alloc(60 * 1024), { binary: true }, () => resolve()));
      sent++;
    }
    t.ok(sent < 2000, `the gateway closed the client after ${sent} messages`);
    t.same(await c.closed, { code: 1013, reason: 'upstream is not keeping up' });
    conn.socket.resume();
    t.equal((await conn.closed).code, 1013, 'the upstream is told too');
  });

  t.test('auth refuses the upgrade with 401 before any upgrade; with a key it passes', async (t) => {
    const before = up.connections.length;
    const err = await connect(`${wsUrl}/private/echo`).then(() => null, (e: Error & { status?: number; body?: string; headers?: Record<string, string> }) => e);
    t.equal(err?.status, 401);
    t.match(err?.headers?.['content-type'], /application\/problem\+json/);
    t.equal(up.connections.length, before, 'the upstream was not contacted');
    const c = await connect(`${wsUrl}/private/echo`, { headers: { 'x-api-key': 'acme-key-0123456789abcdef' } });
    t.equal(up.connections.at(-1)!.headers['x-consumer-id'], 'acme');
    c.ws.send('hello');
    t.equal((await c.next()).data.toString(), 'hello');
    c.ws.close(1000);
    await c.closed;
  });

  t.test('plain requests on a websocket route are proxied; an upgrade on a route without websocket is a plain request', async (t) => {
    const res = await fetch(`${gw.url}/ws/echo`);
    t.equal(res.status, 200);
    t.equal(await res.text(), 'plain');
    const err = await connect(`${wsUrl}/plain/echo`).then(() => null, (e: Error & { status?: number }) => e);
    t.equal(err?.status, 200, 'no upgrade: the upstream answered the GET as a plain request');
  });

  t.test('/routes and /metrics count open WebSockets per route', async (t) => {
    const a = await connect(`${wsUrl}/ws/echo`);
    const b = await connect(`${wsUrl}/ws/echo`);
    const count = async (): Promise<number> => {
      await fetch(`${gw.adminUrl}/metrics`); // asks every worker for a fresh push
      const routes = await (await fetch(`${gw.adminUrl}/routes`)).json() as { routes?: { id: string; websockets?: number }[] } | { id: string; websockets?: number }[];
      const list = Array.isArray(routes) ? routes : routes.routes ?? [];
      return list.find((r) => r.id === 'live')?.websockets ?? -1;
    };
    t.equal(await count(), 2);
    const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    t.match(text, /tollgate_websockets_open\{route="live"\} 2/);
    a.ws.close(1000);
    b.ws.close(1000);
    await Promise.all([a.closed, b.closed]);
    t.equal(await count(), 0);
  });
});

t.test('an upstream that is down: 502 before any upgrade', async (t) => {
  const up = await startWsUpstream();
  const url = up.url;
  await up.close();
  const gw = await startGateway(oneUpstreamYaml(url, { routes: '  - { id: live, match: { path: /ws/* }, upstream: rec, websocket: true }' }));
  t.teardown(() => gw.stop());
  const err = await connect(`ws://127.0.0.1:${gw.port}/ws/echo`).then(() => null, (e: Error & { status?: number; body?: string }) => e);
  t.equal(err?.status, 502);
  t.match(JSON.parse(err?.body ?? '{}'), { status: 502, title: String });
});
