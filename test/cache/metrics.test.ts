// tollgate_cache_total{route,result}: every answer of a cached route counted once by its X-Cache
// result, summed over the workers, in GET /metrics and as `cache` in GET /routes.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { fetchText } from '../system/fixtures/system-fixture.js';
import { parseMetrics, total } from '../helpers/prometheus.js';
import { answer, always, cachedGateway, get, scriptedUpstream, xCache } from './fixtures/cache-fixture.js';

const up = await scriptedUpstream(t);
const gw = await cachedGateway(t, up.url, `
  - { id: cached, match: { path: /c/* }, upstream: rec, cache: { ttl: 30s } }
  - { id: plain, match: { path: /p/* }, upstream: rec }
`, { workers: 2 });

async function cacheTotals(): Promise<Record<string, number>> {
  const families = parseMetrics((await fetchText(gw.adminUrl + '/metrics')).text);
  const out: Record<string, number> = {};
  for (const result of ['hit', 'stale', 'miss', 'bypass']) out[result] = total(families, 'tollgate_cache_total', { route: 'cached', result });
  return out;
}

t.test('hits, misses, stale answers and bypasses are counted by result, per route', async (t) => {
  up.on('/c/fresh', always(() => answer(200, { 'cache-control': 'max-age=60' }, 'fresh')));
  up.on('/c/swr', always(() => answer(200, { 'cache-control': 'max-age=1, stale-while-revalidate=60' }, 'swr')));
  up.on('/p/x', always(() => answer(200, { 'cache-control': 'max-age=60' }, 'plain')));

  const seen: string[] = [];
  seen.push(xCache(await get(gw, '/c/fresh')));
  for (let i = 0; i < 4; i++) seen.push(xCache(await get(gw, '/c/fresh')));
  seen.push(xCache(await get(gw, '/c/fresh', { headers: { authorization: 'Bearer one' } })));
  seen.push(xCache(await get(gw, '/c/swr')));
  await sleep(1_100);
  seen.push(xCache(await get(gw, '/c/swr')));
  await get(gw, '/p/x');
  t.same(seen, ['MISS', 'HIT', 'HIT', 'HIT', 'HIT', 'BYPASS', 'MISS', 'STALE'], 'the answers, as X-Cache labelled them');

  // The background refresh of /c/swr answers no client and is not counted.
  t.same(await cacheTotals(), { hit: 4, stale: 1, miss: 2, bypass: 1 }, 'each answer counted once, over both workers');
  const families = parseMetrics((await fetchText(gw.adminUrl + '/metrics')).text);
  t.equal(total(families, 'tollgate_cache_total', { route: 'plain' }), 0, 'a route without cache has no series');

  const routes = (await fetchText(gw.adminUrl + '/routes')).json() as { id: string; cache?: Record<string, number> }[];
  t.same(routes.find((r) => r.id === 'cached')?.cache, { hit: 4, stale: 1, miss: 2, bypass: 1 }, '/routes shows them under cache');
  t.equal(routes.find((r) => r.id === 'plain')?.cache, undefined);
});
