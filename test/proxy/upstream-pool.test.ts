// The gateway's upstream connection pools (src/upstream/h1 + registry), seen from the outside:
// HTTPS targets (SNI, Host, trust via NODE_EXTRA_CA_CERTS, one TLS session reused), the
// per-target connection limit and its queue (a waiting request whose client left is never sent),
// the upstream's Keep-Alive hint, the idle close, and what a reload does to the old pools.
//
// Every upstream here is local (127.0.0.1) and every pool belongs to one gateway worker, so the
// connections an upstream sees are exactly the ones its pool opened.
import t from 'tap';
import https from 'node:https';
import net from 'node:net';
import type tls from 'node:tls';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'undici';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchText } from '../helpers/http-reply.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { sleep, startScriptedUpstream, waitFor, type ScriptedUpstream } from '../helpers/scripted-upstream.js';

/** tap's process-info loader in NODE_OPTIONS slows every start of the gateway and its workers. */
function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const options = (process.env.NODE_OPTIONS ?? '').split(/\s+/).filter((o) => o !== '' && !o.includes('@tapjs/'));
  return { NODE_OPTIONS: options.join(' '), ...extra };
}

/** A complete HTTP/1.1 answer with a Content-Length (keep-alive by default in HTTP/1.1). */
const ok = (body: string, extra = ''): string =>
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${extra}Content-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`;

/** A self-signed certificate for localhost and 127.0.0.1. */
function makeCert(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}-cert.pem`);
  const key = join(dir, `${name}-key.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

interface TlsUpstream {
  server: https.Server;
  port: number;
  secureConnections: number;
  requests: { url: string; servername: string | false | null | undefined; hosts: string[] }[];
  close(): Promise<void>;
}

function startTlsUpstream(files: { cert: string; key: string }): Promise<TlsUpstream> {
  const sockets = new Set<net.Socket>();
  const up: TlsUpstream = {
    server: https.createServer({ cert: readFileSync(files.cert), key: readFileSync(files.key) }, (req, res) => {
      const rawHosts: string[] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (req.rawHeaders[i]!.toLowerCase() === 'host') rawHosts.push(req.rawHeaders[i + 1]!);
      }
      up.requests.push({ url: req.url ?? '', servername: (req.socket as tls.TLSSocket).servername, hosts: rawHosts });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('tls says ' + req.url);
    }),
    port: 0,
    secureConnections: 0,
    requests: [],
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      up.server.close(() => resolve());
    }),
  };
  up.server.keepAliveTimeout = 10_000;
  up.server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  up.server.on('secureConnection', () => { up.secureConnections++; });
  up.server.on('tlsClientError', () => {});
  return new Promise((resolve) => {
    up.server.listen(0, '127.0.0.1', () => {
      up.port = (up.server.address() as net.AddressInfo).port;
      resolve(up);
    });
  });
}

/** Opens a raw client connection, sends one GET and destroys the connection after `afterMs`. */
function sendAndHangUp(port: number, path: string, afterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    });
    s.on('error', () => {});
    setTimeout(() => {
      s.destroy();
      resolve();
    }, afterMs);
  });
}

const openCount = (u: ScriptedUpstream): number => u.connections.filter((c) => !c.closed).length;

/**
 * A port whose listener never accepts: a child process listens (backlog 1) and then blocks its
 * only thread, and a few connections made here fill the accept queue, so the kernel drops later
 * SYNs and a connect() to it hangs until the caller gives up.
 */
async function startBlackHole(): Promise<{ port: number; close(): void }> {
  const child: ChildProcess = spawn(process.execPath, ['-e', `
    const s = require('node:net').createServer();
    s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
      process.stdout.write(s.address().port + '\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000); // gone after a minute even if orphaned
    });`], { stdio: ['ignore', 'pipe', 'ignore'], env: childEnv() });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', () => reject(new Error('black hole exited')));
  });
  const fillers = Array.from({ length: 4 }, () => net.connect(port, '127.0.0.1').on('error', () => {}));
  await sleep(200);
  return {
    port,
    close: () => {
      for (const f of fillers) f.destroy();
      child.kill('SIGKILL');
    },
  };
}

// ---------------------------------------------------------------------------------------------
// One gateway (one worker) for cases 1-5, each upstream with its own pool.

const dir = mkdtempSync(join(tmpdir(), 'tollgate-pool-'));
const trusted = makeCert(dir, 'trusted');
const untrusted = makeCert(dir, 'untrusted');

let gw: GatewayProcess;
let tlsGood: TlsUpstream;
let tlsBad: TlsUpstream;
let hole: { port: number; close(): void };
const ups: Record<string, ScriptedUpstream> = {};
const SCRIPTED: Record<string, string> = {
  lim: 'connections: 2, ',
  wait: 'connections: 1, ',
  kashort: '',
  kafast: '',
  idle: '',
  stale: '',
  stalepost: '',
  stuck: 'connections: 1, timeout: { response: 500ms }, ',
  big: '',
};
const up = (name: string): ScriptedUpstream => {
  const u = ups[name];
  if (u === undefined) throw new Error('no upstream ' + name);
  return u;
};

t.before(async () => {
  tlsGood = await startTlsUpstream(trusted);
  tlsBad = await startTlsUpstream(untrusted);
  hole = await startBlackHole();
  for (const name of Object.keys(SCRIPTED)) ups[name] = await startScriptedUpstream();
  const scripted = Object.entries(SCRIPTED).map(([name, extra]) => `  ${name}: { ${extra}targets: [${up(name).url}] }`);
  const names = ['tls', 'tlsbad', 'hole', ...Object.keys(SCRIPTED)];
  gw = await startGateway(`
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
log: { access: false }
upstreams:
  tls: { targets: ['https://localhost:${tlsGood.port}'] }
  tlsbad: { targets: ['https://localhost:${tlsBad.port}'] }
  hole: { targets: ['http://127.0.0.1:${hole.port}'], timeout: { connect: 300ms, response: 10s } }
