// Concurrent misses for one key, spread over four workers (SO_REUSEPORT), cause one upstream
// request; when that request fails or outlasts the route timeout, the waiters fetch on their own.
// The route timeout is how long waiters wait: /c/ gives a loaded machine room, /s/ runs out.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { fetchOnNewConnection } from '../system/fixtures/system-fixture.js';
import { answer, cacheStatus, cachedGateway, scriptedUpstream, xCache } from './fixtures/cache-fixture.js';

const up = await scriptedUpstream(t);
// Fault injection only to learn which worker answered (x-tollgate-worker); no fault is injected.
const gw = await cachedGateway(t, up.url, `
  - { id: c, match: { path: /c/* }, upstream: rec, cache: { ttl: 60s }, timeout: 5s }
  - { id: s, match: { path: /s/* }, upstream: rec, cache: { ttl: 60s }, timeout: 600ms }
`, { workers: 4, env: { TOLLGATE_FAULT_INJECTION: '1' } });

/** `n` requests at once, each on a connection of its own (new accepts: spread over the workers). */
const burst = (path: string, n: number) => Promise.all(Array.from({ length: n }, () => fetchOnNewConnection(gw.url + path, { timeoutMs: 10_000 })));

t.test('50 concurrent misses across 4 workers make 1 upstream request', async (t) => {
  up.on('/c/hot', async (req, io) => {
    await io.sleep(400); // long enough for every request of the burst to arrive while it runs
    io.write(answer(200, { 'content-type': 'text/plain' }, `answer ${up.requestsFor(req.path).length}`));
  });
  const replies = await burst('/c/hot', 50);
  t.equal(up.requestsFor('/c/hot').length, 1, 'one upstream request');
  t.ok(replies.every((r) => r.status === 200 && r.text === 'answer 1'), 'every client got that answer');
  const workers = new Set(replies.map((r) => r.headers['x-tollgate-worker']));
  t.ok(workers.size >= 2, `answered by ${workers.size} workers`);
  t.equal(replies.filter((r) => xCache(r) === 'MISS' && cacheStatus(r).endsWith('stored')).length, 1, 'one fetched and stored');
  const waited = replies.filter((r) => cacheStatus(r).startsWith('Tollgate; fwd=miss; collapsed; ttl='));
  t.equal(replies.filter((r) => xCache(r) === 'HIT').length, 49, 'the others from the cache');
  t.ok(waited.length > 0, `${waited.length} waited for the fetch (the rest came after it was stored)`);
  t.ok(waited.every((r) => xCache(r) === 'HIT'), 'a waiter is answered from the cache');
});

t.test('when the leading fetch outlasts the route timeout, the waiters fetch on their own', async (t) => {
  let first = true;
  up.on('/s/slow-leader', async (_req, io) => {
    if (first) {
      first = false;
      await io.sleep(2_000); // past the route timeout: the leader answers 504
      return;
    }
    io.write(answer(200, {}, 'late but fine'));
  });
  const leader = fetchOnNewConnection(gw.url + '/s/slow-leader', { timeoutMs: 10_000 });
  await sleep(100);
  const waiters = await burst('/s/slow-leader', 10);
  t.equal((await leader).status, 504, 'the leader timed out');
  t.ok(waiters.every((r) => r.status === 200 && r.text === 'late but fine'), 'every waiter got an answer of its own');
  t.ok(up.requestsFor('/s/slow-leader').length >= 2, 'the waiters asked the upstream themselves');
});

t.test('when the leader gets a failure, the waiters do not get it', async (t) => {
  let n = 0;
  up.on('/c/fails-once', async (_req, io) => {
    await io.sleep(300);
    io.write(++n === 1 ? answer(500, {}, 'broken') : answer(200, {}, 'fine'));
  });
  const replies = await burst('/c/fails-once', 10);
  t.equal(replies.filter((r) => r.status === 500).length, 1, 'only the leader saw the 500');
  t.ok(replies.filter((r) => r.status !== 500).every((r) => r.text === 'fine'));
});

t.test('an exception while answering from the cache fails that request only', async (t) => {
  up.on('/c/fault', (_req, io) => io.write(answer(200, {}, 'stored')));
  t.equal((await fetchOnNewConnection(gw.url + '/c/fault')).text, 'stored');
  const failed = await fetchOnNewConnection(gw.url + '/c/fault', { headers: { 'x-tollgate-fault': 'throw-on-answer' } });
  t.equal(failed.status, 500, 'a 500 problem, not a dead worker');
  const after = await burst('/c/fault', 8);
  t.ok(after.every((r) => r.status === 200 && xCache(r) === 'HIT'), 'every worker still serves the entry');
  t.equal(up.requestsFor('/c/fault').length, 1);
});
