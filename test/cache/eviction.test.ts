// cache.maxSize holds while traffic runs: the supervisor's evictor removes expired entries, then
// the least recently used, in the background; no write fails; a key kept in use stays.
import t from 'tap';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openLmdbCacheStore } from '../../dist/cache/lmdb-store.js';
import { poll } from '../system/fixtures/system-fixture.js';
import { answer, cachedGateway, get, scriptedUpstream, xCache } from './fixtures/cache-fixture.js';

const MAX_SIZE = 1024 * 1024;
const BODY = 40 * 1024;

t.test('past maxSize, expired then least recently used entries go; traffic never waits or fails', async (t) => {
  const up = await scriptedUpstream(t);
  up.on('/e/short', (req, io) => io.write(answer(200, { 'cache-control': 'max-age=1' }, 'e'.repeat(BODY))));
  for (let i = 0; i < 80; i++) up.on(`/e/${i}`, (_req, io) => io.write(answer(200, { 'cache-control': 'max-age=600' }, String(i % 10).repeat(BODY))));
  up.on('/e/hot', (_req, io) => io.write(answer(200, { 'cache-control': 'max-age=600' }, 'h'.repeat(BODY))));
  const gw = await cachedGateway(t, up.url, `
  - { id: e, match: { path: /e/* }, upstream: rec, cache: {} }
`, { extra: 'cache: { maxSize: 1mb, maxEntrySize: 64kb }', workers: 2, logLevel: 'info' });
  const dataDir = join(dirname(gw.configFile), 'data');

  // A short-lived entry first: expired by the time the cache fills, it is the first to go.
  await get(gw, '/e/short');
  await sleep(1_100);
  await get(gw, '/e/hot');
  for (let i = 0; i < 80; i++) {
    const r = await get(gw, `/e/${i}`);
    t.equal(r.text.length, BODY, `answer ${i} whole`);
    if (i % 8 === 0) t.equal(xCache(await get(gw, '/e/hot')), 'HIT', `the hot key still served after ${i} fills`);
  }
  t.ok(await poll(() => gw.logs.some((l) => l.msg === 'cache: entries evicted'), 5_000), 'the evictor ran');
  const runs = gw.logs.filter((l) => l.msg === 'cache: entries evicted');
  t.ok(runs.some((l) => (l.expired as number) >= 1), 'the expired entry went');
  t.ok(runs.some((l) => (l.evicted as number) >= 1), 'least recently used entries went');
  t.notOk(gw.logs.some((l) => l.msg === 'cache: storing an answer failed'), 'no write failed');

  // Once the evictor caught up, the pages in use are within maxSize again.
  const store = openLmdbCacheStore(dataDir, MAX_SIZE);
  t.teardown(() => store.close());
  t.ok(await poll(() => {
    store.refresh();
    return store.usedBytes() <= MAX_SIZE;
  }, 5_000), 'within maxSize');
  t.ok(statSync(join(dataDir, 'cache', 'data.mdb')).size < 8 * MAX_SIZE, 'the file stays near the bound (free pages reused)');
  const kept = new Set(store.scanIndex().map((r) => r.key.split('\u0000')[0]));
  t.ok(kept.has('/e/hot'), 'the key kept in use stays');
  t.ok(kept.has('/e/79'), 'the newest stays');
  t.notOk(kept.has('/e/0'), 'the oldest unused went');
  t.notOk(kept.has('/e/short'), 'the expired went');
  t.equal(xCache(await get(gw, '/e/79')), 'HIT');
  t.equal(xCache(await get(gw, '/e/0')), 'MISS');
});