${scripted.join('\n')}
routes:
${names.map((n) => `  - { id: ${n}, match: { path: /${n}/* }, upstream: ${n}, rewrite: /* }`).join('\n')}
`, { env: childEnv({ NODE_EXTRA_CA_CERTS: trusted.cert }) });
});

t.teardown(async () => {
  await gw?.stop();
  await tlsGood?.close();
  await tlsBad?.close();
  hole?.close();
  for (const u of Object.values(ups)) await u.close();
});

t.test('HTTPS target: trusted via NODE_EXTRA_CA_CERTS, SNI and Host, one TLS connection reused', async (t) => {
  for (let i = 0; i < 10; i++) {
    const res = await fetchText(`${gw.url}/tls/item-${i}`);
    t.equal(res.status, 200, `request ${i}`);
    t.equal(res.text, `tls says /item-${i}`, `request ${i} got the upstream's body`);
  }
  t.equal(tlsGood.secureConnections, 1, '10 sequential requests used exactly one TLS connection');
  t.equal(tlsGood.requests.length, 10, 'the upstream saw the 10 requests');
  t.ok(tlsGood.requests.every((r) => r.servername === 'localhost'), 'SNI servername was localhost on every request');
  t.ok(tlsGood.requests.every((r) => r.hosts.length === 1 && r.hosts[0] === `localhost:${tlsGood.port}`),
    `one Host header, localhost:${tlsGood.port} (saw ${JSON.stringify(tlsGood.requests[0]?.hosts)})`);

  const bad = await fetchText(`${gw.url}/tlsbad/x`);
  t.equal(bad.status, 502, 'an upstream with an untrusted certificate is a 502');
  t.match(String(bad.headers['content-type']), /^application\/problem\+json/);
  t.equal(tlsBad.requests.length, 0, 'no request reached the untrusted upstream');
});

t.test('connections: 2 caps the sockets to a target; queued requests get their own answers', async (t) => {
  const u = up('lim');
  let maxOpen = 0;
  for (let i = 0; i < 10; i++) {
    u.on(`/r${i}`, async (req, io) => {
      maxOpen = Math.max(maxOpen, openCount(u));
      await io.sleep(100);
      io.write(ok('echo ' + req.path));
    });
  }
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => fetchText(`${gw.url}/lim/r${i}`)));
  results.forEach((res, i) => {
    t.equal(res.status, 200, `request ${i}`);
    t.equal(res.text, `echo /r${i}`, `request ${i} got its own body`);
  });
  t.equal(u.requests().length, 10, 'the upstream answered 10 requests');
  t.ok(maxOpen >= 1 && maxOpen <= 2, `never more than 2 connections open at once (max ${maxOpen})`);
  t.ok(u.connections.length <= 2, `at most 2 connections in total (saw ${u.connections.length})`);
  t.notOk(u.connections.some((c) => c.overlapped), 'no pipelining on a connection');
});

