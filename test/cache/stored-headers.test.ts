// What a cache hit writes besides the stored answer: the stages outside the cache act on stored
// answers as on the upstream's. MessagePack translation sits outside the cache, which stores the
// upstream's JSON once and answers each client in its own format; a CORS route stores none of the
// upstream's access-control-* headers (the route's own are added to every answer); an upstream's
// own Server header is not doubled by serverTokens on a hit.
import t from 'tap';
import { pack, unpack } from 'msgpackr';
import { request } from 'undici';
import { answer, always, cachedGateway, scriptedUpstream } from './fixtures/cache-fixture.js';

const up = await scriptedUpstream(t);
const gw = await cachedGateway(t, up.url, `
  - { id: m, match: { path: /m/* }, upstream: rec, cache: { ttl: 30s } }
  - { id: c, match: { path: /c/* }, upstream: rec, cache: { ttl: 30s }, cors: { origins: ["https://app.example"] } }
  - { id: s, match: { path: /s/* }, upstream: rec, cache: { ttl: 30s } }
`, { extra: 'serverTokens: true' });

async function call(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const res = await request(gw.url + path, { headers });
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
}

const JSON_ANSWER = { user: { id: 7, name: 'Ada' }, tags: ['a', 'b'] };
const MSGPACK = { accept: 'application/msgpack' };

t.test('a JSON entry answers JSON and MessagePack clients, each in its own format', async (t) => {
  for (const [path, order] of [['/m/json-first', ['json', 'msgpack', 'json', 'msgpack']], ['/m/msgpack-first', ['msgpack', 'json', 'msgpack', 'json']]] as const) {
    up.on(path, always(() => answer(200, { 'cache-control': 'max-age=60', 'content-type': 'application/json' }, JSON.stringify(JSON_ANSWER))));
    const labels: string[] = [];
    for (const kind of order) {
      const r = await call(path, kind === 'msgpack' ? MSGPACK : {});
      labels.push(String(r.headers['x-cache']));
      t.equal(r.status, 200);
      if (kind === 'msgpack') {
        t.equal(r.headers['content-type'], 'application/msgpack', `${path}: a MessagePack client gets MessagePack`);
        t.same(unpack(r.body), JSON_ANSWER);
        t.match(String(r.headers['vary']), /accept/i);
        t.equal(r.headers['content-length'], String(r.body.length));
      } else {
        t.equal(r.headers['content-type'], 'application/json', `${path}: a JSON client gets JSON`);
        t.same(JSON.parse(r.body.toString()), JSON_ANSWER);
      }
    }
    t.same(labels, ['MISS', 'HIT', 'HIT', 'HIT'], `${path}: stored once, whoever asked first`);
    t.equal(up.requestsFor(path).length, 1, `${path}: one upstream request`);
  }
});

t.test('HEAD and a 304 from the cache carry the MessagePack content type for a MessagePack client', async (t) => {
  up.on('/m/etag', always(() => answer(200, { 'cache-control': 'max-age=60', 'content-type': 'application/json', etag: '"v1"' }, '{"a":1}')));
  t.equal((await call('/m/etag')).headers['x-cache'], 'MISS');
  const notModified = await call('/m/etag', { ...MSGPACK, 'if-none-match': '"v1"' });
  t.equal(notModified.status, 304);
  t.equal(notModified.headers['content-type'], 'application/msgpack');
  const head = await request(gw.url + '/m/etag', { method: 'HEAD', headers: MSGPACK });
  await head.body.dump();
  t.equal(head.statusCode, 200);
  t.equal(head.headers['content-type'], 'application/msgpack');
  t.equal(head.headers['x-cache'], 'HIT');
});

t.test('a MessagePack request body is still translated on a cached route (POST passes the cache)', async (t) => {
  up.on('/m/post', (req, io) => {
    void req.body.then((body) => io.write(answer(200, { 'content-type': 'application/json' }, JSON.stringify({ got: body.toString(), type: req.header('content-type')[0] }))));
  });
  const res = await request(gw.url + '/m/post', { method: 'POST', headers: { 'content-type': 'application/msgpack' }, body: pack({ x: 1 }) });
  const body = await res.body.json() as { got: string; type: string };
  t.equal(res.statusCode, 200);
  t.same(JSON.parse(body.got), { x: 1 });
  t.equal(body.type, 'application/json');
});

t.test("a CORS route's hit carries the route's CORS headers, never the upstream's stored ones", async (t) => {
  up.on('/c/x', always(() => answer(200, {
    'cache-control': 'max-age=60', 'content-type': 'text/plain',
    'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true', 'x-kept': 'yes',
  }, 'x')));
  const origin = { origin: 'https://app.example' };
  const miss = await call('/c/x', origin);
  const hit = await call('/c/x', origin);
  const foreign = await call('/c/x', { origin: 'https://evil.example' });
  t.equal(miss.headers['x-cache'], 'MISS');
  t.equal(hit.headers['x-cache'], 'HIT');
  for (const [label, r] of [['miss', miss], ['hit', hit]] as const) {
    t.equal(r.headers['access-control-allow-origin'], 'https://app.example', `${label}: the route's allow-origin, once`);
    t.equal(r.headers['access-control-allow-credentials'], undefined, `${label}: no upstream credentials header`);
    t.equal(r.headers['x-kept'], 'yes', `${label}: other upstream headers are kept`);
  }
  t.equal(foreign.headers['x-cache'], 'HIT');
  t.equal(foreign.headers['access-control-allow-origin'], undefined, 'an origin not allowed gets none, the stored * neither');
});

t.test('serverTokens adds no second Server header to a hit whose upstream named itself', async (t) => {
  up.on('/s/own', always(() => answer(200, { 'cache-control': 'max-age=60', 'content-type': 'text/plain', server: 'upstream/2.1' }, 'own')));
  up.on('/s/none', always(() => answer(200, { 'cache-control': 'max-age=60', 'content-type': 'text/plain' }, 'none')));
  for (const label of ['MISS', 'HIT']) {
    const own = await call('/s/own');
    t.equal(own.headers['x-cache'], label);
    t.equal(own.headers['server'], 'upstream/2.1', `${label}: the upstream's Server, once`);
    const none = await call('/s/none');
    t.equal(none.headers['x-cache'], label);
    t.match(String(none.headers['server']), /^tollgate\//, `${label}: the gateway's Server where the upstream sent none`);
    t.notOk(Array.isArray(none.headers['server']), `${label}: one Server header`);
  }
});
