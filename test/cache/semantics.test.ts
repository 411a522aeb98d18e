// RFC 9111 as the cache applies it, one header at a time, against a real gateway (its LMDB files
// in a temp dir) and a scripted upstream that changes its answers: what is stored, for how long,
// for whom, and what the client is told (X-Cache, Cache-Status, Age, 304).
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { poll } from '../system/fixtures/system-fixture.js';
import { answer, always, cachedGateway, cacheStatus, get, scriptedUpstream, xCache } from './fixtures/cache-fixture.js';

const up = await scriptedUpstream(t);
const gw = await cachedGateway(t, up.url, `
  - { id: cached, match: { path: /c/* }, upstream: rec, cache: { ttl: 30s } }
  - { id: nottl, match: { path: /n/* }, upstream: rec, cache: {} }
  - { id: plain, match: { path: /p/* }, upstream: rec }
`, { extra: 'cache: { maxSize: 1mb, maxEntrySize: 4kb }' });

const hits = (path: string): number => up.requestsFor(path).length;
let serial = 0;
/** An upstream answer whose body says how many times this path was asked for. */
const counting = (path: string, headers: Record<string, string>, status = 200) =>
  up.on(path, always(() => answer(status, headers, `${path} #${hits(path)} ${++serial}`)));

t.test('max-age: stored, then served with Age, X-Cache HIT and Cache-Status ttl', async (t) => {
  counting('/c/max-age', { 'cache-control': 'max-age=60', 'content-type': 'text/plain', 'x-kept': 'yes' });
  const first = await get(gw, '/c/max-age');
  t.equal(xCache(first), 'MISS');
  t.equal(cacheStatus(first), 'Tollgate; fwd=miss; fwd-status=200; stored');
  const second = await get(gw, '/c/max-age');
  t.equal(second.status, 200);
  t.equal(xCache(second), 'HIT');
  t.match(cacheStatus(second), /^Tollgate; hit; ttl=5\d$/);
  t.equal(second.headers['age'], '0');
  t.equal(second.text, first.text, 'the stored body');
  t.equal(second.headers['x-kept'], 'yes', 'the upstream headers');
  t.equal(second.headers['content-type'], 'text/plain');
  t.equal(hits('/c/max-age'), 1, 'one upstream request');
});

t.test('the upstream Age counts: served Age is at least it, ttl is what max-age leaves', async (t) => {
  counting('/c/aged', { 'cache-control': 'max-age=60', age: '20' });
  await get(gw, '/c/aged');
  const hit = await get(gw, '/c/aged');
  t.equal(xCache(hit), 'HIT');
  t.ok(Number(hit.headers['age']) >= 20, `age ${String(hit.headers['age'])}`);
  t.match(cacheStatus(hit), /ttl=3\d$/);
});

t.test('no-store and private are never stored; nor is an answer with Set-Cookie', async (t) => {
  for (const [path, headers] of [
    ['/c/no-store', { 'cache-control': 'no-store, max-age=60' }],
    ['/c/private', { 'cache-control': 'private, max-age=60' }],
    ['/c/cookie', { 'cache-control': 'public, max-age=60', 'set-cookie': 'sid=1' }],
  ] as const) {
    counting(path, headers);
    const a = await get(gw, path);
    const b = await get(gw, path);
    t.equal(xCache(a), 'MISS', path);
    t.equal(xCache(b), 'MISS', path);
    t.equal(cacheStatus(b), 'Tollgate; fwd=miss; fwd-status=200', `${path}: not stored`);
    t.not(a.text, b.text, `${path}: each from the upstream`);
    t.equal(hits(path), 2);
  }
});