t.test('a queued request whose client left is never sent upstream', async (t) => {
  const u = up('wait');
  u.on('/slow', async (_req, io) => {
    await io.sleep(600);
    io.write(ok('slow done'));
  });
  u.on('/abandoned', (_req, io) => { io.write(ok('should not be asked')); });
  u.on('/after', (_req, io) => { io.write(ok('after')); });

  const first = fetchText(`${gw.url}/wait/slow`);
  t.ok(await waitFor(() => u.requestsFor('/slow').length === 1, 2_000), 'the first request holds the only connection');
  await sendAndHangUp(gw.port, '/wait/abandoned', 100);
  const res = await first;
  t.equal(res.status, 200);
  t.equal(res.text, 'slow done');
  await sleep(300);
  const after = await fetchText(`${gw.url}/wait/after`);
  t.equal(after.status, 200, 'the pool still serves');
  t.equal(after.text, 'after');
  await sleep(200);
  t.equal(u.requestsFor('/abandoned').length, 0, 'the abandoned request never reached the upstream');
  t.same(u.requests().map((r) => r.path), ['/slow', '/after'], 'only the first and the later request were sent');
  t.equal(u.connections.length, 1, 'on the one connection');
});

t.test("the upstream's Keep-Alive: timeout=1 hint limits reuse to 500 ms of idleness", async (t) => {
  const hint = ok('ka', 'Connection: keep-alive\r\nKeep-Alive: timeout=1\r\n');

  const slow = up('kashort');
  slow.on('/x', (_req, io) => { io.write(hint); });
  t.equal((await fetchText(`${gw.url}/kashort/x`)).status, 200);
  await sleep(700);
  t.equal((await fetchText(`${gw.url}/kashort/x`)).status, 200);
  t.equal(slow.connections.length, 2, 'after 700 ms idle the second request went on a new connection');
  t.equal(slow.connections[1]?.requests.length, 1, 'the second request is on the new connection');
  t.ok(await waitFor(() => slow.connections[0]!.closed, 1_500), 'the stale socket was closed');
  t.ok(slow.connections[0]!.peerClosed && !slow.connections[0]!.closedByUs, 'by the gateway');

  const fast = up('kafast');
  fast.on('/x', (_req, io) => { io.write(hint); });
  t.equal((await fetchText(`${gw.url}/kafast/x`)).status, 200);
  await sleep(100);
  t.equal((await fetchText(`${gw.url}/kafast/x`)).status, 200);
  t.equal(fast.connections.length, 1, 'two requests 100 ms apart shared one connection');
  t.equal(fast.connections[0]?.requests.length, 2);
});

t.test('an idle upstream socket without a Keep-Alive hint is closed by the gateway after ~4 s', async (t) => {
  const u = up('idle');
  u.on('/x', (_req, io) => { io.write(ok('idle')); });
  const res = await fetchText(`${gw.url}/idle/x`);
  const answeredAt = Date.now();
  t.equal(res.status, 200);
  t.equal(u.connections.length, 1);
  const conn = u.connections[0]!;
  const closed = await waitFor(() => conn.closed, 7_000);
  const elapsed = Date.now() - answeredAt;
  t.ok(closed, `the idle socket was closed within 7 s (${elapsed} ms)`);
  t.ok(conn.peerClosed && !conn.closedByUs, 'by the gateway');
  t.ok(elapsed >= 3_500 && elapsed <= 6_500, `closed after ${elapsed} ms, expected ~4-6.5 s`);
});

// ---------------------------------------------------------------------------------------------
// Reloads, on a gateway of their own (its config file is rewritten).

