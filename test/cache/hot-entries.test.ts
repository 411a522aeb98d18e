// A worker's in-memory copies of the entries it serves (src/cache/hot-entries.ts), on a real LMDB
// environment: copies are taken only once the cache has been steady for STEADY_MS, are what a
// lookup gets while nothing changes, and are dropped by any committed change made through any
// handle of the environment (another worker's fill, an invalidation, a purge, an eviction), so
// a lookup never answers older bytes than LMDB holds.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLmdbCacheStore } from '../../dist/cache/lmdb-store.js';
import { HotEntries, STEADY_MS } from '../../dist/cache/hot-entries.js';
import { createCacheShm } from '../../dist/shm/cache-layout.js';

const record = { storedAt: 1_000, keepUntil: 2_000, size: 1, hash: 1 };
const text = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : Buffer.from(v.buffer, v.byteOffset, v.length).toString());

t.test('copies while steady; every committed change, through any handle, drops them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-hot-'));
  const words = new Int32Array(createCacheShm());
  // Two handles on one environment with the shared words: this worker's and another thread's.
  const mine = openLmdbCacheStore(dir, 1 << 26, { changes: words });
  const theirs = openLmdbCacheStore(dir, 1 << 26, { changes: words });
  t.teardown(async () => { await mine.close(); await theirs.close(); });
  await theirs.write('k', Buffer.from('v1'), record);

  let now = 1_000_000;
  const hot = new HotEntries(words, mine, now);
  t.equal(text(hot.get('k', now)), 'v1');
  t.equal(hot.size, 0, 'not steady yet: no copy taken');
  now += STEADY_MS;
  const first = hot.get('k', now);
  t.equal(text(first), 'v1');
  t.equal(hot.size, 1, 'steady: copied');
  t.equal(hot.get('k', now), first, 'and answered from the copy');
  t.equal(hot.get('missing', now), undefined, 'a key not stored is not remembered');

  await theirs.write('k', Buffer.from('v2'), record);
  t.equal(text(hot.get('k', now)), 'v2', "another handle's write is seen at once");
  t.equal(hot.size, 0, 'the copies were dropped, and none is taken until the cache is steady again');

  now += STEADY_MS;
  t.equal(text(hot.get('k', now)), 'v2');
  t.equal(hot.size, 1);
  await theirs.removeKeys(['k']);
  t.equal(hot.get('k', now), undefined, 'a removal (invalidation, eviction) is seen at once');

  await theirs.write('k', Buffer.from('v3'), record);
  t.equal(text(hot.get('k', now)), 'v3', 'the change seen: steady from now on');
  t.equal(hot.size, 0);
  now += STEADY_MS - 1;
  hot.get('k', now);
  t.equal(hot.size, 0, 'a millisecond short of steady: still no copy');
  now += 1;
  t.equal(text(hot.get('k', now)), 'v3');
  t.equal(hot.size, 1);
  t.equal(await theirs.removePrefix('k'), 1);
  t.equal(hot.get('k', now), undefined, 'a purge is seen at once');

  // Its own writes too (this worker's fills).
  await mine.write('own', Buffer.from('a'), record);
  now += STEADY_MS;
  t.equal(text(hot.get('own', now)), 'a');
  await mine.write('own', Buffer.from('b'), record);
  t.equal(text(hot.get('own', now)), 'b');
});

t.test('bounded: a large entry is read from LMDB every time, never copied', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-hot-'));
  const words = new Int32Array(createCacheShm());
  const store = openLmdbCacheStore(dir, 1 << 26, { changes: words });
  t.teardown(() => store.close());
  await store.write('big', Buffer.alloc(512 * 1024, 7), record);
  await store.write('small', Buffer.from('s'), record);
  const hot = new HotEntries(words, store, 0);
  t.equal(hot.get('big', STEADY_MS)?.length, 512 * 1024);
  t.equal(text(hot.get('small', STEADY_MS)), 's');
  t.equal(hot.size, 1, 'only the small entry is held');
});
