// Quotas (plans.NAME.quota) on real gateways over 3 workers: exact across workers, 429 with
// Retry-After until the UTC period ends and the RateLimit headers of the quota policy, state
// kept across a restart, and a fresh count when the period ends (the gateway's clock is put
// seconds before midnight UTC with the test-only TOLLGATE_TEST_CLOCK_OFFSET_MS).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { Client } from 'undici';
import { configHead, fetchText, launch, startUpstreams } from './fixtures/system-fixture.js';
import { workerOf } from './fixtures/worker-load.js';
import type { GatewayProcess } from '../helpers/gateway-process.js';
import { parseMetrics, total } from '../helpers/prometheus.js';

const ACME = 'acme-key-0123456789abcdef';
const SOLO = 'solo-key-0123456789abcdef';
const TOKEN = 'quota-admin-token-0123456789';

const body = (limit: number): string => `
log: { level: warn, access: false }
auth:
  apiKey: { header: x-api-key }
plans:
  gold: { quota: { limit: ${limit}, period: day } }
consumers:
  acme: { apiKeys: ["${ACME}"], plan: gold }
  solo: { apiKeys: ["${SOLO}"] }
routes:
  - { id: small, match: { path: /api/small, methods: [GET] }, upstream: users, rewrite: /small, auth: [apiKey] }
  - { id: other, match: { path: /api/other, methods: [GET] }, upstream: orders, rewrite: /small, auth: [apiKey] }
`;

interface Answer { status: number; worker: number | null; policy: string | undefined; state: string | undefined; retryAfter: string | undefined; type: string; detail: string }

/** One request on a connection of its own (spread over the workers). */
async function get(gw: GatewayProcess, path: string, key: string): Promise<Answer> {
  const client = new Client(gw.url, { pipelining: 1 });
  try {
    const res = await client.request({ path, method: 'GET', headers: { 'x-api-key': key } });
    const text = await res.body.text();
    const h = res.headers as Record<string, string | undefined>;
    return { status: res.statusCode, worker: workerOf(res.headers), policy: h['ratelimit-policy'], state: h['ratelimit'], retryAfter: h['retry-after'], ...(res.statusCode === 429 ? (JSON.parse(text) as { type: string; detail: string }) : { type: '', detail: '' }) };
  } finally {
    await client.destroy();
  }
}

const secondsToMidnight = (now: number): number => Math.ceil((Math.floor(now / 86_400_000 + 1) * 86_400_000 - now) / 1000);

t.test('a daily quota is exact over 3 workers, answers 429 until midnight UTC, and holds across a restart', async (t) => {
  const demo = await startUpstreams(t);
  // 12 requests on new connections: the kernel spreads them over the 3 workers (all on one: 3^-11).
  const yaml = configHead(demo, `token: ${TOKEN}`) + body(12);
  const gw = await launch(t, yaml, { workers: 3, env: { TOLLGATE_FAULT_INJECTION: '1' } });
  const answers: Answer[] = [];
  // Two routes: the quota is the consumer's, across every route.
  for (let i = 0; i < 12; i++) answers.push(await get(gw, i % 2 === 0 ? '/api/small' : '/api/other', ACME));
  t.ok(answers.every((a) => a.status === 200), 'all 12 admitted');
  t.ok(new Set(answers.map((a) => a.worker)).size >= 2, 'served by more than one worker');
  t.same(answers.map((a) => a.state?.replace(/;t=\d+$/, '')), [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0].map((r) => `"quota-gold";r=${r}`), 'remaining counts down across workers');
  t.ok(answers.every((a) => a.policy === '"quota-gold";q=12;w=86400'), 'the policy: 12 per day');
  const refused = await get(gw, '/api/small', ACME);
  t.equal(refused.status, 429);
  t.match(refused.type, /quota-exceeded$/, 'a problem answer of its own type');
  t.match(refused.detail, /^Quota of plan "gold" \(12 requests per UTC day\) used up; it starts again in \d+ s\.$/);
  const expected = secondsToMidnight(Date.now());
  t.ok(Math.abs(Number(refused.retryAfter) - expected) <= 2, `Retry-After ${refused.retryAfter} s: until midnight UTC (${expected} s)`);
  t.match(refused.state, /^"quota-gold";r=0;t=\d+$/);
  t.equal((await get(gw, '/api/small', SOLO)).status, 200, 'a consumer without the plan is not limited');
  const families = parseMetrics((await fetchText(`${gw.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text);
  t.equal(total(families, 'tollgate_quota_exceeded_total', { route: 'small', plan: 'gold' }), 1, 'the 429 is counted for its route and plan');
  t.equal(total(families, 'tollgate_quota_exceeded_total', { route: 'other', plan: 'gold' }), 0);

  t.equal(await gw.stop('SIGTERM'), 0);
  const again = await launch(t, yaml, { workers: 3, env: { TOLLGATE_FAULT_INJECTION: '1' }, configFile: gw.configFile });
  const after = await get(again, '/api/other', ACME);
  t.equal(after.status, 429, 'still used up after the restart: the quota state came back from LMDB');
  // The usage of the day: 12 admitted (2xx) and the 429s (4xx), under both routes.
  const today = new Date().toISOString().slice(0, 10);
  const usage = await fetchText(`${again.adminUrl}/usage?consumer=acme&from=${today}&to=${today}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const rows = usage.json().rows as { route: string; statusClass: string; requests: number }[];
  t.same(rows.map((r) => `${r.route} ${r.statusClass} ${r.requests}`), ['other 2xx 6', 'other 4xx 1', 'small 2xx 6', 'small 4xx 1']);
});

t.test('the count starts again when the UTC day ends (the gateway clock set 12 s before midnight)', async (t) => {
  const demo = await startUpstreams(t);
  const now = Date.now();
  const offset = Math.floor(now / 86_400_000 + 1) * 86_400_000 - 12_000 - now;
  const gw = await launch(t, configHead(demo) + body(2), { workers: 2, env: { TOLLGATE_FAULT_INJECTION: '1', TOLLGATE_TEST_CLOCK_OFFSET_MS: String(offset) } });
  t.same([(await get(gw, '/api/small', ACME)).status, (await get(gw, '/api/small', ACME)).status], [200, 200]);
  const refused = await get(gw, '/api/small', ACME);
  t.equal(refused.status, 429, 'used up before midnight');
  const retry = Number(refused.retryAfter);
  t.ok(retry >= 1 && retry <= 12, `Retry-After ${retry} s: the seconds left before the gateway's midnight`);
  const started = performance.now();
  await sleep(retry * 1000 + 300);
  const next = await get(gw, '/api/small', ACME);
  t.equal(next.status, 200, `admitted again ${Math.round(performance.now() - started)} ms later, in the new day`);
  t.match(next.state, /^"quota-gold";r=1;t=\d+$/, 'the new day counts from 0');
});
