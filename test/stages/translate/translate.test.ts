// JSON <-> MessagePack through a real gateway in front of a real JSON upstream.
import http from 'node:http';
import { pack, unpack } from 'msgpackr';
import t from 'tap';
import { startGateway } from '../../helpers/gateway-process.js';
import { serveOnLoopback } from '../../helpers/listen.js';
import { fetchText } from '../../helpers/http-reply.js';
import { request } from 'undici';

async function call(url: string, opts: Parameters<typeof request>[1] = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  const res = await request(url, opts);
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
}

t.test('request and answer translation, aggregated answers, errors, translate: false', async (t) => {
  const seen: { type: string | undefined; body: string }[] = [];
  const big = { items: Array.from({ length: 3000 }, (_, i) => ({ id: i, name: `n${i}` })) };
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString();
      seen.push({ type: req.headers['content-type'], body });
      if (req.url!.startsWith('/broken')) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 5 });
        res.end('{nope');
        return;
      }
      if (req.url!.startsWith('/big')) {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }); // chunked: streamed
        res.end(JSON.stringify(big));
        return;
      }
      if (req.url!.startsWith('/text')) {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 5 });
        res.end('hello');
        return;
      }
      const answer = JSON.stringify({ echoed: body === '' ? null : JSON.parse(body), path: req.url });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
      res.end(answer);
    });
  });
  const port = await serveOnLoopback(t, server);
  const gw = await startGateway(`
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
log: { level: error, access: false }
upstreams:
  json: { targets: ['http://127.0.0.1:${port}'] }
routes:
  - { id: api, match: { path: /api/* }, upstream: json, rewrite: /* }
  - { id: off, match: { path: /off/* }, upstream: json, rewrite: /*, translate: false }
  - id: agg
    match: { path: /agg }
    aggregate:
      - { upstream: json, path: /a, as: a }
      - { upstream: json, path: /b, as: b, select: [path] }
`);
  t.teardown(() => gw.stop());
  const doc = { name: 'Ada', tags: ['x', 'y'], n: 1.5, nested: { ok: true, none: null } };

  const both = await call(`${gw.url}/api/echo`, { method: 'POST', body: pack(doc), headers: { 'content-type': 'application/msgpack', accept: 'application/msgpack' } });
  t.equal(both.status, 200);
  t.equal(both.headers['content-type'], 'application/msgpack');
  t.match(String(both.headers.vary), /Accept/);
  t.same(unpack(both.body), { echoed: doc, path: '/echo' }, 'round trip: msgpack up as JSON, JSON down as msgpack');
  t.same(seen.at(-1), { type: 'application/json', body: JSON.stringify(doc) }, 'the upstream got JSON');

  const jsonBack = await call(`${gw.url}/api/echo`, { method: 'POST', body: pack([1, 2]), headers: { 'content-type': 'application/msgpack' } });
  t.equal(jsonBack.headers['content-type'], 'application/json', 'no msgpack asked for: the JSON answer as is');
  t.same(JSON.parse(jsonBack.body.toString()), { echoed: [1, 2], path: '/echo' });

  const plain = await fetchText(`${gw.url}/api/echo`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
  t.same(plain.json(), { echoed: { a: 1 }, path: '/echo' }, 'JSON clients are untouched');
  t.equal(plain.headers.vary, undefined);

  const streamed = await call(`${gw.url}/api/big`, { headers: { accept: 'application/msgpack' } });
  t.equal(streamed.headers['content-type'], 'application/msgpack');
  t.same(unpack(streamed.body), big, 'a streamed (chunked) JSON answer is gathered and translated');

  const text = await call(`${gw.url}/api/text`, { headers: { accept: 'application/msgpack' } });
  t.equal(text.body.toString(), 'hello', 'answers that are not JSON pass unchanged');

  const agg = await call(`${gw.url}/agg`, { headers: { accept: 'application/msgpack' } });
  t.same(unpack(agg.body), { a: { echoed: null, path: '/a' }, b: { path: '/b' } }, 'aggregated answers are translated too');

  const badIn = await call(`${gw.url}/api/echo`, { method: 'POST', body: Buffer.from([0x92, 0x01]), headers: { 'content-type': 'application/msgpack' } });
  t.equal(badIn.status, 400);
  t.equal(badIn.headers['content-type'], 'application/problem+json');
  t.match(badIn.body.toString(), /not valid MessagePack/);
  const binary = await call(`${gw.url}/api/echo`, { method: 'POST', body: pack({ b: Buffer.from([1, 2]) }), headers: { 'content-type': 'application/msgpack' } });
  t.equal(binary.status, 400, 'binary has no JSON form');
  const c1 = await call(`${gw.url}/api/echo`, { method: 'POST', body: Buffer.from([0xc1]), headers: { 'content-type': 'application/msgpack' } });
  t.equal(c1.status, 400, 'the reserved 0xc1 byte');

  const badUp = await call(`${gw.url}/api/broken`, { headers: { accept: 'application/msgpack' } });
  t.equal(badUp.status, 502);
  t.equal(badUp.headers['content-type'], 'application/problem+json');

  const off = await call(`${gw.url}/off/echo`, { method: 'POST', body: '{"a":2}', headers: { 'content-type': 'application/json', accept: 'application/msgpack' } });
  t.equal(off.headers['content-type'], 'application/json', 'translate: false leaves answers alone');
  const offIn = await call(`${gw.url}/off/text`, { method: 'POST', body: pack({ a: 1 }), headers: { 'content-type': 'application/msgpack' } });
  t.equal(seen.at(-1)?.type, 'application/msgpack', 'and request bodies');
  t.equal(offIn.status, 200);
});
