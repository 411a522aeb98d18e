// The LMDB files outlive the process; the admin API purges by path prefix and by key, and every
// worker stops serving a purged entry at once; a data directory the cache cannot use stops start.
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { request } from 'undici';
import { runCli, writeConfig } from '../helpers/gateway-process.js';
import { oneUpstreamYaml } from '../helpers/gateway-process.js';
import { fetchOnNewConnection, poll } from '../system/fixtures/system-fixture.js';
import { answer, cachedGateway, get, scriptedUpstream, xCache, type GatewayProcess } from './fixtures/cache-fixture.js';

const ROUTES = `
  - { id: c, match: { path: /api/* }, upstream: rec, cache: { ttl: 60s } }
`;

async function purge(gw: GatewayProcess, query: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await request(`${gw.adminUrl}/cache?${query}`, { method: 'DELETE' });
  return { status: res.statusCode, body: await res.body.json() as Record<string, unknown> };
}

t.test('entries survive a restart: the second process answers from the files, Age carried on', async (t) => {
  const up = await scriptedUpstream(t);
  up.on('/api/kept', (_req, io) => io.write(answer(200, {}, 'stored before the restart')));
  const configFile = writeConfig(oneUpstreamYaml(up.url, { routes: ROUTES }));
  const before = await cachedGateway(t, up.url, ROUTES, { configFile });
  t.equal(xCache(await get(before, '/api/kept')), 'MISS');
  await before.stop();
  t.equal(await before.exited, 0);
  await new Promise((r) => setTimeout(r, 1_100));
  const after = await cachedGateway(t, up.url, ROUTES, { configFile });
  const r = await get(after, '/api/kept');
  t.equal(xCache(r), 'HIT');
  t.equal(r.text, 'stored before the restart');
  t.ok(Number(r.headers['age']) >= 1, `Age ${String(r.headers['age'])} counts the time across the restart`);
  t.equal(up.requestsFor('/api/kept').length, 1);
});

t.test('purge by prefix and by key, seen by every worker at once', async (t) => {
  const up = await scriptedUpstream(t);
  let version = 1;
  for (const path of ['/api/users/1', '/api/users/2', '/api/orders/1', '/api/q']) {
    up.on(path, (req, io) => io.write(answer(200, { vary: 'accept-language' }, `${req.target} v${version}`)));
  }
  const gw = await cachedGateway(t, up.url, ROUTES, { workers: 2 });
  const fill = async (path: string, lang = 'en') => (await fetchOnNewConnection(gw.url + path, { headers: { 'accept-language': lang } })).text;
  for (const path of ['/api/users/1', '/api/users/2', '/api/orders/1', '/api/q?b=2&a=1']) await fill(path);
  await fill('/api/users/1', 'fr');
  version = 2;
  t.equal(await fill('/api/users/1'), '/api/users/1 v1', 'stored');
  // A miss is answered before its entry commits: wait until the last one is there.
  const fr = () => fetchOnNewConnection(gw.url + '/api/users/1', { headers: { 'accept-language': 'fr' } });
  t.ok(await poll(async () => xCache(await fr()) === 'HIT', 2_000), 'the second variant stored');

  t.same(await purge(gw, 'prefix=/api/users'), { status: 200, body: { removed: 3 } }, 'two resources, one in two variants');
  // Many new connections: both workers answer some; none may serve a purged entry.
  const after = await Promise.all(Array.from({ length: 16 }, () => fill('/api/users/1')));
  t.ok(after.every((text) => text === '/api/users/1 v2'), 'no worker served the purged entry');
  t.equal(await fill('/api/users/2'), '/api/users/2 v2');
  t.equal(await fill('/api/orders/1'), '/api/orders/1 v1', 'outside the prefix: kept');

  t.same(await purge(gw, 'key=' + encodeURIComponent('/api/q?a=1&b=2')), { status: 200, body: { removed: 1 } }, 'a key in any query order');
  t.equal(await fill('/api/q?b=2&a=1'), '/api/q?b=2&a=1 v2');
  t.same(await purge(gw, 'key=/api/orders/1&host=elsewhere.example'), { status: 200, body: { removed: 0 } }, 'another host: nothing');
  t.same(await purge(gw, 'key=/api/orders/1&host=127.0.0.1'), { status: 200, body: { removed: 1 } });
  t.same(await purge(gw, 'key=/api/orders/1'), { status: 200, body: { removed: 0 } }, 'gone already');

  const bad = await purge(gw, 'prefix=/a&key=/b');
  t.equal(bad.status, 400);
  t.equal((await purge(gw, 'prefix=api')).status, 400, 'a prefix is a path');
  t.equal((await purge(gw, 'prefix=/a/../../x')).status, 400, 'a path that escapes the root');
  const wrongMethod = await request(`${gw.adminUrl}/cache?prefix=/`, { method: 'GET' });
  t.equal(wrongMethod.statusCode, 405);
  t.equal(wrongMethod.headers['allow'], 'DELETE');
  await wrongMethod.body.dump();
});

