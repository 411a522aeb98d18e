// Limits that follow the caller: by consumer (API-key consumers), plan limits together with route
// limits, and a limit by ip that runs before authentication.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import type { GatewayProcess } from '../helpers/gateway-process.js';
import { gatewayWith, get, statsOf, type RouteLine } from './fixture.js';

const ACME = 'acme-key-0123456789abcdef';
const GLOBEX = 'globex-key-0123456789abcdef';
const INITECH = 'initech-key-0123456789abcdef';
const HOOLI = 'hooli-key-0123456789abcdef';
let gw: GatewayProcess;

t.before(async () => {
  gw = await gatewayWith(t, `
  - { id: per-consumer, match: { path: /per-consumer }, respond: { body: ok }, auth: [apiKey], rateLimit: { limit: 2, window: 1h, by: consumer } }
  - { id: both, match: { path: /both }, respond: { body: ok }, auth: [apiKey], rateLimit: { limit: 4, window: 1h, by: consumer } }
  - { id: plan-only, match: { path: /plan-only }, respond: { body: ok }, auth: [apiKey] }
  - { id: guarded, match: { path: /guarded }, respond: { body: ok }, auth: [apiKey], rateLimit: { limit: 3, window: 1h, by: ip } }
  - { id: public, match: { path: /public }, respond: { body: ok } }
`, {
    workers: 2,
    extra: `
auth: { apiKey: { header: x-api-key } }
consumers:
  acme: { apiKeys: ["${ACME}"], plan: gold }
  globex: { apiKeys: ["${GLOBEX}"] }
  initech: { apiKeys: ["${INITECH}"], plan: free }
  hooli: { apiKeys: ["${HOOLI}"], plan: burst }
plans:
  gold: { rateLimit: { limit: 3, window: 1h } }
  free: {}
  burst: { rateLimit: { limit: 1, window: 1s } }
`,
  });
});

const as = (key: string, path: string) => get(`${gw.url}${path}`, { 'x-api-key': key });

t.test('by consumer: each consumer has its own budget', async (t) => {
  const globex = [await as(GLOBEX, '/per-consumer'), await as(GLOBEX, '/per-consumer'), await as(GLOBEX, '/per-consumer')];
  t.same(globex.map((a) => a.status), [200, 200, 429]);
  t.same(globex.map((a) => a.state), ['"per-consumer";r=1;t=1800', '"per-consumer";r=0;t=3600', '"per-consumer";r=0;t=3600']);
  const initech = [await as(INITECH, '/per-consumer'), await as(INITECH, '/per-consumer'), await as(INITECH, '/per-consumer')];
  t.same(initech.map((a) => a.status), [200, 200, 429], "another consumer's budget is untouched (its plan has no rate limit)");
});

t.test('plan and route limits both apply; the headers report the more restrictive; a plan spans routes', async (t) => {
  // acme: gold plan, 3 per hour on every route with auth; /both also has a route limit of 4 per consumer.
  const first = await as(ACME, '/both');
  t.equal(first.status, 200);
  t.equal(first.policy, '"plan-gold";q=3;w=3600', 'the plan (2 left) is more restrictive than the route (3 left)');
  t.equal(first.state, '"plan-gold";r=2;t=1200');
  t.equal((await as(ACME, '/plan-only')).state, '"plan-gold";r=1;t=2400', 'a route with auth and no limit of its own still charges the plan');
  t.equal((await as(ACME, '/both')).status, 200);
  const refused = await as(ACME, '/both');
  t.equal(refused.status, 429, 'the plan is used up after 3 requests across routes, though the route allows 4');
  t.equal(refused.policy, '"plan-gold";q=3;w=3600');
  t.equal(JSON.parse(refused.text).detail, 'Rate limit "plan-gold" of 3 requests per 1h exceeded; retry in 1200 s.');
  t.equal((await as(ACME, '/plan-only')).status, 429);
  // globex has no plan: only the route's 4.
  const globex = [];
  for (let i = 0; i < 5; i++) globex.push(await as(GLOBEX, '/both'));
  t.same(globex.map((a) => a.status), [200, 200, 200, 200, 429], 'a consumer without a plan gets the route limit only');
  t.equal(globex[0]!.policy, '"both";q=4;w=3600');
  t.equal((await as(GLOBEX, '/plan-only')).status, 200, 'and nothing limits it where the route has no limit');
  t.notOk('ratelimit' in (await as(GLOBEX, '/plan-only')).headers, 'no rate-limit headers when no limit applied');
});

t.test('a request its plan refuses does not use up the route budget', async (t) => {
  // hooli: plan burst, 1 per second; /both: 4 per hour per consumer.
  t.equal((await as(HOOLI, '/both')).status, 200);
  const refused = [];
  for (let i = 0; i < 5; i++) refused.push(await as(HOOLI, '/both'));
  t.ok(refused.every((a) => a.status === 429 && a.policy === '"plan-burst";q=1;w=1'), 'five requests refused by the plan');
  await sleep(1_100);
  // Had the refused requests been charged to the route, its 4 would be gone (1 + 5).
  const later = await as(HOOLI, '/both');
  t.equal(later.status, 200, 'once the plan refills, the route still has budget');
  const stats = await statsOf(gw);
  const both = (stats.routes as RouteLine[]).find((r) => r.id === 'both');
  t.ok(both !== undefined && (both.lifetime.rateLimited ?? 0) >= 5, `refusals on /both counted (${both?.lifetime.rateLimited})`);
});

t.test('a limit by ip runs before authentication: a flood of bad keys is cut before any key is checked', async (t) => {
  const before = ((await statsOf(gw)).auth as { apiKeyRefused: number }).apiKeyRefused; // auth counters are totals since start
  const bad = [];
  for (let i = 0; i < 10; i++) bad.push(await as(`wrong-key-${i}-0123456789abcdef`, '/guarded'));
  t.same(bad.map((a) => a.status), [401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
  t.equal(bad[0]!.state, '"guarded";r=2;t=1200', 'a 401 carries the rate-limit state too');
  t.equal((await as(ACME, '/guarded')).status, 429, 'a good key from the same address is cut too: the budget is the address\'s');
  const stats = await statsOf(gw);
  t.equal((stats.auth as { apiKeyRefused: number }).apiKeyRefused - before, 3, 'only the first three keys were checked');
});

t.test('a public route has no consumer and no plan limit', async (t) => {
  const answers = [];
  for (let i = 0; i < 5; i++) answers.push(await as(ACME, '/public'));
  t.ok(answers.every((a) => a.status === 200 && !('ratelimit' in a.headers)));
});
