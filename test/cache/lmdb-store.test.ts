// The LMDB adapter on real files in a temp directory: entries and their index, prefix removal,
// page accounting, one environment shared by the threads of a process, and files it refuses.
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openLmdbCacheStore, CacheOpenError } from '../../dist/cache/lmdb-store.js';

const record = (size: number, hash = 1) => ({ storedAt: 1_000, keepUntil: 2_000, size, hash });
const tempDir = () => mkdtempSync(join(tmpdir(), 'tollgate-lmdb-'));
/**
 * The text of a value peek() lent: lmdb-js's reusable read buffer reports the value's length as
 * its `length` but is larger underneath, so it is read through a view (Buffer.from(it) throws).
 */
const text = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : Buffer.from(v.buffer, v.byteOffset, v.length).toString());

t.test('entries, index records, prefix removal and pages in use', async (t) => {
  const dir = tempDir();
  const store = openLmdbCacheStore(dir, 1 << 26);
  t.teardown(() => store.close());
  const empty = store.usedBytes();
  await store.write('/a\u0000h\u0000GET', Buffer.alloc(100_000, 1), record(100_000, 7));
  await store.write('/a\u0000h\u0000GET\u0000en', Buffer.from('variant'), record(7));
  await store.write('/ab\u0000h\u0000GET', Buffer.from('another path'), record(12));
  await store.write('/b\u0000h\u0000GET', Buffer.from('b'), record(1));
  t.equal(store.peek('/a\u0000h\u0000GET')?.length, 100_000);
  t.equal(text(store.peek('/b\u0000h\u0000GET')), 'b');
  t.equal(store.peek('/missing'), undefined);
  t.ok(store.usedBytes() >= empty + 100_000, 'pages hold the values');
  t.same(store.scanIndex().map((r) => [r.key, r.storedAt, r.keepUntil, r.size, r.hash]), [
    ['/a\u0000h\u0000GET', 1_000, 2_000, 100_000, 7],
    ['/a\u0000h\u0000GET\u0000en', 1_000, 2_000, 7, 1],
    ['/ab\u0000h\u0000GET', 1_000, 2_000, 12, 1],
    ['/b\u0000h\u0000GET', 1_000, 2_000, 1, 1],
  ]);
  t.same(store.scanIndexBatch(null, 2).map((r) => r.key), ['/a\u0000h\u0000GET', '/a\u0000h\u0000GET\u0000en'], 'a first batch');
  t.same(store.scanIndexBatch('/a\u0000h\u0000GET\u0000en', 2).map((r) => r.key), ['/ab\u0000h\u0000GET', '/b\u0000h\u0000GET'], 'the next one starts after the last key');
  t.same(store.scanIndexBatch('/aa-gone', 1).map((r) => r.key), ['/ab\u0000h\u0000GET'], 'after a key no longer there');
  t.same(store.keysWithPrefix('/a\u0000'), ['/a\u0000h\u0000GET', '/a\u0000h\u0000GET\u0000en']);
  t.equal(await store.removePrefix('/a\u0000', (v) => v.length > 10), 1, 'counted as asked: one of the two removed');
  t.same(store.scanIndex().map((r) => r.key), ['/ab\u0000h\u0000GET', '/b\u0000h\u0000GET'], '/ab is not under /a + NUL');
  t.equal(await store.removePrefix('/'), 2, 'everything');
  t.equal(store.peek('/b\u0000h\u0000GET'), undefined);
  await store.write('k', Buffer.from('v'), record(1));
  await store.removeKeys(['k']);
  t.same(store.scanIndex(), []);
  t.ok(store.usedBytes() < empty + 100_000, 'pages given back');
});

t.test('every thread of the process opens the one environment; closing one handle leaves the others', async (t) => {
  const dir = tempDir();
  const store = openLmdbCacheStore(dir, 1 << 26);
  t.teardown(() => store.close());
  const second = openLmdbCacheStore(dir, 1 << 26); // as the supervisor and a worker both hold it
  await store.write('from-parent', Buffer.from('written by the parent'), record(1));
  const worker = new Worker(new URL('./fixtures/store-worker.mjs', import.meta.url), { workerData: { dataDir: dir } });
  const reply = await new Promise<{ seen: string | null }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await new Promise((r) => worker.once('exit', r));
  t.equal(reply.seen, 'written by the parent', 'the worker reads what the parent committed');
  store.refresh();
  t.equal(text(store.peek('from-worker')), 'written by the worker', 'and the parent what the worker committed');
  await second.close();
  t.equal(text(store.peek('from-parent')), 'written by the parent', 'still open after another handle closed');
});

t.test('files that are not a usable cache are refused with the directory named, never a crash', async (t) => {
  const garbage = tempDir();
  mkdirSync(join(garbage, 'cache'));
  writeFileSync(join(garbage, 'cache', 'data.mdb'), Buffer.alloc(32_768, 0x41));
  t.throws(() => openLmdbCacheStore(garbage, 1 << 26, { checkFiles: true }), {
    name: 'Error', message: `cache: cannot open the LMDB environment in ${join(garbage, 'cache')}: ${join(garbage, 'cache', 'data.mdb')} is not an LMDB file of this version`,
  });

  // A real file cut short: its header is fine, its pages are not there (SIGBUS in whoever reads them).
  const real = tempDir();
  const store = openLmdbCacheStore(real, 1 << 26);
  for (let i = 0; i < 50; i++) await store.write(`k${i}`, Buffer.alloc(20_000, i), record(20_000));
  await store.close();
  const truncated = tempDir();
  mkdirSync(join(truncated, 'cache'));
  writeFileSync(join(truncated, 'cache', 'data.mdb'), readFileSync(join(real, 'cache', 'data.mdb')).subarray(0, 3 * 4096));
  let error: unknown;
  try {
    openLmdbCacheStore(truncated, 1 << 26, { checkFiles: true });
  } catch (err) {
    error = err;
  }
  t.ok(error instanceof CacheOpenError);
  t.match((error as Error).message, `cache: cannot open the LMDB environment in ${join(truncated, 'cache')}: ${join(truncated, 'cache', 'data.mdb')}`);
  t.match((error as Error).message, /is damaged|cannot be read/);

  const file = join(tempDir(), 'file');
  writeFileSync(file, 'x');
  t.throws(() => openLmdbCacheStore(file, 1 << 26), { message: new RegExp(`^cache: cannot open the LMDB environment in ${file}/cache: `) });
  t.ok(openLmdbCacheStore(tempDir(), 1 << 26, { checkFiles: true }), 'an empty directory is a new cache');
});
