// Hits answered from a worker's own copy of an entry (src/cache/hot-entries.ts, taken once the
// cache has been steady for STEADY_MS; src/stages/cache/served-copy.ts) give the answer a hit read
// from LMDB gives, line for line: the same stored lines in the same order, the labels, HEAD, 304s,
// the Authorization rule, freshness that runs out, Age that goes on counting, and a route changed
// by a reload that no longer serves them. One worker, so every request meets the same copies.
import t from 'tap';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { oneUpstreamYaml, writeConfig } from '../helpers/gateway-process.js';
import { STEADY_MS } from '../../dist/cache/hot-entries.js';
import { answer, cachedGateway, scriptedUpstream } from './fixtures/cache-fixture.js';

interface RawReply {
  status: number;
  /** Header lines as sent, in order. */
  lines: string[];
  body: string;
}

/** One request on its own connection, the answer read as bytes (HEAD: no body follows). */
function raw(port: number, path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<RawReply> {
  const method = opts.method ?? 'GET';
  const extra = Object.entries(opts.headers ?? {}).map(([n, v]) => `${n}: ${v}\r\n`).join('');
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...lines] = got.subarray(0, end).toString('latin1').split('\r\n');
      const lengthLine = lines.find((l) => l.toLowerCase().startsWith('content-length:'));
      const length = method === 'HEAD' || lengthLine === undefined ? 0 : Number(lengthLine.split(':')[1]);
      if (got.length < end + 4 + length) return;
      socket.destroy();
      resolve({ status: Number(statusLine!.split(' ')[1]), lines, body: got.subarray(end + 4, end + 4 + length).toString() });
    });
    socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`);
  });
}

const header = (r: RawReply, name: string): string | undefined =>
  r.lines.find((l) => l.toLowerCase().startsWith(name + ':'))?.slice(name.length + 1).trim();
/** The lines that are the same on every hit of one entry within a second (Age, ttl, Date and the request id are not). */
const stable = (r: RawReply): string[] =>
  r.lines.filter((l) => !/^(date|x-request-id|age|cache-status):/i.test(l));

t.test('hits from the copies are the hits LMDB gives', async (t) => {
  const up = await scriptedUpstream(t);
  const counts = new Map<string, number>();
  const serve = (path: string, headers: Record<string, string>): void =>
    up.on(path, (_req, io) => {
      counts.set(path, (counts.get(path) ?? 0) + 1);
      io.write(answer(200, headers, `${path} #${counts.get(path)}`));
    });
  serve('/c/a', { 'cache-control': 'max-age=60', etag: '"v1"', 'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT', 'content-type': 'text/plain', 'x-kept': 'yes' });
  serve('/c/private-to-auth', { 'cache-control': 'max-age=60' });
  serve('/c/public', { 'cache-control': 'public, max-age=60' });
  serve('/c/short', { 'cache-control': 'max-age=2' });
  const routes = '  - { id: c, match: { path: /c/* }, upstream: rec, cache: { ttl: 30s } }';
  const configFile = writeConfig(oneUpstreamYaml(up.url, { routes }));
  const gw = await cachedGateway(t, up.url, routes, { configFile });
  const port = Number(new URL(gw.url).port);

  // Filled, then each hit once while the cache is not steady yet: read from LMDB.
  for (const path of ['/c/a', '/c/private-to-auth', '/c/public', '/c/short']) t.equal(header(await raw(port, path), 'x-cache'), 'MISS', path);
  const fromLmdb = await raw(port, '/c/a');
  const headFromLmdb = await raw(port, '/c/a', { method: 'HEAD' });
  t.equal(header(fromLmdb, 'x-cache'), 'HIT');

  await sleep(STEADY_MS + 200);
  const fromCopy = await raw(port, '/c/a');
  t.equal(fromCopy.status, 200);
  t.equal(fromCopy.body, '/c/a #1');
  t.same(stable(fromCopy), stable(fromLmdb), 'the same lines in the same order');
  t.match(header(fromCopy, 'cache-status'), /^Tollgate; hit; ttl=5\d$/);
  t.match(header(fromCopy, 'age'), /^[0-2]$/);
  t.match(header(fromCopy, 'x-request-id'), /^[0-9a-f-]{36}$/);
  t.not(header(await raw(port, '/c/a'), 'x-request-id'), header(fromCopy, 'x-request-id'), 'a request id of its own per answer');
  t.equal(header(await raw(port, '/c/a', { headers: { 'x-request-id': 'client-id-1' } }), 'x-request-id'), 'client-id-1');

  const headFromCopy = await raw(port, '/c/a', { method: 'HEAD' });
  t.equal(headFromCopy.status, 200);
  t.same(stable(headFromCopy), stable(headFromLmdb), 'HEAD: the same lines, Content-Length included');
  t.equal(header(headFromCopy, 'content-length'), String('/c/a #1'.length));

  const byTag = await raw(port, '/c/a', { headers: { 'if-none-match': '"v1"' } });
  t.equal(byTag.status, 304, 'If-None-Match');
  t.equal(header(byTag, 'etag'), '"v1"');
  t.equal(header(byTag, 'x-cache'), 'HIT');
  t.equal(byTag.body, '');
  t.equal((await raw(port, '/c/a', { headers: { 'if-none-match': '"other"' } })).status, 200);
  t.equal((await raw(port, '/c/a', { headers: { 'if-modified-since': 'Tue, 02 Jan 2024 00:00:00 GMT' } })).status, 304, 'If-Modified-Since');

  // RFC 9111 §3.5: Authorization is answered only from an answer that allowed it.
  const refused = await raw(port, '/c/private-to-auth', { headers: { authorization: 'Bearer x' } });
  t.equal(header(refused, 'x-cache'), 'BYPASS');
  t.equal(counts.get('/c/private-to-auth'), 2, 'forwarded');
  t.equal(header(await raw(port, '/c/public', { headers: { authorization: 'Bearer x' } }), 'x-cache'), 'HIT', 'public: answered from the copy');
  t.equal(counts.get('/c/public'), 1);

  // Age goes on counting; the labelled head is rendered again.
  await sleep(1_100);
  const later = await raw(port, '/c/a');
  t.ok(Number(header(later, 'age')) > Number(header(fromCopy, 'age')), `age ${header(fromCopy, 'age')} -> ${header(later, 'age')}`);
  const ttl = (r: RawReply): number => Number(/ttl=(\d+)/.exec(header(r, 'cache-status')!)![1]);
  t.ok(ttl(later) < ttl(fromCopy), `ttl ${ttl(fromCopy)} -> ${ttl(later)}`);

  // max-age=2 has run out by now: the copy's freshness is the entry's.
  const expired = await raw(port, '/c/short');
  t.equal(header(expired, 'x-cache'), 'MISS');
  t.equal(expired.body, '/c/short #2');

  // A reload that changes the route: what its copies hold was shaped by the old config.
  await sleep(STEADY_MS + 200);
  t.equal(header(await raw(port, '/c/a'), 'x-cache'), 'HIT');
  writeFileSync(configFile, oneUpstreamYaml(up.url, {
    routes: '  - { id: c, match: { path: /c/* }, upstream: rec, cache: { ttl: 30s }, headers: { response: { set: { x-new: yes } } } }',
  }));
  const reload = await request(`${gw.adminUrl}/reload`, { method: 'POST' });
  await reload.body.dump();
  t.equal(reload.statusCode, 200);
  const changed = await raw(port, '/c/a');
  t.equal(header(changed, 'x-cache'), 'MISS', 'not served from the copy of the old route');
  t.equal(header(changed, 'x-new'), 'yes');
  t.equal(counts.get('/c/a'), 2);
});
