// Coalescing claims over shared memory: one holder per key, waiters woken by its release, an
// abandoned claim taken over after its expiry, other keys in the slot fetch on their own.
import t from 'tap';
import { Claims, LEAD, UNCLAIMED, WAIT } from '../../../dist/stages/cache/claims.js';
import { CLAIM_SLOTS, createCacheShm } from '../../../dist/shm/cache-layout.js';

t.test('one leader; waiters wake on release; the slot is free again', async (t) => {
  const claims = new Claims(new Int32Array(createCacheShm()));
  const now = Date.now();
  t.equal(claims.claim(42, now, 5_000), LEAD);
  t.equal(claims.claim(42, now, 5_000), WAIT);
  const waited = claims.wait(42, 5_000);
  t.type(waited, Promise, 'a real wait while the claim is held');
  setTimeout(() => claims.release(42), 20);
  t.equal(await waited, true, 'woken by the release');
  t.equal(claims.wait(42, 5_000), true, 'released: no wait');
  t.equal(claims.claim(42, now, 5_000), LEAD, 'free again');
});

t.test('a wait that outlasts its timeout resolves false', async (t) => {
  const claims = new Claims(new Int32Array(createCacheShm()));
  claims.claim(7, Date.now(), 5_000);
  t.equal(await claims.wait(7, 30), false);
});

t.test('another key in the same slot fetches unclaimed; an expired claim is taken over once', async (t) => {
  const claims = new Claims(new Int32Array(createCacheShm()));
  const now = Date.now();
  t.equal(claims.claim(8, now, 1_000), LEAD);
  t.equal(claims.claim(8 + CLAIM_SLOTS * 2, now, 1_000), UNCLAIMED, 'same slot, another key');
  const later = now + 3_000;
  t.equal(claims.claim(8, later, 1_000), LEAD, 'the holder let its expiry pass: taken over');
  t.equal(claims.claim(8, later, 1_000), WAIT, 'by one request only');
});

t.test('the claim word is shared by every thread', async (t) => {
  const { Worker } = await import('node:worker_threads');
  const shm = createCacheShm();
  const claims = new Claims(new Int32Array(shm));
  t.equal(claims.claim(99, Date.now(), 5_000), LEAD);
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    import(workerData.url).then(async ({ Claims, WAIT }) => {
      const c = new Claims(new Int32Array(workerData.shm));
      const first = c.claim(99, Date.now(), 5000);
      const waiting = c.wait(99, 5000);
      parentPort.postMessage('waiting');
      parentPort.postMessage({ waited: first === WAIT, woken: await waiting });
    });`;
  const worker = new Worker(code, { eval: true, workerData: { shm, url: new URL('../../../dist/stages/cache/claims.js', import.meta.url).href } });
  const reply = await new Promise<{ waited: boolean; woken: boolean }>((resolve) => worker.on('message', (m: unknown) => {
    if (m === 'waiting') claims.release(99);
    else resolve(m as { waited: boolean; woken: boolean });
  }));
  await worker.terminate();
  t.same(reply, { waited: true, woken: true }, 'another thread waited for this one and was woken');
});
