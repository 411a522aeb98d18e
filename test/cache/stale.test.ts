// Serving stale entries: stale-while-revalidate (one background refresh per key), stale-if-error
// for each way an upstream fails (a 5xx, a timeout, a reset, a refused connection after killing
// it), and the route fallback when nothing stale may be served.
import t from 'tap';
import { unpack } from 'msgpackr';
import { request } from 'undici';
import { setTimeout as sleep } from 'node:timers/promises';
import { launch, poll } from '../system/fixtures/system-fixture.js';
import { findFreePortForTest } from '../proxy/free-port.js';
import { answer, always, cacheStatus, get, scriptedUpstream, xCache } from './fixtures/cache-fixture.js';

const up = await scriptedUpstream(t);
const doomed = await scriptedUpstream(t);
const deadPort = await findFreePortForTest();
const gw = await launch(t, `
listen: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
log: { level: warn, access: false }
upstreams:
  up: { targets: ['${up.url}'], timeout: { response: 1s } }
  doomed: { targets: ['${doomed.url}'] }
  dead: { targets: ['http://127.0.0.1:${deadPort}'], timeout: { connect: 300ms, response: 400ms } }
routes:
  - { id: swr, match: { path: /swr/* }, upstream: up, cache: { ttl: 1s, staleWhileRevalidate: 30s } }
  - { id: sie, match: { path: /sie/* }, upstream: up, cache: { ttl: 1s, staleIfError: 30s } }
  - { id: strict, match: { path: /strict/* }, upstream: up, cache: { ttl: 1s } }
  - { id: killed, match: { path: /killed/* }, upstream: doomed, cache: { ttl: 1s, staleIfError: 30s }, fallback: { json: { fallback: true } } }
  - { id: killed-bare, match: { path: /kb/* }, upstream: doomed, cache: { ttl: 1s } }
  - { id: fb, match: { path: /fb/* }, upstream: up, fallback: { status: 200, json: { items: [] }, headers: { x-fallback: 'yes' } } }
  - { id: fb-cached, match: { path: /fbc/* }, upstream: up, cache: { ttl: 1s, staleIfError: 30s }, fallback: { status: 203, body: 'default' } }
  - { id: fb-dead, match: { path: /dead/* }, upstream: dead, fallback: { json: { dead: true } } }
`, { workers: 2 });

const count = (path: string): number => up.requestsFor(path).length;

t.test('stale-while-revalidate: stale answers at once while exactly one request refreshes', async (t) => {
  let version = 1;
  up.on('/swr/a', async (_req, io) => {
    const body = `v${version}`;
    if (version > 1) await io.sleep(300); // the refresh is slow: the stale answers must not wait for it
    // The refreshed answer stays fresh for the rest of the test, however slow this machine is.
    io.write(answer(200, version > 1 ? { 'cache-control': 'max-age=60' } : {}, body));
  });
  t.equal((await get(gw, '/swr/a')).text, 'v1');
  version = 2;
  await sleep(1_200);
  const started = Date.now();
  const replies = await Promise.all(Array.from({ length: 12 }, () => get(gw, '/swr/a')));
  t.ok(replies.every((r) => r.text === 'v1' && xCache(r) === 'STALE'), 'every one served stale');
  t.ok(Date.now() - started < 2_000, 'without waiting for the refresh');
  t.match(cacheStatus(replies[0]!), /^Tollgate; hit; ttl=-\d+; detail=stale-while-revalidate$/);
  t.ok(await poll(async () => (await get(gw, '/swr/a')).text === 'v2', 5_000), 'the refresh replaced the entry');
  t.equal(count('/swr/a'), 2, 'one upstream request for the fill, one for the refresh');
  // The refresh runs after its client was answered: what it forwards about that client (read
  // while the client's request was open) is still there.
  const refresh = up.requestsFor('/swr/a')[1]!;
  const forwarded = (name: string): string | undefined => refresh.headers.find(([n]) => n.toLowerCase() === name)?.[1];
  t.equal(forwarded('x-forwarded-for'), '127.0.0.1', 'the refresh forwards the client address');
  t.match(forwarded('traceparent'), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, 'and a traceparent');
  t.equal(xCache(await get(gw, '/swr/a')), 'HIT');
});

