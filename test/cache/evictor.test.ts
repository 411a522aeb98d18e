// The evictor on a real store: expired entries first, then the least recently used (the shared
// access clock counts as use), down to under maxSize; nothing while within the bound.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Evictor } from '../../dist/cache/evictor.js';
import { keyHash } from '../../dist/cache/cache-key.js';
import { openLmdbCacheStore } from '../../dist/cache/lmdb-store.js';
import { accessSlot, createCacheShm, epochSeconds } from '../../dist/shm/cache-layout.js';

const MAX = 1024 * 1024;
const quiet = { info: () => {}, warn: () => {} };

t.test('expired first, then least recently used, until under maxSize', async (t) => {
  const store = openLmdbCacheStore(mkdtempSync(join(tmpdir(), 'tollgate-evict-')), MAX);
  t.teardown(() => store.close());
  const words = new Int32Array(createCacheShm());
  const now = Date.now();
  const put = (key: string, storedAt: number, keepUntil: number) =>
    store.write(key, Buffer.alloc(60_000, 1), { storedAt, keepUntil, size: 60_000 + key.length, hash: keyHash(key) });
  await put('expired', now - 100_000, now - 1);
  for (let i = 0; i < 30; i++) await put(`k${String(i).padStart(2, '0')}`, now - 60_000 + i * 1_000, now + 600_000);
  // k00 is the oldest stored, but was served a moment ago.
  Atomics.store(words, accessSlot(keyHash('k00')), epochSeconds(now));
  const evictor = new Evictor(store, words, quiet, MAX);
  t.ok(store.usedBytes() > MAX, 'over the bound to begin with');
  const run = await evictor.check(now);
  t.ok(run !== null);
  t.equal(run!.expired, 1);
  t.ok(run!.evicted > 0);
  store.refresh();
  t.ok(store.usedBytes() <= MAX, `within maxSize after one pass (${store.usedBytes()})`);
  const kept = store.scanIndex().map((r) => r.key);
  t.notOk(kept.includes('expired'));
  t.ok(kept.includes('k00'), 'recently served: kept');
  t.notOk(kept.includes('k01'), 'the least recently used went');
  t.ok(kept.includes('k29'), 'the newest stayed');
  t.equal(await evictor.check(now), null, 'within the bound: no pass');
});
