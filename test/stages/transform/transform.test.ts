// Route `transform` through a real gateway in front of a real upstream: every operation with
// nested paths and lists, their order, request bodies, bodies that are not JSON, answers larger
// than maxBody, HEAD, 204/304, chunked answers, MessagePack clients and aggregated answers.
import http from 'node:http';
import { gzipSync, gunzipSync } from 'node:zlib';
import { pack, unpack } from 'msgpackr';
import t from 'tap';
import { request } from 'undici';
import { startGateway } from '../../helpers/gateway-process.js';
import { serveOnLoopback } from '../../helpers/listen.js';

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; json: () => any }

async function call(url: string, opts: Parameters<typeof request>[1] = {}): Promise<Answer> {
  const res = await request(url, opts);
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body, json: () => JSON.parse(body.toString()) };
}

const DOC = {
  id: 7,
  name: 'Ada',
  profile: { email: 'ada@example.com', phone: '555', address: { city: 'London', zip: 'N1' } },
  items: [{ sku: 'a', price: 1, secret: 's1' }, { sku: 'b', price: 2, secret: 's2' }],
  internal: { token: 'x' },
};
const LIST = [{ id: 1, secret: 'p', name: 'one' }, { id: 2, secret: 'q', name: 'two' }];
const GZIPPED = gzipSync(JSON.stringify(DOC));
const BIG = { filler: 'x'.repeat(5000), secret: 'visible when untransformed' };

interface Seen { type: string | undefined; length: string | undefined; acceptEncoding: string | undefined; body: string }

/** What the upstream answers on each path; /echo answers the request body it got. */
function upstream(seen: Seen[]): http.Server {
  return http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString();
      seen.push({ type: req.headers['content-type'], length: req.headers['content-length'], acceptEncoding: req.headers['accept-encoding'], body });
      const json = (status: number, value: unknown, type = 'application/json'): void => {
        const text = JSON.stringify(value);
        res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), etag: '"v1"' });
        res.end(text);
      };
      const path = req.url!.split('?')[0]!.replace(/^\/[a-z-]+/, ''); // the route prefix is the route's
      switch (path) {
        case '/doc': return json(200, DOC);
        case '/list': return json(200, LIST);
        case '/vendor': return json(200, DOC, 'application/vnd.example+json; charset=utf-8');
        case '/chunked': // no Content-Length: streamed in pieces
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(JSON.stringify(DOC).slice(0, 20));
          setTimeout(() => res.end(JSON.stringify(DOC).slice(20)), 20);
          return;
        case '/big': return json(200, BIG);
        case '/big-chunked':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(JSON.stringify(BIG).slice(0, 3000));
          setTimeout(() => res.end(JSON.stringify(BIG).slice(3000)), 20);
          return;
        case '/broken':
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': 5 });
          return res.end('{nope');
        case '/text':
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 5 });
          return res.end('hello');
        case '/missing': return json(404, { error: 'no such thing', id: 7 });
        case '/empty':
          res.writeHead(204, { 'content-type': 'application/json' });
          return res.end();
        case '/cached':
          res.writeHead(304, { 'content-type': 'application/json', etag: '"v1"' });
          return res.end();
        case '/echo': return json(200, { got: body === '' ? null : body });
        case '/gzip': // compressed whatever the request asked for
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': GZIPPED.length });
          return res.end(GZIPPED);
        default: return json(404, { error: path });
      }
    });
  });
}

