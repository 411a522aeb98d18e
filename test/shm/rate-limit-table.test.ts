// The shared rate-limit table on its own: GCRA decisions, slots taken and reused, and threads
// charging the same buffer at once (real worker threads, real Atomics).
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import t, { type Test } from 'tap';
import { createRateLimitBuffer, EMPTY, KEY, RETIRED, SLOTS_BASE, SLOT_WORDS, TAT } from '../../dist/shm/rate-limit-layout.js';
import { ALLOWED, FULL, LIMITED, RateLimitTable } from '../../dist/shm/rate-limit-table.js';

interface Limit { interval: bigint; tolerance: bigint; prefix: ReturnType<RateLimitTable['prefix']> }

function limitOf(table: RateLimitTable, limit: number, windowMs: number, name = 'test'): Limit {
  const interval = (BigInt(windowMs) * 1_000_000n) / BigInt(limit);
  return { interval, tolerance: BigInt(limit - 1) * interval, prefix: table.prefix(`${name}\u0000${limit}\u0000${windowMs}\u0000`) };
}

function charge(table: RateLimitTable, l: Limit, value: string): number {
  return table.charge(l.prefix, value, l.interval, l.tolerance);
}

/** Every key held by a slot, as the raw buffer has them. */
function keysIn(sab: SharedArrayBuffer, capacity: number): bigint[] {
  const words = new BigInt64Array(sab);
  const keys: bigint[] = [];
  for (let s = 0; s < capacity; s++) {
    const key = words[SLOTS_BASE + s * SLOT_WORDS + KEY]!;
    if (key !== EMPTY) keys.push(key);
    if (words[SLOTS_BASE + s * SLOT_WORDS + TAT] === RETIRED) throw new Error(`slot ${s} left RETIRED`);
  }
  return keys;
}

t.test('a burst gets exactly `limit` requests, per key, and the state says how long until the bucket is full', async (t) => {
  const table = new RateLimitTable(createRateLimitBuffer(1000, 1, 2));
  const l = limitOf(table, 5, 3_600_000);
  const outcomes = Array.from({ length: 8 }, () => charge(table, l, 'a'));
  t.same(outcomes, [ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, LIMITED, LIMITED, LIMITED]);
  // Refused: the TAT is 5 intervals ahead (the whole window), one more than the tolerance allows.
  t.ok(table.tat - table.now > l.tolerance && table.tat - table.now <= 5n * l.interval, 'refused on a full window');
  t.equal(charge(table, l, 'b'), ALLOWED, 'another value has its own bucket');
  t.equal(charge(table, limitOf(table, 5, 3_600_000, 'other-route'), 'a'), ALLOWED, 'another limit has its own bucket for the same value');
  t.equal(charge(table, limitOf(table, 6, 3_600_000), 'a'), ALLOWED, 'a changed limit is a new key (its counters start afresh)');
  t.match(table.stats(), { capacity: 1000, slotsUsed: 4, reused: 0, full: 0, stuck: 0 });
});

t.test('the bucket refills at limit per window', async (t) => {
  const table = new RateLimitTable(createRateLimitBuffer(16, 3, 4));
  const l = limitOf(table, 2, 300); // one request back every 150 ms
  t.same([charge(table, l, 'k'), charge(table, l, 'k'), charge(table, l, 'k')], [ALLOWED, ALLOWED, LIMITED]);
  await sleep(170);
  t.same([charge(table, l, 'k'), charge(table, l, 'k')], [ALLOWED, LIMITED], 'one interval later: one request');
  await sleep(320);
  t.same([charge(table, l, 'k'), charge(table, l, 'k'), charge(table, l, 'k')], [ALLOWED, ALLOWED, LIMITED], 'a whole window later: the full burst, no more');
});

t.test('peek decides like charge without charging or taking a slot', async (t) => {
  const table = new RateLimitTable(createRateLimitBuffer(16, 5, 6));
  const l = limitOf(table, 1, 60_000);
  t.equal(table.peek(l.prefix, 'p', l.tolerance), ALLOWED, 'an unknown key would pass');
  t.equal(table.stats().slotsUsed, 0, 'and got no slot');
  t.equal(charge(table, l, 'p'), ALLOWED);
  t.equal(table.peek(l.prefix, 'p', l.tolerance), LIMITED);
  t.equal(table.peek(l.prefix, 'p', l.tolerance), LIMITED, 'peeking twice changes nothing');
});

t.test('a full table refuses new keys while every slot holds a live bucket, and keeps limiting the keys it has', async (t) => {
  const sab = createRateLimitBuffer(4, 7, 8);
  const table = new RateLimitTable(sab);
  const l = limitOf(table, 1, 3_600_000);
  for (const key of ['a', 'b', 'c', 'd']) t.equal(charge(table, l, key), ALLOWED, `${key} takes a slot`);
  t.equal(charge(table, l, 'e'), FULL, 'a fifth key finds no slot');
  t.ok(table.tat - table.now > 3_000_000_000_000n, 'FULL says when the first slot goes idle (an hour away)');
  for (const key of ['a', 'b', 'c', 'd']) t.equal(charge(table, l, key), LIMITED, `${key} is still limited: nothing was forgotten`);
  t.match(table.stats(), { slotsUsed: 4, reused: 0, full: 1 });
  t.equal(new Set(keysIn(sab, 4)).size, 4);
});

