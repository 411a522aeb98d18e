// The usage store on a real LMDB env in a temp dir: worker pushes and flush batches counted once
// however often they arrive, counts not yet flushed included in queries, a second run (a restart)
// adding to what the first wrote.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { UsageMeter, type UsageRow } from '../../src/metering/usage-meter.js';
import { UsageStore } from '../../src/metering/usage-store.js';

const DAY = Date.parse('2026-11-30T00:00:00Z');
const q = { consumer: 'acme', from: '2026-11-01', to: '2026-12-31', route: null };
const row = (over: Partial<UsageRow>): UsageRow => ({ consumer: 'acme', route: 'r', day: '2026-11-30', statusClass: '2xx', requests: 1, bytesIn: 10, bytesOut: 20, ...over });

t.test('a worker push seen twice and a batch written twice count once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-usage-'));
  const store = UsageStore.open(dir);
  t.teardown(() => store.close());
  const delta = { run: 'worker-run-a', seq: 1, rows: [row({})] };
  store.apply(delta);
  store.apply(delta);
  t.same(store.query(q), [row({})], 'the repeated push was dropped; the pending row is in the answer');
  t.equal(await store.flush(), 1, 'one row written');
  t.equal(await store.flush(), 0, 'nothing left to write');
  const batch = { seq: 7, rows: [row({ requests: 5, bytesIn: 0, bytesOut: 0 })] };
  t.equal(await store.writeBatch(batch), true, 'a new batch is written');
  t.equal(await store.writeBatch(batch), false, 'the same batch retried is skipped');
  t.equal(await store.writeBatch({ seq: 3, rows: batch.rows }), false, 'an older batch of this run is skipped too');
  t.same(store.query(q), [row({ requests: 6 })], 'stored once: 1 + 5 requests');
});

t.test('a restart (a new store on the same env) adds to the stored rows; ranges and routes filter', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-usage-'));
  const first = UsageStore.open(dir);
  first.apply({ run: 'w1', seq: 1, rows: [row({}), row({ day: '2026-10-31' }), row({ route: 's', statusClass: '4xx' }), row({ consumer: 'globex' })] });
  t.equal(await first.flush(), 4);
  await first.close();
  const second = UsageStore.open(dir);
  t.teardown(() => second.close());
  t.not(second.run, first.run, 'each start numbers its batches under its own run id');
  second.apply({ run: 'w1', seq: 1, rows: [row({ requests: 2, bytesIn: 1, bytesOut: 1 })] });
  t.same(second.query(q), [row({ requests: 3, bytesIn: 11, bytesOut: 21 }), row({ route: 's', statusClass: '4xx' })],
    'the same worker run id in a new supervisor is a new worker: counted (pending + stored), the October row and globex left out');
  t.same(second.query({ ...q, route: 's' }), [row({ route: 's', statusClass: '4xx' })]);
  t.same(second.query({ ...q, from: '2026-10-31', to: '2026-10-31' }), [row({ day: '2026-10-31' })], 'from and to are inclusive');
});

t.test('the meter counts per consumer, route, UTC day and status class, and rolls over at midnight UTC', async (t) => {
  let now = DAY - 1;
  const meter = new UsageMeter('run', () => now);
  t.equal(meter.takeDelta(), null, 'nothing counted, nothing sent');
  meter.record('acme', 'r', 200, 3, 4);
  now = DAY;
  meter.record('acme', 'r', 204, 1, 0);
  meter.record('acme', 'r', 429, 0, 50);
  meter.record('acme', 'r', 499, 7, 0);
  meter.record('acme', 'r', 302, 0, 0);
  meter.record('acme', 'r', 503, 0, 9);
  const delta = meter.takeDelta()!;
  t.equal(delta.seq, 1);
  t.same(delta.rows.map((r) => `${r.day} ${r.statusClass} ${r.requests} ${r.bytesIn} ${r.bytesOut}`), [
    '2026-11-29 2xx 1 3 4',
    '2026-11-30 2xx 1 1 0',
    '2026-11-30 4xx 2 7 50',
    '2026-11-30 3xx 1 0 0',
    '2026-11-30 5xx 1 0 9',
  ]);
  meter.record('globex', 'r', 200, 0, 0);
  t.equal(meter.takeDelta()!.seq, 2, 'each push has the next sequence number');
});
