// Usage metering end to end (issue 14 items 3 and 4): real gateways over 3 workers, the demo
// upstreams, API-key consumers, and the usage store (LMDB) in the config's temp dir. GET /usage
// must give exact counts (requests, bytes in and out) per consumer, route, UTC day and status
// class: before any flush (the workers are asked to push), after SIGTERM and a new start on the
// same dataDir, after a reload, and after a SIGKILL, which loses at most one flush interval.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { Client } from 'undici';
import { open } from 'lmdb';
import { childEnv, configHead, fetchText, launch, startUpstreams } from './fixtures/system-fixture.js';
import { workerOf } from './fixtures/worker-load.js';
import { parseMetrics, total } from '../helpers/prometheus.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';

const ACME = 'acme-key-0123456789abcdef';
const GLOBEX = 'globex-key-0123456789abcdef';
const TOKEN = 'usage-admin-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

const body = (flushInterval: string): string => `
log: { level: warn, access: false }
metering: { flushInterval: ${flushInterval} }
auth:
  apiKey: { header: x-api-key }
consumers:
  acme: { apiKeys: ["${ACME}"] }
  globex: { apiKeys: ["${GLOBEX}"] }
routes:
  - { id: echo, match: { path: /api/echo }, upstream: users, rewrite: /echo, auth: [apiKey] }
  - { id: status, match: { path: /api/status/:code, methods: [GET] }, upstream: orders, rewrite: /status/:code, auth: [apiKey] }
  - { id: public, match: { path: /pub/small, methods: [GET] }, upstream: users, rewrite: /small }
`;

interface Sent {
  consumer: string | null;
  route: string;
  status: number;
  bytesIn: number;
  bytesOut: number;
  worker: number | null;
  endedAt: number;
}

/** One request on a connection of its own (so the kernel spreads them over the workers). */
async function send(gw: GatewayProcess, path: string, key: string | null, consumer: string | null, route: string, payload = ''): Promise<Sent> {
  const client = new Client(gw.url, { pipelining: 1 });
  try {
    const headers: Record<string, string> = key === null ? {} : { 'x-api-key': key };
    const res = await client.request({ path, method: payload === '' ? 'GET' : 'POST', headers, body: payload === '' ? undefined : payload });
    const answer = Buffer.from(await res.body.arrayBuffer());
    return { consumer, route, status: res.statusCode, bytesIn: Buffer.byteLength(payload), bytesOut: answer.length, worker: workerOf(res.headers), endedAt: performance.now() };
  } finally {
    await client.destroy();
  }
}

/** A known mix: two consumers, every status class, requests with no consumer that must not count. */
async function traffic(gw: GatewayProcess): Promise<Sent[]> {
  const out: Sent[] = [];
  for (let i = 0; i < 6; i++) out.push(await send(gw, '/api/echo', ACME, 'acme', 'echo', 'x'.repeat(100 + i)));
  for (const code of [404, 404, 404, 429, 503, 503, 302, 302, 200]) out.push(await send(gw, `/api/status/${code}`, ACME, 'acme', 'status'));
  for (let i = 0; i < 3; i++) out.push(await send(gw, '/api/status/200', GLOBEX, 'globex', 'status'));
  // No consumer: a wrong key (401) and a public route.
  out.push(await send(gw, '/api/status/200', 'wrong-key-0123456789abcdef', null, 'status'));
  out.push(await send(gw, '/pub/small', null, null, 'public'));
  return out;
}

interface Row { consumer: string; route: string; day: string; statusClass: string; requests: number; bytesIn: number; bytesOut: number }

/** What /usage must say for `consumer`: the sent requests, summed by route and status class (the day checked apart). */
function expected(sent: Sent[], consumer: string): Record<string, [number, number, number]> {
  const out: Record<string, [number, number, number]> = {};
  for (const s of sent) {
    if (s.consumer !== consumer) continue;
    const key = `${s.route} ${Math.floor(s.status / 100)}xx`;
    const had = out[key] ?? [0, 0, 0];
    out[key] = [had[0] + 1, had[1] + s.bytesIn, had[2] + s.bytesOut];
  }
  return out;
}

function byRouteClass(rows: Row[]): Record<string, [number, number, number]> {
  const out: Record<string, [number, number, number]> = {};
  for (const r of rows) {
    const key = `${r.route} ${r.statusClass}`;
    const had = out[key] ?? [0, 0, 0];
    out[key] = [had[0] + r.requests, had[1] + r.bytesIn, had[2] + r.bytesOut];
  }
  return out;
}

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const today = utcDay(Date.now());
// A range around today: a run across midnight UTC still finds every row.
const FROM = utcDay(Date.now() - 86_400_000);
const TO = utcDay(Date.now() + 86_400_000);

async function usage(gw: GatewayProcess, consumer: string, extra = ''): Promise<{ rows: Row[]; totals: { requests: number } }> {
  const res = await fetchText(`${gw.adminUrl}/usage?consumer=${consumer}&from=${FROM}&to=${TO}${extra}`, { headers: AUTH });
  if (res.status !== 200) throw new Error(`/usage answered ${res.status}: ${res.text}`);
  return res.json();
}