t.test('response and request transforms through a real gateway', async (t) => {
  const seen: Seen[] = [];
  const server = upstream(seen);
  const port = await serveOnLoopback(t, server);
  const gw = await startGateway(`
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
log: { level: warn, access: false }
upstreams:
  json: { targets: ['http://127.0.0.1:${port}'] }
  dead: { targets: ['http://127.0.0.1:1'] }
routes:
  - id: fb
    match: { path: /fb }
    upstream: dead
    fallback: { status: 200, json: { id: 1, secret: as written } }
    transform: { response: { json: { remove: [secret] } } }
  - id: plain
    match: { path: /plain/* }
    upstream: json
  - id: shape
    match: { path: /shape/* }
    upstream: json
    transform:
      response:
        json:
          select: [id, name, profile.email, profile.address.city, items.sku, items.secret]
          remove: [items.secret]
          rename: { name: person.name, profile.address.city: profile.city, items.sku: items.code }
          wrap: data.result
  - id: order
    match: { path: /order/* }
    upstream: json
    transform:
      response: { json: { select: [id, profile], remove: [profile.address.zip], rename: { id: key, profile.address: where }, wrap: w } }
      request: { json: { remove: [tmp], rename: { a: b.a }, set: { b.added: true, tmp: 1, c: { d: [1, 2] } } } }
  - id: list
    match: { path: /list/* }
    upstream: json
    transform: { response: { json: { remove: [secret], rename: { id: key } } } }
  - id: strict
    match: { path: /strict/* }
    upstream: json
    transform:
      response: { json: { remove: [internal] }, maxBody: 1kb }
      request: { json: { remove: [password] } }
  - id: lenient
    match: { path: /lenient/* }
    upstream: json
    transform:
      response: { json: { remove: [internal] }, onInvalid: pass }
      request: { json: { remove: [password] }, onInvalid: pass }
  - id: cached
    match: { path: /cached/*, methods: [GET] }
    upstream: json
    cache: { ttl: 1h }
    transform: { response: { json: { remove: [secret], rename: { id: key } } } }
  - id: agg
    match: { path: /agg }
    aggregate:
      - { upstream: json, path: /x/doc, as: doc, select: [name, items] }
      - { upstream: json, path: /x/list, as: list }
    transform: { response: { json: { remove: [doc.items.price, list.secret], wrap: all } } }
`);
  t.teardown(() => gw.stop());

  await t.test('every response operation, nested and through lists, in the order select, remove, rename, wrap', async (t) => {
    const res = await call(`${gw.url}/shape/doc`);
    t.equal(res.status, 200);
    t.same(res.json(), {
      data: { result: {
        id: 7,
        person: { name: 'Ada' },
        profile: { email: 'ada@example.com', address: {}, city: 'London' },
        items: [{ code: 'a' }, { code: 'b' }],
      } },
    });
    t.equal(res.headers['content-length'], String(res.body.length), 'Content-Length is that of the new body');
    t.equal(res.headers['content-type'], 'application/json');

    const order = await call(`${gw.url}/order/doc`);
    // select before remove and rename: profile kept whole, then its zip dropped, then its address
    // moved (a rename before remove would have left the zip under "where").
    t.same(order.json(), { w: { key: 7, profile: { email: 'ada@example.com', phone: '555' }, where: { city: 'London' } } });

    const list = await call(`${gw.url}/list/list`);
    t.same(list.json(), [{ key: 1, name: 'one' }, { key: 2, name: 'two' }], 'a top-level list: each element');

    const chunked = await call(`${gw.url}/shape/chunked`);
    t.same(chunked.json(), (await call(`${gw.url}/shape/doc`)).json(), 'a chunked answer is gathered and transformed');
    t.equal(chunked.headers['content-length'], String(chunked.body.length));
    t.equal(chunked.headers['transfer-encoding'], undefined);

    const vendor = await call(`${gw.url}/list/vendor`);
    t.equal(vendor.json().key, 7, 'a +json type is JSON too');
    t.equal(vendor.headers['content-type'], 'application/vnd.example+json; charset=utf-8');

    const plain = await call(`${gw.url}/plain/doc`);
    t.same(plain.json(), DOC, 'a route without transform passes the body as is');
  });

  await t.test('answers that are not transformed: errors, non-JSON, HEAD, 204, 304', async (t) => {
    const missing = await call(`${gw.url}/shape/missing`);
    t.equal(missing.status, 404);
    t.same(missing.json(), { error: 'no such thing', id: 7 }, 'an error answer reaches the client as sent');

    const text = await call(`${gw.url}/strict/text`);
    t.equal(text.body.toString(), 'hello', 'a body not labelled JSON passes');

    const broken = await call(`${gw.url}/strict/broken`);
    t.equal(broken.status, 502, 'onInvalid: error (the default): a body labelled JSON that does not parse is a 502');
    t.equal(broken.headers['content-type'], 'application/problem+json');
    const gzip = await call(`${gw.url}/strict/gzip`, { headers: { 'accept-encoding': 'gzip' } });
    t.equal(seen.at(-1)!.acceptEncoding, undefined, 'a transformed route asks its upstream for uncompressed answers');
    t.equal(gzip.status, 502, 'a compressed answer cannot be transformed: onInvalid: error');
    const gzipPassed = await call(`${gw.url}/lenient/gzip`);
    t.equal(gzipPassed.headers['content-encoding'], 'gzip');
    t.same(JSON.parse(gunzipSync(gzipPassed.body).toString()), DOC, 'onInvalid: pass: sent as it came');
    await call(`${gw.url}/plain/doc`, { headers: { 'accept-encoding': 'gzip' } });
    t.equal(seen.at(-1)!.acceptEncoding, 'gzip', 'a route without transform forwards Accept-Encoding');
    const passed = await call(`${gw.url}/lenient/broken`);
    t.equal(passed.status, 200);
    t.equal(passed.body.toString(), '{nope', 'onInvalid: pass sends it untouched');

    const head = await call(`${gw.url}/shape/doc`, { method: 'HEAD' });
    t.equal(head.status, 200);
    t.equal(head.body.length, 0);
    t.not(head.headers['content-length'], String(JSON.stringify(DOC).length), "HEAD does not announce the untransformed body's length");

    const empty = await call(`${gw.url}/shape/empty`);
    t.equal(empty.status, 204);
    t.equal(empty.body.length, 0);
    const notModified = await call(`${gw.url}/shape/cached`, { headers: { 'if-none-match': '"v1"' } });
    t.equal(notModified.status, 304);
    t.equal(notModified.body.length, 0);
    t.equal(notModified.headers.etag, '"v1"');
  });

  await t.test('an answer larger than maxBody streams through untransformed, with one warning', async (t) => {
    const big = await call(`${gw.url}/strict/big`);
    t.equal(big.status, 200);
    t.same(big.json(), BIG, 'untransformed');
    t.equal(big.headers['content-length'], String(Buffer.byteLength(JSON.stringify(BIG))));
    const warning = await gw.waitForLog((l) => l['msg'] === 'answer larger than transform.response.maxBody: sent untransformed');
    t.equal(warning['route'], 'strict');
    t.equal(warning['maxBody'], 1024);

    const bigChunked = await call(`${gw.url}/strict/big-chunked`);
    t.same(bigChunked.json(), BIG, 'a chunked one too, once it grows past maxBody');
    const small = await call(`${gw.url}/strict/doc`);
    t.equal(small.json().internal, undefined, 'a small answer on the same route is transformed');
    await new Promise((r) => setTimeout(r, 100));
    t.equal(gw.logs.filter((l) => l['msg'] === warning['msg']).length, 1, 'the second oversized answer within the minute is not logged again');
  });

  await t.test('request bodies: remove, rename, set in that order; invalid JSON; other types', async (t) => {
    const sent = JSON.stringify({ a: 1, tmp: 'gone', keep: true });
    const res = await call(`${gw.url}/order/echo`, { method: 'POST', body: sent, headers: { 'content-type': 'application/json' } });
    t.equal(res.status, 200);
    const got = seen.at(-1)!;
    // set after remove: tmp is back with the set value; set after rename: b has both fields.
    t.same(JSON.parse(got.body), { keep: true, b: { a: 1, added: true }, tmp: 1, c: { d: [1, 2] } });
    t.equal(got.length, String(Buffer.byteLength(got.body)), 'the upstream gets the new Content-Length');

    await call(`${gw.url}/strict/echo`, { method: 'PUT', body: '{"user":"u","password":"p"}', headers: { 'content-type': 'application/merge-patch+json' } });
    t.same(JSON.parse(seen.at(-1)!.body), { user: 'u' }, 'a +json request body');

    const bad = await call(`${gw.url}/strict/echo`, { method: 'POST', body: '{"password":', headers: { 'content-type': 'application/json' } });
    t.equal(bad.status, 400, 'onInvalid: error: a client body labelled JSON that does not parse is a 400');
    t.equal(bad.headers['content-type'], 'application/problem+json');
    const before = seen.length;
    await call(`${gw.url}/lenient/echo`, { method: 'POST', body: '{"password":', headers: { 'content-type': 'application/json' } });
    t.equal(seen.length, before + 1);
    t.equal(seen.at(-1)!.body, '{"password":', 'onInvalid: pass: sent on untouched');

    const coded = await call(`${gw.url}/strict/echo`, { method: 'POST', body: gzipSync('{"password":"p"}'), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    t.equal(coded.status, 400, 'a compressed JSON body cannot be transformed: onInvalid: error');
    t.match(coded.body.toString(), /content-coded/);

    await call(`${gw.url}/strict/echo`, { method: 'POST', body: 'password=p', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    t.equal(seen.at(-1)!.body, 'password=p', 'a body not labelled JSON is not read');
  });

  await t.test('MessagePack clients get the transformed answer translated; their bodies are transformed as JSON', async (t) => {
    const res = await call(`${gw.url}/list/list`, { headers: { accept: 'application/msgpack' } });
    t.equal(res.headers['content-type'], 'application/msgpack');
    t.same(unpack(res.body), [{ key: 1, name: 'one' }, { key: 2, name: 'two' }]);

    const up = await call(`${gw.url}/order/echo`, { method: 'POST', body: pack({ a: 5, tmp: 0 }), headers: { 'content-type': 'application/msgpack', accept: 'application/msgpack' } });
    t.same(JSON.parse(seen.at(-1)!.body), { b: { a: 5, added: true }, tmp: 1, c: { d: [1, 2] } }, 'translated to JSON, then transformed');
    t.equal(seen.at(-1)!.type, 'application/json');
    t.same(unpack(up.body), { w: {} }, 'the echo answer, transformed (select keeps none of its fields) and translated');
  });

  await t.test('the cache stores the transformed answer; a hit is translated for a MessagePack client', async (t) => {
    const first = await call(`${gw.url}/cached/list`);
    const calls = seen.length;
    const hit = await call(`${gw.url}/cached/list`);
    t.equal(hit.headers['x-cache'], 'HIT');
    t.equal(seen.length, calls, 'no upstream call');
    t.same(hit.json(), [{ key: 1, name: 'one' }, { key: 2, name: 'two' }]);
    t.same(hit.json(), first.json());
    t.equal(hit.headers['content-length'], String(hit.body.length));
    const packed = await call(`${gw.url}/cached/list`, { headers: { accept: 'application/msgpack' } });
    t.equal(packed.headers['x-cache'], 'HIT');
    t.equal(packed.headers['content-type'], 'application/msgpack');
    t.same(unpack(packed.body), [{ key: 1, name: 'one' }, { key: 2, name: 'two' }]);
  });

  await t.test('a fallback answer is sent as configured', async (t) => {
    const res = await call(`${gw.url}/fb`);
    t.equal(res.status, 200);
    t.same(res.json(), { id: 1, secret: 'as written' });
  });

  await t.test('aggregated answers are transformed', async (t) => {
    const res = await call(`${gw.url}/agg`);
    t.same(res.json(), { all: { doc: { name: 'Ada', items: [{ sku: 'a', secret: 's1' }, { sku: 'b', secret: 's2' }] }, list: [{ id: 1, name: 'one' }, { id: 2, name: 'two' }] } });
    t.equal(res.headers['content-length'], String(res.body.length));
  });
});
