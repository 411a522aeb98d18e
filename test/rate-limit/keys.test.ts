// What gets its own budget (by header, by ip behind trusted proxies), the headers on allowed and
// refused answers, proxied answers included, and the refill.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import type { GatewayProcess } from '../helpers/gateway-process.js';
import { listenOnLoopback } from '../helpers/listen.js';
import { gatewayWith, get } from './fixture.js';

let upstreamRequests = 0;
const upstream = http.createServer((req, res) => {
  upstreamRequests++;
  res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': 'yes' }).end('from upstream');
});
let gw: GatewayProcess;
let untrusting: GatewayProcess;

const ROUTES = (port: number): string => `
  - { id: tenant, match: { path: /tenant }, respond: { body: ok }, rateLimit: { limit: 2, window: 1h, by: "header:X-Tenant" } }
  - { id: by-ip, match: { path: /ip }, respond: { body: ok }, rateLimit: { limit: 2, window: 1h, by: ip } }
  - { id: refill, match: { path: /refill }, respond: { body: ok }, rateLimit: { limit: 2, window: 1s } }
  - { id: proxied, match: { path: /proxied }, upstream: up, rateLimit: { limit: 3, window: 1m } }
  - { id: open, match: { path: /open }, upstream: up }
`.replace(/^\n/, '') + `upstreams:\n  up: { targets: [http://127.0.0.1:${port}] }\n`;

t.before(async () => {
  const port = await listenOnLoopback(upstream);
  gw = await gatewayWith(t, ROUTES(port), { extra: 'trustedProxies: [127.0.0.1/32]', workers: 2 });
  untrusting = await gatewayWith(t, ROUTES(port), { workers: 1 });
});
t.teardown(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

t.test('allowed answers carry RateLimit-Policy and RateLimit, proxied ones included; a 429 never reaches the upstream', async (t) => {
  const before = upstreamRequests;
  const answers = [];
  for (let i = 0; i < 5; i++) answers.push(await get(`${gw.url}/proxied`));
  t.same(answers.map((a) => a.status), [200, 200, 200, 429, 429]);
  t.same(answers.slice(0, 3).map((a) => a.text), ['from upstream', 'from upstream', 'from upstream']);
  t.equal(answers[0]!.headers['x-upstream'], 'yes', "the upstream's own headers are kept");
  t.ok(answers.every((a) => a.policy === '"proxied";q=3;w=60'), 'the policy: quota 3, window 60 s');
  // Remaining, and seconds until the bucket is full again (20 s per request at 3 per minute).
  t.same(answers.map((a) => a.state), [
    '"proxied";r=2;t=20', '"proxied";r=1;t=40', '"proxied";r=0;t=60', '"proxied";r=0;t=60', '"proxied";r=0;t=60',
  ]);
  t.equal(upstreamRequests - before, 3, 'the refused requests were not forwarded');
  const refused = answers[3]!;
  t.equal(refused.retryAfter, '20', 'Retry-After: seconds until one request is allowed again, rounded up');
  t.equal(refused.headers['content-type'], 'application/problem+json');
  const problem = JSON.parse(refused.text) as Record<string, unknown>;
  t.match(problem, { type: 'https://tollgate.dev/problems/rate-limited', title: 'Too Many Requests', status: 429 });
  t.equal(problem.detail, 'Rate limit "proxied" of 3 requests per 1m exceeded; retry in 20 s.');
  t.equal(problem.instance, refused.headers['x-request-id']);
  const open = await get(`${gw.url}/open`);
  t.equal(open.status, 200);
  t.notOk('ratelimit' in open.headers || 'ratelimit-policy' in open.headers, 'a route without a limit has no rate-limit headers');
});

t.test('by header: each value has its own budget; requests without the header share one', async (t) => {
  const call = (tenant?: string) => get(`${gw.url}/tenant`, tenant === undefined ? {} : { 'x-tenant': tenant });
  const a = [await call('a'), await call('a'), await call('a')];
  t.same(a.map((x) => x.status), [200, 200, 429]);
  t.same(a.map((x) => x.state), ['"tenant";r=1;t=1800', '"tenant";r=0;t=3600', '"tenant";r=0;t=3600']);
  t.same([(await call('b')).status, (await call('B')).status], [200, 200], 'another value, and values are case-sensitive');
  t.same([(await call()).status, (await call('')).status, (await call()).status], [200, 200, 429],
    'no header and an empty one are one budget: leaving it out is no way around the limit');
});

t.test('by ip behind a trusted proxy: the address X-Forwarded-For gives, never one the client wrote', async (t) => {
  const call = (xff?: string) => get(`${gw.url}/ip`, xff === undefined ? {} : { 'x-forwarded-for': xff });
  t.same([(await call('203.0.113.1')).status, (await call('203.0.113.1')).status, (await call('203.0.113.1')).status], [200, 200, 429]);
  t.equal((await call('203.0.113.2')).status, 200, 'another client address has its own budget');
  // The client wrote 198.51.100.9 itself; the proxy (trusted) appended the address it saw.
  t.equal((await call('198.51.100.9, 203.0.113.1')).status, 429, 'entries left of the first untrusted one are ignored');
  t.equal((await call('203.0.113.2, 127.0.0.1')).status, 200, 'trusted hops on the right are skipped');
  t.equal((await call('203.0.113.2')).status, 429, '... and that was 203.0.113.2\'s second request');
  t.same([(await call()).status, (await call()).status, (await call('not-an-address')).status], [200, 200, 429],
    'without the header the peer is the client; an entry that is not an address counts as the hop that sent it');
});

t.test('by ip from a peer that is not trusted: X-Forwarded-For is ignored', async (t) => {
  const call = (xff: string) => get(`${untrusting.url}/ip`, { 'x-forwarded-for': xff });
  t.same([(await call('203.0.113.1')).status, (await call('203.0.113.2')).status, (await call('203.0.113.3')).status], [200, 200, 429],
    'a client cannot get a new budget by writing a new address');
});

t.test('the bucket refills at limit per window (limit 2 per 1s: one request back every 500 ms)', async (t) => {
  const call = () => get(`${gw.url}/refill`);
  const burst = [await call(), await call(), await call()];
  t.same(burst.map((a) => a.status), [200, 200, 429]);
  t.equal(burst[2]!.retryAfter, '1', 'half a second, rounded up');
  t.equal(burst[2]!.headers['ratelimit-policy'], '"refill";q=2;w=1');
  await sleep(600);
  t.same([(await call()).status, (await call()).status], [200, 429], 'after one interval: one request');
  await sleep(1_100);
  const refilled = [await call(), await call(), await call()];
  t.same(refilled.map((a) => a.status), [200, 200, 429], 'after a whole window: the whole burst, and no more');
});
