// A cached route with `cors`: the CORS stage sits outside the cache, so an answer from the cache
// (replyStored) carries the allow headers computed for this request, like one from the upstream.
import t from 'tap';
import { answer, always, cachedGateway, get, scriptedUpstream, xCache } from './fixtures/cache-fixture.js';

const up = await scriptedUpstream(t);
const gw = await cachedGateway(t, up.url, `
  - { id: c, match: { path: /c/* }, upstream: rec, cache: { ttl: 30s }, cors: { origins: ["https://app.example"] } }
`);

t.test('a cache hit carries the CORS headers of its own request', async (t) => {
  up.on('/c/x', always(() => answer(200, { 'cache-control': 'max-age=60', 'content-type': 'text/plain' }, 'x')));
  const first = await get(gw, '/c/x', { headers: { origin: 'https://app.example' } });
  t.equal(xCache(first), 'MISS');
  t.equal(first.headers['access-control-allow-origin'], 'https://app.example');
  const hit = await get(gw, '/c/x', { headers: { origin: 'https://app.example' } });
  t.equal(xCache(hit), 'HIT');
  t.equal(hit.text, 'x');
  t.equal(hit.headers['access-control-allow-origin'], 'https://app.example', 'the allow header on the hit');
  const other = await get(gw, '/c/x', { headers: { origin: 'https://evil.example' } });
  t.equal(xCache(other), 'HIT');
  t.equal(other.headers['access-control-allow-origin'], undefined, 'none for an origin not allowed');
  t.equal(up.requestsFor('/c/x').length, 1);
});
