// Reloads: the first cached route arriving by reload opens the cache; a route whose config
// changes stops serving what it stored before the change; the stored entries survive reloads.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { request } from 'undici';
import { oneUpstreamYaml, writeConfig } from '../helpers/gateway-process.js';
import { answer, cachedGateway, get, scriptedUpstream, xCache, type GatewayProcess } from './fixtures/cache-fixture.js';

async function reload(gw: GatewayProcess, routes: string, url: string): Promise<number> {
  writeFileSync(gw.configFile, oneUpstreamYaml(url, { routes }));
  const res = await request(`${gw.adminUrl}/reload`, { method: 'POST' });
  await res.body.dump();
  return res.statusCode;
}

t.test('a reload adds the first cached route, changes it, and keeps what is still valid', async (t) => {
  const up = await scriptedUpstream(t);
  let n = 0;
  up.on('/r/a', (_req, io) => io.write(answer(200, { 'cache-control': 'max-age=60' }, `answer ${++n}`)));
  const plain = '  - { id: r, match: { path: /r/* }, upstream: rec }';
  const gw = await cachedGateway(t, up.url, plain, { configFile: writeConfig(oneUpstreamYaml(up.url, { routes: plain })), workers: 2 });
  t.equal((await get(gw, '/r/a')).headers['x-cache'], undefined, 'not cached yet');

  t.equal(await reload(gw, '  - { id: r, match: { path: /r/* }, upstream: rec, cache: {} }', up.url), 200);
  t.equal(xCache(await get(gw, '/r/a')), 'MISS');
  const hit = await get(gw, '/r/a');
  t.equal(xCache(hit), 'HIT', 'the cache opened by the reload serves');
  t.equal(hit.text, 'answer 2');

  const withHeader = '  - { id: r, match: { path: /r/* }, upstream: rec, cache: {}, headers: { response: { set: { x-new: yes } } } }';
  t.equal(await reload(gw, withHeader, up.url), 200);
  const changed = await get(gw, '/r/a');
  t.equal(xCache(changed), 'MISS', 'stored under the old route config: not served');
  t.equal(changed.headers['x-new'], 'yes');
  t.equal(xCache(await get(gw, '/r/a')), 'HIT');
  t.equal(await reload(gw, withHeader + '\n  - { id: other, match: { path: /o }, upstream: rec }', up.url), 200);
  t.equal(xCache(await get(gw, '/r/a')), 'HIT', 'a reload that leaves the route alone keeps its entries');
  t.equal(n, 3);
});