t.test('s-maxage wins over max-age in a shared cache, and Expires works without Cache-Control', async (t) => {
  counting('/c/s-maxage', { 'cache-control': 'max-age=0, s-maxage=60' });
  await get(gw, '/c/s-maxage');
  t.equal(xCache(await get(gw, '/c/s-maxage')), 'HIT');
  t.equal(hits('/c/s-maxage'), 1);

  counting('/c/expires', { expires: new Date(Date.now() + 60_000).toUTCString() });
  await get(gw, '/c/expires');
  t.equal(xCache(await get(gw, '/c/expires')), 'HIT');
  counting('/c/expired', { expires: new Date(Date.now() - 60_000).toUTCString() });
  await get(gw, '/c/expired');
  t.equal(xCache(await get(gw, '/c/expired')), 'MISS', 'Expires in the past: stale at once, not stored');
  t.equal(hits('/c/expired'), 2);
});

t.test('the route ttl applies where the upstream is silent, and only there', async (t) => {
  counting('/c/silent', {});
  await get(gw, '/c/silent');
  const hit = await get(gw, '/c/silent');
  t.equal(xCache(hit), 'HIT');
  t.match(cacheStatus(hit), /ttl=2\d$/, 'the route ttl of 30s');
  counting('/n/silent', {});
  await get(gw, '/n/silent');
  t.equal(xCache(await get(gw, '/n/silent')), 'MISS', 'without a ttl a silent answer is not stored');
  counting('/n/max-age', { 'cache-control': 'max-age=60' });
  await get(gw, '/n/max-age');
  t.equal(xCache(await get(gw, '/n/max-age')), 'HIT', 'an upstream max-age needs no route ttl');
});

t.test('Vary: each value of the named request header is its own entry', async (t) => {
  up.on('/c/vary', always((req) => answer(200, { 'cache-control': 'max-age=60', vary: 'Accept-Language' }, `lang=${req.header('accept-language')[0] ?? '-'} #${hits('/c/vary')}`)));
  const en = await get(gw, '/c/vary', { headers: { 'accept-language': 'en' } });
  const fr = await get(gw, '/c/vary', { headers: { 'accept-language': 'fr' } });
  t.equal(xCache(en), 'MISS');
  t.equal(xCache(fr), 'MISS', 'another value is another entry');
  const en2 = await get(gw, '/c/vary', { headers: { 'accept-language': 'en' } });
  const fr2 = await get(gw, '/c/vary', { headers: { 'accept-language': 'fr' } });
  const none = await get(gw, '/c/vary');
  t.equal(xCache(en2), 'HIT');
  t.equal(en2.text, en.text);
  t.equal(xCache(fr2), 'HIT');
  t.equal(fr2.text, fr.text);
  t.equal(xCache(none), 'MISS', 'no header is a value of its own');
  t.equal(hits('/c/vary'), 3);
});

t.test('Authorization: stored only when the upstream says public or s-maxage, and answered only from such entries', async (t) => {
  counting('/c/auth-private', { 'cache-control': 'max-age=60' });
  const auth = { authorization: 'Bearer one' };
  await get(gw, '/c/auth-private', { headers: auth });
  t.equal(xCache(await get(gw, '/c/auth-private', { headers: auth })), 'MISS', 'max-age alone does not allow storing an authorised answer');
  t.equal(hits('/c/auth-private'), 2);

  counting('/c/auth-public', { 'cache-control': 'public, max-age=60' });
  await get(gw, '/c/auth-public', { headers: auth });
  t.equal(xCache(await get(gw, '/c/auth-public', { headers: { authorization: 'Bearer two' } })), 'HIT', 'public: shared');
  t.equal(xCache(await get(gw, '/c/auth-public')), 'HIT');
  t.equal(hits('/c/auth-public'), 1);

  counting('/c/anon', { 'cache-control': 'max-age=60' });
  await get(gw, '/c/anon');
  t.equal(xCache(await get(gw, '/c/anon')), 'HIT');
  const authed = await get(gw, '/c/anon', { headers: auth });
  t.equal(xCache(authed), 'BYPASS', 'an entry stored without public never answers a request with Authorization');
  t.equal(cacheStatus(authed), 'Tollgate; fwd=bypass; detail=authorization');
  t.equal(hits('/c/anon'), 2);
});