t.test('a reused socket the upstream closed before answering: GET goes again on a fresh one, POST does not', async (t) => {
  // The upstream answers the first request of each connection and closes the connection without
  // a word at the second: what a keep-alive timeout racing the gateway's next request looks like.
  const get = up('stale');
  get.on('/s', (req, io) => (req.index === 0 ? io.write(ok('answer ' + req.conn.id)) : io.destroy()));
  t.equal((await fetchText(`${gw.url}/stale/s`)).text, 'answer 0');
  const again = await fetchText(`${gw.url}/stale/s`);
  t.equal(again.status, 200, 'the GET that met the closed socket still succeeds');
  t.equal(again.text, 'answer 1', 'answered on a fresh connection');
  t.same(get.connections.map((c) => c.requests.length), [2, 1], 'sent once on the reused socket, once on the new one');

  const post = up('stalepost');
  post.on('/p', (req, io) => (req.index === 0 ? io.write(ok('posted')) : io.destroy()));
  const first = await fetchText(`${gw.url}/stalepost/p`, { method: 'POST', body: 'one' });
  t.equal(first.text, 'posted');
  const second = await fetchText(`${gw.url}/stalepost/p`, { method: 'POST', body: 'two' });
  t.equal(second.status, 502, 'a POST is not repeated: the client gets a 502');
  t.match(second.headers['content-type'], /application\/problem\+json/);
  t.equal(post.requestsFor('/p').length, 2, 'the upstream saw the second POST once');
});

t.test('requests queued behind a stuck upstream time out with their own deadline', async (t) => {
  // One connection, held forever by each request it carries: requests 2 and 3 wait in the queue.
  // Their 504 comes when their own 500 ms run out, not after the ones ahead of them timed out.
  const u = up('stuck');
  u.on('/hang', () => new Promise<void>(() => {}));
  const started = Date.now();
  const replies = await Promise.all([1, 2, 3].map(async () => {
    const r = await fetchText(`${gw.url}/stuck/hang`);
    return { status: r.status, took: Date.now() - started, type: String(r.headers['content-type']) };
  }));
  t.same(replies.map((r) => r.status), [504, 504, 504]);
  t.ok(replies.every((r) => r.type.includes('application/problem+json')));
  const slowest = Math.max(...replies.map((r) => r.took));
  t.ok(slowest >= 400 && slowest < 900, `all three answered after about one timeout (slowest ${slowest} ms)`);
  t.ok(u.requestsFor('/hang').length <= 2, 'the queued ones timed out without being sent to the stuck upstream');
});

