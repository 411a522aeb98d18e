// A table of 4 slots (rateLimits.capacity) under many distinct keys: idle slots are reused, a
// table full of live buckets answers 503 for new keys, the keys it holds stay limited, and both
// are counted in the SIGUSR2 snapshot. No crash, no unlimited pass.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { gatewayWith, get, statsOf, type RouteLine } from './fixture.js';

t.test('capacity 4: reuse of idle slots, 503 when every slot is live, limits kept, all counted', async (t) => {
  const gw = await gatewayWith(t, `
  - { id: quick, match: { path: /quick }, respond: { body: ok }, rateLimit: { limit: 1, window: 50ms, by: "header:x-key" } }
  - { id: slow, match: { path: /slow }, respond: { body: ok }, rateLimit: { limit: 2, window: 1h, by: "header:x-key" } }
`, { extra: 'rateLimits: { capacity: 4 }', workers: 2 });
  const call = (path: string, key: string) => get(`${gw.url}${path}`, { 'x-key': key });

  // Four keys take the four slots; 50 ms later their buckets are full again (idle), and four new
  // keys take those slots over.
  for (const key of ['q1', 'q2', 'q3', 'q4']) t.equal((await call('/quick', key)).status, 200);
  await sleep(120);
  for (const key of ['q5', 'q6', 'q7', 'q8']) t.equal((await call('/quick', key)).status, 200, `${key} reuses an idle slot`);
  await sleep(120);

  // Four keys with an hour-long window take the (idle) slots and hold them.
  for (const key of ['s1', 's2', 's3', 's4']) t.equal((await call('/slow', key)).status, 200);
  const full = [];
  for (let i = 0; i < 16; i++) full.push(await call('/slow', `new-${i}`));
  t.ok(full.every((a) => a.status === 503), 'every new key gets 503 while every slot is live: none passes unlimited');
  const first = full[0]!;
  t.equal(first.headers['content-type'], 'application/problem+json');
  t.match(JSON.parse(first.text), { type: 'https://tollgate.dev/problems/rate-limiter-full', status: 503 });
  // The slots free up when the oldest bucket is full again: half an hour (1 of 2 used, 1h window).
  t.ok(Number(first.retryAfter) > 1_700 && Number(first.retryAfter) <= 1_800, `Retry-After ${first.retryAfter} s: when the first slot goes idle`);
  for (const key of ['s1', 's2', 's3', 's4']) {
    t.same([(await call('/slow', key)).status, (await call('/slow', key)).status], [200, 429], `${key} kept its count: one more, then 429`);
  }
  t.equal((await call('/quick', 'q1')).status, 503, 'a key whose slot was reused comes back as a new key');

  const stats = await statsOf(gw);
  t.same(stats.rateLimits, { capacity: 4, slotsUsed: 4, reused: 8, full: 17, stuck: 0 }, 'reuses and refusals counted');
  const limited = (stats.routes as RouteLine[]).find((r) => r.id === 'slow');
  t.equal(limited?.lifetime.rateLimited, 4, 'the 429s counted for the route (503s are counted as full, not here)');
  t.equal(gw.child.exitCode, null, 'the gateway is still running');
  t.notOk(gw.logs.some((l) => String(l.msg).includes('worker exited')), 'no worker died');
});