t.test('client conditionals against a fresh entry: 304 when they match, the entry otherwise', async (t) => {
  const lastModified = new Date(Date.now() - 3_600_000).toUTCString();
  counting('/c/cond', { 'cache-control': 'max-age=60', etag: '"v1"', 'last-modified': lastModified });
  await get(gw, '/c/cond');
  const inm = await get(gw, '/c/cond', { headers: { 'if-none-match': '"v0", W/"v1"' } });
  t.equal(inm.status, 304);
  t.equal(inm.text, '');
  t.equal(inm.headers['etag'], '"v1"');
  t.equal(xCache(inm), 'HIT');
  const other = await get(gw, '/c/cond', { headers: { 'if-none-match': '"v2"' } });
  t.equal(other.status, 200);
  t.not(other.text, '');
  const ims = await get(gw, '/c/cond', { headers: { 'if-modified-since': new Date().toUTCString() } });
  t.equal(ims.status, 304);
  const older = await get(gw, '/c/cond', { headers: { 'if-modified-since': new Date(Date.now() - 7_200_000).toUTCString() } });
  t.equal(older.status, 200);
  t.equal(hits('/c/cond'), 1, 'all answered by the cache');
});

t.test('a stale entry is revalidated with its validators; a 304 refreshes it', async (t) => {
  let version = 'v1';
  up.on('/c/reval', (req, io) => {
    const match = req.header('if-none-match')[0] === `"${version}"`;
    io.write(match
      ? answer(304, { 'cache-control': 'max-age=1', etag: `"${version}"`, 'x-fresh': 'from-304' })
      : answer(200, { 'cache-control': 'max-age=1', etag: `"${version}"`, 'x-fresh': 'from-200' }, `body ${version}`));
  });
  const first = await get(gw, '/c/reval');
  t.equal(first.text, 'body v1');
  await sleep(1_300);
  const revalidated = await get(gw, '/c/reval');
  t.equal(revalidated.status, 200, 'the client did not ask conditionally: the stored body');
  t.equal(revalidated.text, 'body v1');
  t.equal(xCache(revalidated), 'HIT');
  t.match(cacheStatus(revalidated), /^Tollgate; fwd=stale; fwd-status=304; stored; ttl=/);
  t.equal(revalidated.headers['x-fresh'], 'from-304', "the 304's headers update the entry");
  const sent = up.requestsFor('/c/reval');
  t.equal(sent.length, 2);
  t.same(sent[1]!.header('if-none-match'), ['"v1"'], 'the stored ETag went upstream');
  t.equal(xCache(await get(gw, '/c/reval')), 'HIT', 'fresh again');
  t.equal(hits('/c/reval'), 2);

  version = 'v2';
  await sleep(1_300);
  const changed = await get(gw, '/c/reval');
  t.equal(changed.text, 'body v2', 'a 200 replaces the entry');
  t.equal(xCache(changed), 'MISS');
  t.match(cacheStatus(changed), /^Tollgate; fwd=stale; fwd-status=200; stored$/);
  t.equal((await get(gw, '/c/reval')).text, 'body v2');
});

t.test('the client conditional does not reach the upstream on a fill (the cache answers it)', async (t) => {
  counting('/c/fill-cond', { 'cache-control': 'max-age=60', etag: '"x"' });
  const r = await get(gw, '/c/fill-cond', { headers: { 'if-none-match': '"x"', range: 'bytes=0-1' } });
  t.equal(r.status, 200, 'the fill answers in full');
  t.same(up.requestsFor('/c/fill-cond')[0]!.header('if-none-match'), []);
  t.same(up.requestsFor('/c/fill-cond')[0]!.header('range'), []);
  t.equal((await get(gw, '/c/fill-cond', { headers: { 'if-none-match': '"x"' } })).status, 304);
});

