// API keys and consumers, end to end: a real gateway in front of the demo echo service, which
// answers what reached it (so each test sees what the upstream got).
import t from 'tap';
import { request } from 'undici';
import { startProxyFixture, type ProxyFixture } from '../proxy/fixture.js';

const ACME = 'acme-key-0123456789abcdef';
const GLOBEX = 'globex-key-0123456789abcdef';
let fx: ProxyFixture;

t.before(async () => {
  fx = await startProxyFixture(() => `
  - { id: keyed, match: { path: /keyed/* }, upstream: users, rewrite: /echo/*, auth: [apiKey] }
  - { id: public, match: { path: /public/* }, upstream: users, rewrite: /echo/* }
  - { id: keyed-respond, match: { path: /answer }, respond: { json: { ok: true } }, auth: [apiKey] }
`, `
log: { level: info, access: true, accessFields: [route, status, query, consumer, requestId] }
auth:
  apiKey: { header: x-api-key, query: api_key }
consumers:
  acme: { apiKeys: ["\${ACME_KEY}"] }
  globex: { apiKeys: ["${GLOBEX}", "second-globex-key-0123456789"] }
`, { ACME_KEY: ACME });
});
t.teardown(() => fx.close());

interface Echo { url: string; headers: Record<string, string> }

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await request(fx.gw.url + path, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, echo: res.statusCode === 200 ? (JSON.parse(text) as Echo) : null };
}

t.test('the right key in the header: the upstream gets X-Consumer-Id and never the key', async (t) => {
  const r = await get('/keyed/a?x=1', { 'x-api-key': ACME });
  t.equal(r.status, 200);
  t.equal(r.echo!.headers['x-consumer-id'], 'acme');
  t.notOk('x-api-key' in r.echo!.headers, 'the key header is removed');
  t.notMatch(JSON.stringify(r.echo), ACME);
  t.equal(r.echo!.url, '/echo/a?x=1');
  const second = await get('/keyed/a', { 'x-api-key': 'second-globex-key-0123456789' });
  t.equal(second.echo!.headers['x-consumer-id'], 'globex', 'every key of a consumer names it');
});

t.test('the key as a query parameter is accepted and removed from the query sent upstream', async (t) => {
  const r = await get(`/keyed/q?x=1&api_key=${GLOBEX}&y=2`);
  t.equal(r.status, 200);
  t.equal(r.echo!.url, '/echo/q?x=1&y=2', 'other parameters pass unchanged, in order');
  t.equal(r.echo!.headers['x-consumer-id'], 'globex');
  const only = await get(`/keyed/q?api_key=${encodeURIComponent(GLOBEX)}`);
  t.equal(only.echo!.url, '/echo/q', 'a query left empty is dropped with its "?"');
  const line = await fx.gw.waitForLog((l) => l.msg === 'request' && l.route === 'keyed' && l.query === 'x=1&y=2');
  t.equal(line.consumer, 'globex', 'the access log names the consumer');
  t.notMatch(JSON.stringify(fx.gw.logs), GLOBEX, 'no log line holds the key');
});

t.test('a wrong key is 401 with an ApiKey challenge saying so, and never echoed', async (t) => {
  const r = await get('/keyed/a', { 'x-api-key': 'wrong-key-0123456789abcdef' });
  t.equal(r.status, 401);
  t.equal(r.headers['content-type'], 'application/problem+json');
  t.same(r.headers['www-authenticate'], 'ApiKey header="x-api-key", query="api_key", error="invalid_key"');
  const body = JSON.parse(r.text) as { detail: string; instance: string };
  t.equal(body.detail, 'The API key is not valid.');
  t.notMatch(r.text, 'wrong-key');
  const viaQuery = await get('/keyed/a?api_key=nope');
  t.equal(viaQuery.status, 401);
  const line = await fx.gw.waitForLog((l) => l.msg === 'request' && l.requestId === body.instance);
  t.equal(line.consumer, null);
  t.equal(line.status, 401);
});

t.test('no key is 401 with a challenge and no error parameter', async (t) => {
  const r = await get('/keyed/a', { authorization: 'Bearer abc.def.ghi' });
  t.equal(r.status, 401, 'a bearer token is no credential on an apiKey-only route');
  t.same(r.headers['www-authenticate'], 'ApiKey header="x-api-key", query="api_key"');
  t.match(JSON.parse(r.text), { detail: 'This route needs credentials: an API key (x-api-key header).' });
});

t.test('two keys (header and parameter, or two header lines) are refused, even when one is right', async (t) => {
  t.equal((await get(`/keyed/a?api_key=${ACME}`, { 'x-api-key': ACME })).status, 401);
  const res = await request(fx.gw.url + '/keyed/a', { headers: ['x-api-key', ACME, 'x-api-key', GLOBEX] });
  t.equal(res.statusCode, 401);
  t.match(await res.body.json(), { detail: 'The request carries more than one API key.' });
});

t.test('a client-sent X-Consumer-Id never reaches the upstream, on public and keyed routes', async (t) => {
  const pub = await get('/public/a', { 'x-consumer-id': 'admin', 'x-api-key': ACME });
  t.equal(pub.status, 200);
  t.notOk('x-consumer-id' in pub.echo!.headers, 'public route: removed');
  t.equal(pub.echo!.headers['x-api-key'], ACME, 'a public route has no auth stage: headers pass as sent');
  const keyed = await get('/keyed/a', { 'x-consumer-id': 'admin', 'x-api-key': ACME });
  t.equal(keyed.echo!.headers['x-consumer-id'], 'acme', 'replaced by the authenticated one');
});

t.test('a respond route behind apiKey answers only with a key', async (t) => {
  t.equal((await get('/answer')).status, 401);
  const ok = await get('/answer', { 'x-api-key': ACME });
  t.equal(ok.status, 200);
  t.equal(ok.text, '{"ok":true}');
});

t.test('/config shows each API key as a fingerprint, never the key', async (t) => {
  const res = await request(fx.gw.adminUrl + '/config');
  const text = await res.body.text();
  t.notMatch(text, ACME);
  t.notMatch(text, GLOBEX);
  const config = JSON.parse(text) as { consumers: Record<string, { apiKeys: string[] }> };
  t.match(config.consumers.acme!.apiKeys, [/^sha256:[0-9a-f]{8}$/]);
  t.equal(config.consumers.globex!.apiKeys.length, 2);
});