const admin = `token: ${TOKEN}`;

t.test('exact usage over 3 workers before any flush, as JSON and CSV, then after SIGTERM and a new start', async (t) => {
  const demo = await startUpstreams(t);
  // An hour: nothing is flushed by the timer, so the first answers come from the workers' memory.
  const yaml = configHead(demo, admin) + body('1h');
  const gw = await launch(t, yaml, { workers: 3, env: { TOLLGATE_FAULT_INJECTION: '1' } });
  const sent = await traffic(gw);
  t.ok(new Set(sent.map((s) => s.worker)).size >= 2, 'the requests were served by more than one worker');
  t.same(sent.filter((s) => s.consumer !== null).map((s) => Math.floor(s.status / 100)).sort(), [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 4, 4, 4, 4, 5, 5], 'every status class was answered');

  const acme = await usage(gw, 'acme');
  t.same(byRouteClass(acme.rows), expected(sent, 'acme'), 'acme: requests, bytes in and out per route and status class');
  t.ok(acme.rows.every((r) => r.consumer === 'acme' && (r.day === today || r.day === utcDay(Date.now()))), 'each row is on the UTC day of the traffic');
  t.equal(acme.totals.requests, 15);
  const globex = await usage(gw, 'globex');
  t.same(byRouteClass(globex.rows), { 'status 2xx': [3, 0, expected(sent, 'globex')['status 2xx']![2]] });
  const onlyEcho = await usage(gw, 'acme', '&route=echo');
  t.same(byRouteClass(onlyEcho.rows), { 'echo 2xx': expected(sent, 'acme')['echo 2xx'] }, 'route= keeps one route');
  t.same((await usage(gw, 'nobody')).rows, [], 'a consumer with no traffic has no rows');

  const csv = await fetchText(`${gw.adminUrl}/usage?consumer=acme&from=${FROM}&to=${TO}`, { headers: { ...AUTH, accept: 'text/csv' } });
  t.equal(csv.status, 200);
  t.match(csv.headers['content-type'], /^text\/csv; charset=utf-8/);
  const lines = csv.text.split('\r\n');
  t.equal(lines.at(-1), '', 'the last row ends with CRLF');
  t.equal(lines[0], 'consumer,route,day,status_class,requests,bytes_in,bytes_out');
  const csvRows: Row[] = lines.slice(1, -1).map((l) => {
    const [consumer, route, day, statusClass, requests, bytesIn, bytesOut] = l.split(',');
    return { consumer: consumer!, route: route!, day: day!, statusClass: statusClass!, requests: Number(requests), bytesIn: Number(bytesIn), bytesOut: Number(bytesOut) };
  });
  t.same(csvRows, acme.rows, 'one CSV row per consumer / route / day / status class, as the JSON rows');

  t.equal(await gw.stop('SIGTERM'), 0);
  const again = await launch(t, yaml, { workers: 3, env: { TOLLGATE_FAULT_INJECTION: '1' }, configFile: gw.configFile });
  t.same((await usage(again, 'acme')).rows, acme.rows, 'after SIGTERM and a new start: the same rows, read from LMDB');
  t.same((await usage(again, 'globex')).rows, globex.rows);
  const more = await traffic(again);
  t.same(byRouteClass((await usage(again, 'acme')).rows), expected([...sent, ...more], 'acme'), 'new traffic adds to the stored counts');
});

/** The acme rows stored in the gateway's LMDB env, read from this process as another reader. */
async function storedRows(gw: GatewayProcess): Promise<string[]> {
  const env = open({ path: join(dirname(gw.configFile), 'data', 'usage'), readOnly: true, maxDbs: 4 });
  try {
    const db = env.openDB<[number, number, number], string[]>({ name: 'usage' });
    return [...db.getRange({ start: ['acme'], end: ['acme~'] })].map(({ key, value }) => `${key[2]} ${key[3]} ${value[0]}`).sort();
  } finally {
    await env.close();
  }
}

t.test('a reload and a SIGINT write the pending counts to LMDB', async (t) => {
  const demo = await startUpstreams(t);
  const gw = await launch(t, configHead(demo, admin) + body('1h'), { workers: 2 });
  await send(gw, '/api/status/200', ACME, 'acme', 'status');
  await send(gw, '/api/status/404', ACME, 'acme', 'status');
  t.same(await storedRows(gw), [], 'nothing stored yet: the first timed flush is an hour away');
  const reload = await fetchText(gw.adminUrl + '/reload', { method: 'POST', headers: AUTH });
  t.equal(reload.status, 200);
  t.same(await storedRows(gw), ['status 2xx 1', 'status 4xx 1'], 'both requests are in LMDB after the reload');
  const families = parseMetrics((await fetchText(gw.adminUrl + '/metrics', { headers: AUTH })).text);
  t.equal(total(families, 'tollgate_usage_flushes_total', { result: 'success' }), 1, 'one flush wrote rows');
  t.equal(total(families, 'tollgate_usage_flushes_total', { result: 'failure' }), 0);
  t.equal(total(families, 'tollgate_usage_rows_written_total', {}), 2, 'two rows: status 2xx and 4xx');
  await send(gw, '/api/status/200', ACME, 'acme', 'status');
  t.equal(await gw.stop('SIGINT'), 0);
  t.same(await storedRows(gw), ['status 2xx 2', 'status 4xx 1'], 'the request after the reload is stored by the SIGINT stop');
});

