import t from 'tap';
import { Worker } from 'node:worker_threads';
import { QuotaTable, periodEnd, periodOf, periodSeconds } from '../../src/shm/quota-table.js';

t.test('UTC periods: day and month numbers, ends and lengths', async (t) => {
  const lastSecond = Date.parse('2026-12-31T23:59:59Z');
  t.equal(periodEnd(lastSecond, 'day'), Date.parse('2027-01-01T00:00:00Z'));
  t.equal(periodEnd(lastSecond, 'month'), Date.parse('2027-01-01T00:00:00Z'), 'December ends with the year');
  t.equal(periodEnd(Date.parse('2026-02-10T12:00:00Z'), 'month'), Date.parse('2026-03-01T00:00:00Z'));
  t.equal(periodSeconds(Date.parse('2026-02-10T12:00:00Z'), 'month'), 28 * 86_400);
  t.equal(periodSeconds(Date.parse('2028-02-10T12:00:00Z'), 'month'), 29 * 86_400, 'a leap February');
  t.equal(periodSeconds(lastSecond, 'day'), 86_400);
  t.not(periodOf(lastSecond, 'day'), periodOf(lastSecond + 1000, 'day'));
  t.equal(periodOf(Date.parse('2026-11-01T00:00:00Z'), 'month'), periodOf(Date.parse('2026-11-30T23:59:59Z'), 'month'));
  t.not(periodOf(lastSecond, 'month'), periodOf(lastSecond, 'day'), 'day and month numbers never collide');
});

t.test('charge counts up to the limit, refuses beyond, starts again in a new period', async (t) => {
  const table = QuotaTable.create();
  t.same([table.charge(3, 100, 2), table.charge(3, 100, 2), table.charge(3, 100, 2)], [1, 2, -1]);
  t.equal(table.count(3, 100), 2);
  t.equal(table.count(3, 101), 0, 'another period reads as 0');
  t.equal(table.charge(3, 101, 2), 1, 'the next period starts at 1');
  t.same(table.read(3), [101, 1]);
  t.equal(table.charge(4, 100, 2), 1, 'slots are independent');
  table.write(5, 1_024_300, 7);
  t.same(table.read(5), [1_024_300, 7], 'a seeded word reads back');
});

t.test('threads charging one slot at once never admit more than the limit', async (t) => {
  const table = QuotaTable.create();
  // Each thread charges the same slot through the built QuotaTable (dist: no TypeScript loader in a worker).
  const dist = new URL('../../dist/shm/quota-table.js', import.meta.url).href;
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    import(${JSON.stringify(dist)}).then(({ QuotaTable }) => {
      const table = new QuotaTable(workerData);
      let admitted = 0;
      for (let i = 0; i < 20000; i++) if (table.charge(0, 7, 50000) > 0) admitted++;
      parentPort.postMessage(admitted);
    });`;
  const counts = await Promise.all([0, 1, 2, 3].map(() => new Promise<number>((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: table.buffer });
    w.once('message', resolve);
    w.once('error', reject);
  })));
  let mine = 0;
  while (table.charge(0, 7, 50_000) > 0) mine++;
  t.equal(counts.reduce((a, b) => a + b, 0) + mine, 50_000, 'exactly the limit admitted across 5 threads');
  t.equal(table.count(0, 7), 50_000);
});