t.test('a data directory the cache cannot use stops the start with its path named', async (t) => {
  const up = await scriptedUpstream(t);
  const corrupted = writeConfig(oneUpstreamYaml(up.url, { routes: ROUTES }));
  const cacheDir = join(dirname(corrupted), 'data', 'cache');
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(join(cacheDir, 'data.mdb'), Buffer.alloc(64 * 1024, 0x5a));
  const r = await runCli(['start', '-c', corrupted]);
  t.equal(r.code, 1);
  t.match(r.stderr, `cache: cannot open the LMDB environment in ${cacheDir}`);
  t.match(r.stderr, 'a corrupted data.mdb can be deleted');

  // The data directory itself is usable (usage metering keeps dataDir/usage there); its cache/ is not.
  const unwritable = writeConfig(oneUpstreamYaml(up.url, { routes: ROUTES }));
  const blockedCache = join(dirname(unwritable), 'data', 'cache');
  mkdirSync(dirname(blockedCache), { recursive: true });
  writeFileSync(blockedCache, 'a file where the cache directory should be');
  const r2 = await runCli(['start', '-c', unwritable]);
  t.equal(r2.code, 1);
  t.match(r2.stderr, `cache: cannot open the LMDB environment in ${blockedCache}`);

  const uncached = writeConfig(oneUpstreamYaml(up.url, {}));
  const untouched = join(dirname(uncached), 'data', 'cache');
  mkdirSync(dirname(untouched), { recursive: true });
  writeFileSync(untouched, 'no route caches: never opened');
  const gw = await cachedGateway(t, up.url, '  - { id: p, match: { path: /p }, upstream: rec }', { configFile: uncached });
  t.equal((await get(gw, '/p')).status, 404, 'without a cached route the cache directory is not opened');
});

t.test('workers answering from their in-memory copies see a purge and a refill at once', async (t) => {
  // Once the cache has been steady for a second, each worker answers hits from its own copies
  // (src/cache/hot-entries.ts); any committed change, on any worker, drops them.
  const up = await scriptedUpstream(t);
  let version = 1;
  up.on('/hot/a', (req, io) => io.write(answer(200, { 'cache-control': 'max-age=2' }, `${req.target} v${version}`)));
  const routes = `
  - { id: hot, match: { path: /hot/* }, upstream: rec, cache: { ttl: 60s } }
`;
  const gw = await cachedGateway(t, up.url, routes, { workers: 2 });
  const fetchMany = async (): Promise<string[]> => (await Promise.all(Array.from({ length: 16 }, () => fetchOnNewConnection(gw.url + '/hot/a')))).map((r) => `${xCache(r)} ${r.text}`);
  t.equal(xCache(await get(gw, '/hot/a')), 'MISS');
  await new Promise((r) => setTimeout(r, 1_200));
  t.same(new Set(await fetchMany()), new Set(['HIT /hot/a v1']), 'steady: every worker answers v1 (from its copy)');
  t.same(new Set(await fetchMany()), new Set(['HIT /hot/a v1']));

  version = 2;
  t.same(await purge(gw, 'key=/hot/a'), { status: 200, body: { removed: 1 } });
  const afterPurge = await fetchMany();
  t.ok(afterPurge.every((line) => line.endsWith('v2')), `no worker answered from a purged copy: ${afterPurge.join(', ')}`);

  // Steady again, copies of v2 on both workers; the entry goes stale (max-age=2), one request
  // refills it with v3 on one worker, and from then on no worker may answer v2.
  await new Promise((r) => setTimeout(r, 1_200));
  t.same(new Set(await fetchMany()), new Set(['HIT /hot/a v2']));
  version = 3;
  t.ok(await poll(async () => (await get(gw, '/hot/a')).text.endsWith('v3'), 5_000), 'the stale entry was refilled with v3');
  const afterRefill = await fetchMany();
  t.ok(afterRefill.every((line) => line.endsWith('v3')), `no worker answered from an old copy: ${afterRefill.join(', ')}`);
});
