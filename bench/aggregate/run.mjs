// Inline vs pool for aggregate merges: the numbers behind aggregate.offloadAbove's default.
//
//   npm run build && node bench/aggregate/run.mjs [--seconds 1] [--concurrency 8]
//
// Drives the gateway's own merge (dist/stages/aggregate/compose.js inline, merge-pool.js in the
// pool, as the aggregate stage does) for 2 and 5 calls with small (~1 KB) and 1 MB JSON bodies,
// `concurrency` merges in flight. Per cell: merges/s, and the worker thread's own busy time per
// merge (event-loop utilisation x elapsed / merges): what a gateway worker pays and cannot spend
// on other requests while it merges.
import { performance } from 'node:perf_hooks';
import { composeBodies } from '../../dist/stages/aggregate/compose.js';
import { closeMergePool, composeInPool } from '../../dist/stages/aggregate/merge-pool.js';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const SECONDS = arg('seconds', 1);
const CONCURRENCY = arg('concurrency', 8);

/** A JSON body of about `size` bytes: a list of records, as a users or orders service answers. */
function body(size, seed) {
  const items = [];
  let length = 20;
  for (let i = 0; length < size; i++) {
    const item = { id: seed * 100000 + i, name: `item ${i}`, price: i * 1.5, tags: ['a', 'b'], note: 'lorem ipsum dolor sit amet' };
    items.push(item);
    length += JSON.stringify(item).length + 1;
  }
  return JSON.stringify({ seed, items });
}

/** A fresh Buffer per call that owns its memory, as a gathered body does (the pool moves it). */
function bodies(texts) {
  return texts.map((t) => {
    const b = Buffer.allocUnsafeSlow(Buffer.byteLength(t));
    b.write(t);
    return b;
  });
}

async function cell(calls, size, mode) {
  const texts = Array.from({ length: calls }, (_, i) => body(size, i));
  const shapes = texts.map((_, i) => ({ as: `c${i}`, select: null, rename: null, merge: false, optional: false }));
  const run = mode === 'inline'
    ? async (b) => { composeBodies(b, shapes); }
    : async (b) => { await composeInPool(b, shapes); };
  for (let i = 0; i < 5; i++) await run(bodies(texts)); // warm-up: starts the pool thread, JIT
  let done = 0;
  const until = performance.now() + SECONDS * 1000;
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const lane = async () => {
    while (performance.now() < until) {
      const b = bodies(texts); // not counted apart: the same for both modes
      await run(b);
      done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  const elapsed = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  return { perSecond: Math.round(done / (elapsed / 1000)), workerMs: (elu.utilization * elapsed) / done };
}

const rows = [];
for (const calls of [2, 5]) {
  for (const [label, size] of [['1 KB', 1024], ['32 KB', 32 * 1024], ['128 KB', 128 * 1024], ['1 MB', 1024 * 1024]]) {
    const inline = await cell(calls, size, 'inline');
    const pool = await cell(calls, size, 'pool');
    rows.push(`| ${calls} | ${label} | ${inline.perSecond} | ${inline.workerMs.toFixed(3)} | ${pool.perSecond} | ${pool.workerMs.toFixed(3)} |`);
    console.error(rows.at(-1));
  }
}
await closeMergePool();
console.log('| calls | body each | inline merges/s | inline worker ms/merge | pool merges/s | pool worker ms/merge |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