t.test('idle slots are reused, the least recently used first, and counted', async (t) => {
  const sab = createRateLimitBuffer(4, 9, 10);
  const table = new RateLimitTable(sab);
  const slow = limitOf(table, 1, 3_600_000, 'slow');
  const quick = limitOf(table, 1, 40, 'quick');
  t.equal(charge(table, slow, 'live'), ALLOWED);
  for (const key of ['q1', 'q2', 'q3']) t.equal(charge(table, quick, key), ALLOWED);
  await sleep(60); // q1..q3 are idle again (their buckets are full), 'live' is not
  t.equal(charge(table, slow, 'n1'), ALLOWED, 'a new key takes an idle slot');
  t.equal(charge(table, slow, 'n2'), ALLOWED);
  t.equal(charge(table, slow, 'n3'), ALLOWED);
  t.equal(charge(table, slow, 'n4'), FULL, 'no idle slot left: a live bucket is never taken');
  t.equal(charge(table, slow, 'live'), LIMITED, 'the live key kept its state');
  t.match(table.stats(), { slotsUsed: 4, reused: 3, full: 1 });
  t.equal(charge(table, quick, 'q1'), FULL, 'a forgotten idle key comes back like a new one');
});

/** Runs `threads` workers charging `keys` on one buffer at the same moment; returns each thread's counts. */
async function race(t: Test, sab: SharedArrayBuffer, threads: number, opts: { keys: string[]; rounds: number; limit: number; windowMs: number; spinMs?: number; record?: boolean; base?: string; windowNs?: number }) {
  const gate = new SharedArrayBuffer(8);
  const gateWords = new Int32Array(gate);
  const workers = Array.from({ length: threads }, () => new Worker(new URL('./fixtures/charge-worker.mjs', import.meta.url), {
    workerData: { sab, gate, spinMs: 0, ...opts },
    // Without tap's loaders, which would make each thread take seconds to start.
    execArgv: [],
  }));
  const killer = setTimeout(() => workers.forEach((w) => void w.terminate()), 30_000);
  try {
    const replies = workers.map((w) => once(w, 'message'));
    while (Atomics.load(gateWords, 1) < threads) await sleep(5);
    Atomics.store(gateWords, 0, 1);
    Atomics.notify(gateWords, 0);
    return (await Promise.all(replies)).map(([counts]) => counts as { allowed: number; limited: number; full: number; stuck: number; times: number[] }[]);
  } finally {
    clearTimeout(killer);
    await Promise.all(workers.map((w) => w.terminate()));
    t.pass(`${threads} threads done`);
  }
}

t.test('threads charging one key at once get exactly `limit` through between them, every time', async (t) => {
  for (let run = 0; run < 5; run++) {
    const sab = createRateLimitBuffer(64, run, run + 1);
    const counts = await race(t, sab, 4, { keys: ['hot'], rounds: 2_000, limit: 1_000, windowMs: 3_600_000 });
    const allowed = counts.reduce((sum, c) => sum + c[0]!.allowed, 0);
    t.equal(allowed, 1_000, `run ${run}: 8000 attempts on 4 threads, ${counts.map((c) => c[0]!.allowed).join(' + ')} allowed`);
    t.equal(keysIn(sab, 64).length, 1, 'one slot for the key');
  }
});

t.test('threads bringing the same new keys into a full table never give a key two slots', async (t) => {
  // 48 keys through 8 slots, limit 1 per 50 µs: slots go idle and change hands all the time, and
  // every thread brings the same keys in the same order. A key in two slots would let two
  // requests through less than 50 µs apart: allowed requests of a key must be spaced by the
  // interval (GCRA with limit 1; reusing a slot needs it idle, which takes that long too).
  const sab = createRateLimitBuffer(8, 11, 12);
  const keys = Array.from({ length: 48 }, (_, i) => `k${i}`);
  const base = process.hrtime.bigint();
  const counts = await race(t, sab, 4, { keys, rounds: 1_000_000, limit: 1, windowMs: 1, windowNs: 50_000, spinMs: 400, record: true, base: String(base) });
  const table = new RateLimitTable(sab);
  const stats = table.stats();
  t.ok(stats.reused > 1_000, `slots changed hands ${stats.reused} times`);
  t.equal(stats.stuck, 0, 'no slot was left marked');
  const held = keysIn(sab, 8);
  t.equal(new Set(held).size, held.length, `no key in two slots at the end (${held.length} slots held)`);
  let allowed = 0;
  let closest = Infinity;
  keys.forEach((_, k) => {
    const times = counts.flatMap((c) => c[k]!.times).sort((a, b) => a - b);
    allowed += times.length;
    for (let i = 1; i < times.length; i++) closest = Math.min(closest, times[i]! - times[i - 1]!);
  });
  t.ok(allowed > 200, `${allowed} requests allowed`);
  t.ok(closest >= 50_000, `no key had two requests allowed within its 50 µs interval (closest: ${(closest / 1e3).toFixed(1)} µs)`);
});

t.test('threads filling a table with long windows: each key passes at most `limit` times, the rest is FULL', async (t) => {
  const sab = createRateLimitBuffer(16, 13, 14);
  const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
  const counts = await race(t, sab, 4, { keys, rounds: 20, limit: 3, windowMs: 3_600_000 });
  const perKey = keys.map((_, k) => counts.reduce((sum, c) => sum + c[k]!.allowed, 0));
  t.ok(perKey.every((n) => n === 0 || n === 3), `every key with a slot got exactly 3: ${perKey.join(',')}`);
  t.equal(perKey.filter((n) => n === 3).length, 16, 'as many keys as slots got through');
  t.equal(new Set(keysIn(sab, 16)).size, 16);
});

t.test('a buffer that is not a rate-limit table is refused', async (t) => {
  t.throws(() => new RateLimitTable(new SharedArrayBuffer(1024)), /not a rate-limit table/);
  t.throws(() => createRateLimitBuffer(0, 1, 1), RangeError);
});