t.test('HEAD is answered from the GET entry; a HEAD miss is forwarded and stores nothing', async (t) => {
  counting('/c/head', { 'cache-control': 'max-age=60' });
  const miss = await get(gw, '/c/head', { method: 'HEAD' });
  t.equal(xCache(miss), 'MISS');
  t.equal(up.requestsFor('/c/head')[0]!.method, 'HEAD');
  const body = await get(gw, '/c/head');
  t.equal(xCache(body), 'MISS', 'the HEAD stored nothing');
  const head = await get(gw, '/c/head', { method: 'HEAD' });
  t.equal(xCache(head), 'HIT');
  t.equal(head.text, '');
  t.equal(head.headers['content-length'], String(Buffer.byteLength(body.text)), 'the length a GET has');
  t.equal(hits('/c/head'), 2);
});

t.test('the key sorts the query and keeps hosts apart', async (t) => {
  counting('/c/q', { 'cache-control': 'max-age=60' });
  const a = await get(gw, '/c/q?b=2&a=1&a=0');
  const b = await get(gw, '/c/q?a=1&a=0&b=2');
  t.equal(xCache(b), 'HIT', 'same parameters, another order');
  t.equal(b.text, a.text);
  t.equal(xCache(await get(gw, '/c/q?a=0&a=1&b=2')), 'MISS', 'a repeated name keeps its values in order');
  t.equal(xCache(await get(gw, '/c/q?b=2&a=1&a=0', { headers: { host: 'other.example' } })), 'MISS', 'another host');
});

t.test('bodies over maxEntrySize stream through uncached (BYPASS), with or without Content-Length', async (t) => {
  const big = 'x'.repeat(10_000);
  up.on('/c/big', always(answer(200, { 'cache-control': 'max-age=60' }, big)));
  const r = await get(gw, '/c/big');
  t.equal(r.text, big);
  t.equal(xCache(r), 'BYPASS');
  t.equal(cacheStatus(r), 'Tollgate; fwd=bypass; detail=too-large');
  t.equal(xCache(await get(gw, '/c/big')), 'BYPASS', 'not stored');

  const chunked = (size: number) => always(`HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nTransfer-Encoding: chunked\r\n\r\n` +
    `${(size / 2).toString(16)}\r\n${'a'.repeat(size / 2)}\r\n${(size / 2).toString(16)}\r\n${'b'.repeat(size / 2)}\r\n0\r\n\r\n`);
  up.on('/c/chunked-small', chunked(1_000));
  const small = await get(gw, '/c/chunked-small');
  t.equal(small.text.length, 1_000);
  t.equal(xCache(small), 'MISS', 'within the bound: held, then stored');
  t.equal(cacheStatus(small), 'Tollgate; fwd=miss; fwd-status=200; stored');
  t.equal((await get(gw, '/c/chunked-small')).text, small.text);
  up.on('/c/chunked-big', chunked(9_000));
  const large = await get(gw, '/c/chunked-big');
  t.equal(large.text, 'a'.repeat(4_500) + 'b'.repeat(4_500), 'every byte, the held ones first');
  t.equal(xCache(large), 'BYPASS');
  t.equal(xCache(await get(gw, '/c/chunked-big')), 'BYPASS');
  t.equal(hits('/c/chunked-big'), 2);
});

t.test('a POST, PUT, PATCH or DELETE invalidates the entries of its resource', async (t) => {
  counting('/c/res', { 'cache-control': 'max-age=60' });
  await get(gw, '/c/res');
  t.equal(xCache(await get(gw, '/c/res')), 'HIT');
  await get(gw, '/c/res', { method: 'POST', body: 'x' });
  // The removal commits a moment after the POST arrived, not before its answer.
  t.ok(await poll(async () => xCache(await get(gw, '/c/res')) === 'MISS', 3_000), 'invalidated');
  t.equal(xCache(await get(gw, '/c/res')), 'HIT');
});

t.test('a route without cache carries no cache headers', async (t) => {
  counting('/p/plain', { 'cache-control': 'max-age=60' });
  const r = await get(gw, '/p/plain');
  t.equal(r.headers['x-cache'], undefined);
  t.equal(r.headers['cache-status'], undefined);
  await get(gw, '/p/plain');
  t.equal(hits('/p/plain'), 2);
});