t.test('stale-if-error: a 5xx, a timeout and a reset each get the stale entry, with the reason', async (t) => {
  let mode = 'ok';
  let maxAge = 1;
  up.on('/sie/a', async (_req, io) => {
    if (mode === 'ok') io.write(answer(200, { 'content-type': 'text/plain', 'cache-control': `max-age=${maxAge}` }, 'good'));
    else if (mode === '503') io.write(answer(503, {}, 'down'));
    else if (mode === '500') io.write(answer(500, {}, 'broken'));
    else if (mode === 'slow') await io.sleep(2_500);
    else io.destroy();
  });
  t.equal((await get(gw, '/sie/a')).text, 'good');
  await sleep(1_200);
  const expect = {
    503: 'Tollgate; fwd=stale; fwd-status=503; ttl=-1; detail="stale-if-error: upstream answered 503"',
    500: 'Tollgate; fwd=stale; fwd-status=500; ttl=-1; detail="stale-if-error: upstream answered 500"',
    slow: 'Tollgate; fwd=stale; ttl=-2; detail="stale-if-error: upstream timed out"',
    reset: 'Tollgate; fwd=stale; ttl=-2; detail="stale-if-error: upstream failed"',
  } as const;
  for (const [m, status] of Object.entries(expect)) {
    mode = m;
    const r = await get(gw, '/sie/a');
    t.equal(r.status, 200, m);
    t.equal(r.text, 'good', `${m}: the stale body`);
    t.equal(xCache(r), 'STALE', m);
    t.match(cacheStatus(r), new RegExp('^' + status.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('ttl=-1', 'ttl=-\\d+').replace('ttl=-2', 'ttl=-\\d+') + '$'), m);
    t.equal(r.headers['content-type'], 'text/plain');
  }
  mode = 'ok';
  maxAge = 60;
  const back = await get(gw, '/sie/a');
  t.equal(xCache(back), 'MISS', 'the upstream is back: refetched');
  t.ok(await poll(async () => xCache(await get(gw, '/sie/a')) === 'HIT', 3_000), 'and stored again');
});

t.test('without staleIfError the failure goes to the client', async (t) => {
  let fail = false;
  up.on('/strict/a', always(() => (fail ? answer(503, {}, 'down') : answer(200, {}, 'good'))));
  await get(gw, '/strict/a');
  await sleep(1_200);
  fail = true;
  const r = await get(gw, '/strict/a');
  t.equal(r.status, 503);
  t.equal(r.text, 'down');
  t.equal(xCache(r), 'MISS');
});

t.test('stale-if-error after the upstream is killed (connection refused); the fallback once nothing stale is left', async (t) => {
  doomed.on('/killed/a', always(answer(200, {}, 'last words')));
  t.equal((await get(gw, '/killed/a')).text, 'last words');
  await sleep(1_200);
  await doomed.close();
  const r = await get(gw, '/killed/a');
  t.equal(r.status, 200);
  t.equal(r.text, 'last words');
  t.equal(xCache(r), 'STALE');
  t.match(cacheStatus(r), /^Tollgate; fwd=stale; ttl=-\d+; detail="stale-if-error: upstream failed"$/);
  const noFallback = await get(gw, '/kb/a');
  t.equal(noFallback.status, 502, 'no fallback on this route: the problem answer');
  t.equal(cacheStatus(noFallback), 'Tollgate; fwd=miss; detail="upstream failed"');
  const never = await get(gw, '/killed/never-cached');
  t.equal(never.status, 200, 'nothing stale: the fallback');
  t.same(never.json(), { fallback: true });
});

t.test('fallback: on refused, timed-out, reset and 5xx upstreams; not on 4xx', async (t) => {
  let mode = '503';
  up.on('/fb/a', async (_req, io) => {
    if (mode === '503') io.write(answer(503, {}, 'down'));
    else if (mode === '502') io.write(answer(502, {}, 'bad'));
    else if (mode === '404') io.write(answer(404, {}, 'nope'));
    else if (mode === 'slow') await io.sleep(2_500);
    else io.destroy();
  });
  for (const m of ['503', '502', 'slow', 'reset']) {
    mode = m;
    const r = await get(gw, '/fb/a');
    t.equal(r.status, 200, m);
    t.same(r.json(), { items: [] }, m);
    t.equal(r.headers['x-fallback'], 'yes');
    t.equal(r.headers['content-type'], 'application/json');
  }
  mode = '404';
  const notFound = await get(gw, '/fb/a');
  t.equal(notFound.status, 404, 'a 4xx is the upstream answering, not failing');
  t.equal(notFound.text, 'nope');
  mode = '503';
  const head = await get(gw, '/fb/a', { method: 'HEAD' });
  t.equal(head.status, 200);
  t.equal(head.text, '');
  t.equal(head.headers['content-length'], String('{"items":[]}'.length), 'the length of the fallback body');
  const refused = await get(gw, '/dead/a');
  t.equal(refused.status, 200, 'connection refused');
  t.same(refused.json(), { dead: true });
  const packed = await request(gw.url + '/dead/a', { headers: { accept: 'application/msgpack' } });
  t.equal(packed.statusCode, 200);
  t.equal(packed.headers['content-type'], 'application/msgpack', 'a MessagePack client gets the fallback translated');
  t.same(unpack(Buffer.from(await packed.body.arrayBuffer())), { dead: true });
});

t.test('a cached route with a fallback: stale first, the fallback when nothing is stored', async (t) => {
  let fail = false;
  up.on('/fbc/a', always(() => (fail ? answer(500, {}, 'x') : answer(200, {}, 'real'))));
  await get(gw, '/fbc/a');
  await sleep(1_200);
  fail = true;
  up.on('/fbc/b', always(answer(500, {}, 'x')));
  const stale = await get(gw, '/fbc/a');
  t.equal(stale.text, 'real');
  t.equal(xCache(stale), 'STALE');
  const fallback = await get(gw, '/fbc/b');
  t.equal(fallback.status, 203);
  t.equal(fallback.text, 'default');
  t.equal(fallback.headers['cache-control'], 'no-store');
});