t.test('big answers to a slow reader arrive byte for byte (the read buffer is reused under backpressure)', async (t) => {
  // The gateway reads upstream bytes into one buffer per worker and passes views of it on; when
  // the client is slow, whatever the client socket cannot take yet must be a copy.
  const body = randomBytes(4 * 1024 * 1024);
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  const u = up('big');
  u.on('/length', (_req, io) => {
    io.write(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`);
    io.write(body);
  });
  u.on('/chunked', (_req, io) => {
    io.write('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n');
    for (let at = 0; at < body.length; at += 100_000) {
      const piece = body.subarray(at, Math.min(at + 100_000, body.length));
      io.write(Buffer.concat([Buffer.from(piece.length.toString(16) + '\r\n'), piece, Buffer.from('\r\n')]));
    }
    io.write('0\r\n\r\n');
  });
  for (const path of ['/length', '/chunked']) {
    const res = await request(`${gw.url}/big${path}`);
    const parts: Buffer[] = [];
    let n = 0;
    for await (const chunk of res.body) {
      parts.push(Buffer.from(chunk as Buffer));
      if (n++ % 8 === 0) await sleep(15); // a slow reader: the gateway's socket to it fills up
    }
    const got = Buffer.concat(parts);
    t.equal(res.statusCode, 200, path);
    t.equal(got.length, body.length, `${path}: every byte`);
    t.equal(sha(got), sha(body), `${path}: the same bytes`);
  }
});

t.test('a target that never completes the TCP handshake: 504 after the connect timeout', async (t) => {
  const started = Date.now();
  const res = await fetchText(`${gw.url}/hole/x`);
  const took = Date.now() - started;
  t.equal(res.status, 504);
  t.match(res.headers['content-type'], /application\/problem\+json/);
  t.ok(took >= 250 && took < 3_000, `answered after the 300 ms connect timeout, not the 10 s response timeout (${took} ms)`);
});

t.test('a reload that changes an upstream retires its pool', async (t) => {
  const TOKEN = 'pool-test-token';
  const AUTH = { authorization: `Bearer ${TOKEN}` };
  const u = await startScriptedUpstream();
  t.teardown(() => u.close());
  u.on('/a', (_req, io) => { io.write(ok('a')); });
  u.on('/slow', async (_req, io) => {
    await io.sleep(500);
    io.write(ok('slow'));
  });
  const config = (connections: number): string => `
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0, token: ${TOKEN} }
log: { access: false }
upstreams:
  r: { connections: ${connections}, targets: [${u.url}] }
routes:
  - { id: r, match: { path: /r/* }, upstream: r, rewrite: /* }
`;
  const rgw = await startGateway(config(4), { env: childEnv() });
  t.teardown(async () => {
    const killer = setTimeout(() => rgw.child.kill('SIGKILL'), 10_000);
    await rgw.stop();
    clearTimeout(killer);
  });
  const reload = async (connections: number): Promise<number> => {
    writeFileSync(rgw.configFile, config(connections));
    const res = await fetchText(`${rgw.adminUrl}/reload`, { method: 'POST', headers: AUTH });
    return res.status;
  };

  const first = await fetchText(`${rgw.url}/r/a`);
  t.equal(first.status, 200);
  t.equal(u.connections.length, 1);
  const old = u.connections[0]!;
  t.equal(await reload(5), 200, 'connections 4 -> 5 reloaded');
  t.ok(await waitFor(() => old.closed, 2_000), 'the old pool closed its idle socket within 2 s');
  t.ok(old.peerClosed && !old.closedByUs, 'the gateway closed it');
  const next = await fetchText(`${rgw.url}/r/a`);
  t.equal(next.status, 200, 'the next request succeeds');
  t.equal(next.text, 'a');
  t.equal(u.connections.length, 2, 'on a new connection');
  t.equal(u.connections[1]?.requests.length, 1);

  // A request in flight across a reload completes.
  const before = u.connections.length;
  let finished = false;
  const slow = fetchText(`${rgw.url}/r/slow`).then((r) => {
    finished = true;
    return r;
  });
  await sleep(100);
  t.equal(u.requestsFor('/slow').length, 1, 'the slow request reached the upstream');
  t.equal(await reload(4), 200, 'connections 5 -> 4 reloaded while the request was in flight');
  t.notOk(finished, 'the reload answered before the upstream did');
  const res = await slow;
  t.equal(res.status, 200, 'the in-flight request completed');
  t.equal(res.text, 'slow');
  const carrier = u.requestsFor('/slow')[0]!.conn;
  t.ok(await waitFor(() => carrier.closed, 2_000), "the retired pool's socket closed once its request finished");
  const again = await fetchText(`${rgw.url}/r/a`);
  t.equal(again.status, 200, 'the new pool serves');
  t.equal(u.connections.length, before + 1, 'on a new connection');
});

t.test('a reload that replaces a pool keeps the requests queued in it: none fails', async (t) => {
  const u = await startScriptedUpstream();
  t.teardown(() => u.close());
  u.on('/q', async (req, io) => {
    await io.sleep(300);
    io.write(ok('answer ' + req.target.split('?')[1]));
  });
  const config = (response: string): string => `
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
log: { access: false }
upstreams:
  q: { connections: 1, targets: [${u.url}], timeout: { response: ${response} } }
routes:
  - { id: q, match: { path: /q/* }, upstream: q, rewrite: /* }
`;
  const rgw = await startGateway(config('5s'), { env: childEnv() });
  t.teardown(async () => {
    const killer = setTimeout(() => rgw.child.kill('SIGKILL'), 10_000);
    await rgw.stop();
    clearTimeout(killer);
  });

  // One request on the pool's only connection, two waiting in its queue.
  const replies = [1, 2, 3].map((n) => fetchText(`${rgw.url}/q/q?${n}`));
  t.ok(await waitFor(() => u.requestsFor('/q').length === 1, 2_000), 'the first request reached the upstream');
  const from = rgw.logs.length;
  writeFileSync(rgw.configFile, config('6s'));
  rgw.child.kill('SIGHUP');
  const line = await rgw.waitForLog((l) => rgw.logs.indexOf(l) >= from && (l.msg === 'config reloaded' || String(l.msg).startsWith('config reload rejected')));
  t.equal(line.msg, 'config reloaded', 'timeout.response 5s -> 6s reloaded while two requests waited');
  t.equal(u.requestsFor('/q').length, 1, 'the two others were still queued at the reload');

  const got = await Promise.all(replies);
  t.same(got.map((r) => r.status), [200, 200, 200], 'all three queued requests answered 200');
  t.same(got.map((r) => r.text), ['answer 1', 'answer 2', 'answer 3'], 'each with its own answer');
  const next = await fetchText(`${rgw.url}/q/q?4`);
  t.equal(next.status, 200, 'the new pool serves');
  t.equal(next.text, 'answer 4');
});