t.test('SIGKILL loses at most one flush interval (measured)', async (t) => {
  const demo = await startUpstreams(t);
  const intervalMs = 1000;
  const yaml = configHead(demo, admin) + body(`${intervalMs}ms`);
  const gw = await startGateway(yaml, { args: ['--workers', '2'], env: childEnv() });
  // Requests one after another for 3.5 s (bounded count), then SIGKILL with nothing in flight.
  const sent: Sent[] = [];
  const started = performance.now();
  while (performance.now() - started < 3_500 && sent.length < 2_000) {
    sent.push(await send(gw, '/api/status/200', ACME, 'acme', 'status'));
    await sleep(5);
  }
  const killedAt = performance.now();
  gw.child.kill('SIGKILL');
  await gw.exited;
  const again = await launch(t, yaml, { workers: 2, configFile: gw.configFile });
  const stored = (await usage(again, 'acme')).totals.requests;
  const lost = sent.length - stored;
  // Slack for the flush itself (asking the workers, one LMDB commit) and timer lateness on a
  // loaded machine (two cores shared by several test runs).
  const slackMs = 1000;
  const inLastInterval = sent.filter((s) => s.endedAt > killedAt - intervalMs - slackMs).length;
  t.ok(stored > 0 && stored <= sent.length, 'some were flushed and none counted twice');
  // The requests ran one after another, so those stored are the first `stored`: the loss is the
  // time from the end of the last one stored to the kill.
  const lostMs = stored === sent.length ? 0 : Math.round(killedAt - sent[stored - 1]!.endedAt);
  t.comment(`SIGKILL with flushInterval ${intervalMs}ms: ${sent.length} requests sent over ${Math.round(killedAt - started)} ms, ${stored} stored, ${lost} lost: the last ${lostMs} ms before the kill`);
  t.ok(lost <= inLastInterval, `the lost requests (${lost}) all ended within the last ${intervalMs + slackMs} ms (${inLastInterval} requests did)`);
});

t.test('GET /usage: bad parameters are 400 problems naming the parameter; token required; GET only', async (t) => {
  const demo = await startUpstreams(t);
  const gw = await launch(t, configHead(demo, admin) + body('5s'), { workers: 2 });
  const cases: [string, string][] = [
    ['from=2026-11-01&to=2026-11-30', 'consumer'],
    ['consumer=&from=2026-11-01&to=2026-11-30', 'consumer'],
    ['consumer=acme&to=2026-11-30', 'from'],
    ['consumer=acme&from=2026-11-01', 'to'],
    ['consumer=acme&from=2026-02-30&to=2026-03-01', 'from'],
    ['consumer=acme&from=2026-11-01&to=20261130', 'to'],
    ['consumer=acme&from=2026-12-01&to=2026-11-30', 'from'],
    ['consumer=acme&from=2026-11-01&to=2026-11-30&route=', 'route'],
    ['consumer=acme&from=2026-11-01&to=2026-11-30&day=2026-11-02', 'day'],
    ['consumer=acme&consumer=globex&from=2026-11-01&to=2026-11-30', 'consumer'],
  ];
  for (const [query, parameter] of cases) {
    const res = await fetchText(`${gw.adminUrl}/usage?${query}`, { headers: AUTH });
    t.equal(res.status, 400, query);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    const p = res.json();
    t.equal(p.parameter, parameter, `${query}: names ${parameter}`);
    t.match(p.detail, new RegExp(`^${parameter}: `));
  }
  const ok = `${gw.adminUrl}/usage?consumer=acme&from=2026-11-01&to=2026-11-30`;
  t.equal((await fetchText(ok)).status, 401, 'no token');
  t.equal((await fetchText(ok, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status, 401, 'a wrong token');
  t.equal((await fetchText(`${gw.adminUrl}/usage?consumer=`)).status, 401, 'the token is checked before the parameters');
  t.equal((await fetchText(ok, { headers: AUTH })).status, 200);
  const post = await fetchText(ok, { method: 'POST', headers: AUTH });
  t.equal(post.status, 405);
  t.equal(post.headers.allow, 'GET');
  // The usage store lives in dataDir/usage, beside anything else under dataDir.
  t.ok(readFileSync(join(dirname(gw.configFile), 'data', 'usage', 'data.mdb')).length > 0, 'the LMDB env is under dataDir/usage');
});
