// GET /dashboard in a real browser (headless Chromium through playwright-core) against a real
// gateway: the page stays on the admin origin and runs without a console error, its figures
// follow generated traffic, a target whose upstream is stopped shows `down` and a failing one's
// circuit `open`, and with admin.token set it asks for the token (a wrong one gets a message).
// A screenshot goes to the test's temp dir; TOLLGATE_DASHBOARD_SCREENSHOT=PATH also writes it
// there (how docs/dashboard.png was made).
import { copyFileSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { Browser, Page } from 'playwright-core';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { startFailingUpstream, type FailingUpstream } from '../helpers/failing-upstream.js';
import { freshRequest, waitUntil } from '../helpers/fresh-request.js';
import { launchBrowser, waitForText, watchedPage } from '../helpers/browser.js';
import { listenOnLoopback } from '../helpers/listen.js';

/** A loopback URL nothing listens on: a port that was free a moment ago. */
async function stoppedUpstreamUrl(): Promise<string> {
  const server = net.createServer();
  const port = await listenOnLoopback(server);
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

function gatewayYaml(a: FailingUpstream, dead: string, f: FailingUpstream, token: string): string {
  return `
listen: { host: 127.0.0.1, port: 0 }
workers: 2
admin: { host: 127.0.0.1, port: 0${token === '' ? '' : `, token: ${token}`} }
log: { level: warn, access: false }
upstreams:
  users:
    targets: ['${a.url}', '${dead}']
    healthCheck: { path: /health, interval: 200ms, timeout: 500ms, unhealthyAfter: 1, healthyAfter: 1 }
  billing:
    targets: ['${f.url}']
    circuitBreaker: { errorRate: 50%, minRequests: 4, window: 10s, cooldown: 5m }
routes:
  - { id: users, match: { path: /api/users/* }, upstream: users }
  - { id: catalog, match: { path: /api/catalog/* }, upstream: users, cache: { ttl: 30s } }
  - { id: billing, match: { path: /api/billing/* }, upstream: billing }
  - { id: status, match: { path: /status }, respond: { json: { ok: true } }, rateLimit: { limit: 5, window: 1m, by: ip } }
`;
}

interface Setup {
  gw: GatewayProcess;
  a: FailingUpstream;
  f: FailingUpstream;
  dead: string;
}

async function setup(t: Test, token = ''): Promise<Setup> {
  const a = await startFailingUpstream('a');
  const f = await startFailingUpstream('f');
  const dead = await stoppedUpstreamUrl();
  const gw = await startGateway(gatewayYaml(a, dead, f, token));
  t.teardown(async () => {
    await gw.stop();
    await a.close();
    await f.close();
  });
  return { gw, a, f, dead };
}

let browser: Browser | null = null;
t.before(async () => {
  browser = await launchBrowser();
});
t.teardown(async () => {
  await browser?.close();
});

const num = (text: string): number => Number(text);
const routeField = (id: string, name: string): string => `[data-route="${id}"] [data-field="${name}"]`;
const targetField = (url: string, name: string): string => `[data-target="${url}"] [data-field="${name}"]`;

async function send(gw: GatewayProcess, path: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await freshRequest(gw.url + path)).status);
  return statuses;
}

/**
 * For the README's picture only (TOLLGATE_DASHBOARD_SCREENSHOT set): traffic that rises and falls
 * over `ms` on every route, so the charts have shapes. Bounded by time and by one request at a time.
 */
async function pictureTraffic(gw: GatewayProcess, ms: number): Promise<void> {
  const start = Date.now();
  const paths = ['/api/users/1', '/api/users/2', '/api/catalog/1', '/api/catalog/2', '/api/billing/charge', '/status'];
  for (let i = 0; Date.now() - start < ms; i++) {
    const phase = Math.sin(((Date.now() - start) / ms) * Math.PI * 3);
    await freshRequest(gw.url + paths[i % paths.length]!);
    await new Promise((r) => setTimeout(r, phase > 0 ? 5 : 40));
  }
}

async function screenshot(t: Test, page: Page): Promise<void> {
  const file = join(t.testdir(), 'dashboard.png');
  await page.screenshot({ path: file, fullPage: true, timeout: 10_000 });
  const png = readFileSync(file);
  t.same([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG screenshot is written to the test dir');
  t.ok(png.length > 10_000, `with something drawn in it (${png.length} bytes)`);
  const keep = process.env.TOLLGATE_DASHBOARD_SCREENSHOT;
  if (keep !== undefined && keep !== '') copyFileSync(file, keep);
}

t.test('the page follows traffic, shows a stopped target down and an open circuit, stays on its origin', async (t) => {
  const { gw, a, f, dead } = await setup(t);
  const { page, requests, errors } = await watchedPage(browser!);
  t.teardown(() => page.context().close());
  // The stopped target is found down by the active checks before traffic is sent.
  await waitUntil(async () => {
    const ups = JSON.parse((await freshRequest(gw.adminUrl + '/upstreams')).text) as { targets: { url: string; health: string }[] }[];
    return ups[0]!.targets.some((x) => x.url === dead && x.health === 'down');
  }, 5_000, 'the stopped target is down');

  const res = await page.goto(gw.adminUrl + '/dashboard');
  t.equal(res?.status(), 200);
  const csp = res?.headers()['content-security-policy'] ?? '';
  t.match(csp, /default-src 'none'/, 'a strict Content-Security-Policy');
  t.match(csp, /script-src 'self'/);
  t.match(csp, /connect-src 'self'/);

  await waitForText(page, routeField('users', 'requests'), (x) => x === '0', 'the route row is drawn');
  const rows = page.locator('[data-route]');
  const ids: (string | null)[] = [];
  for (let i = 0; i < (await rows.count()); i++) ids.push(await rows.nth(i).getAttribute('data-route'));
  t.same(ids, ['users', 'catalog', 'billing', 'status'], 'one row per route, in config order');

  t.same(await send(gw, '/api/users/1', 20), Array(20).fill(200), 'the live target answers every request');
  await waitForText(page, routeField('users', 'requests'), (x) => num(x) === 20, 'the requests of the last minute follow the traffic');
  await waitForText(page, routeField('users', 'rps'), (x) => num(x) > 0, 'requests per second follow the traffic');
  t.ok(num(await waitForText(page, routeField('users', 'p99'), (x) => num(x) > 0, 'p99 is shown')) > 0);
  t.equal(await page.textContent(routeField('users', 'errors')), '0', 'no 5xx');

  t.equal(await waitForText(page, targetField(dead, 'health'), (x) => x === 'down', 'the stopped target'), 'down', 'the stopped upstream shows down');
  t.equal(await waitForText(page, targetField(a.url, 'health'), (x) => x === 'up', 'the live target'), 'up');
  t.equal(await page.textContent(targetField(a.url, 'circuit')), 'closed', 'circuit state shown');

  f.behaviour = { kind: 'status', status: 503 };
  await send(gw, '/api/billing/charge', 6);
  t.equal(await waitForText(page, targetField(f.url, 'circuit'), (x) => x === 'open', 'the failing target\'s circuit'), 'open', 'a failing target\'s circuit shows open');
  await waitForText(page, routeField('billing', 'errors'), (x) => num(x) === 6, '5xx answers are counted');

  await send(gw, '/api/catalog/1', 5);
  t.equal(await waitForText(page, routeField('catalog', 'cacheHitRatio'), (x) => x === '80.0 %', 'cache hits'), '80.0 %', 'the cache hit ratio (4 hits of 5)');
  t.same(await send(gw, '/status', 8), [...Array(5).fill(200), ...Array(3).fill(429)]);
  t.equal(await waitForText(page, routeField('status', 'rateLimited'), (x) => x === '3', 'rate-limited answers'), '3', 'rate-limited requests');
  await waitForText(page, '[data-total="workers"]', (x) => x === '2 / 2', 'workers serving');
  t.equal(await page.locator('#workers [data-field="state"]').allTextContents().then((s) => s.join()), 'serving,serving', 'each worker and its state');
  t.match(await page.textContent('#generation'), 'generation 1', 'the config generation');
  // Long enough for a few history samples, so the charts in the screenshot have lines.
  await waitUntil(async () => (await page.locator('#chart-traffic polyline.rps').count()) === 1, 6_000, 'the traffic chart has a line');
  if ((process.env.TOLLGATE_DASHBOARD_SCREENSHOT ?? '') !== '') {
    await pictureTraffic(gw, 40_000);
    await new Promise((r) => setTimeout(r, 2_500));
  }
  await screenshot(t, page);

  const foreign = requests.filter((u) => new URL(u).origin !== gw.adminUrl);
  t.same(foreign, [], 'no request left the admin origin');
  t.ok(requests.filter((u) => u.endsWith('/dashboard/data')).length >= 3, 'the page polled its one data endpoint');
  t.same(errors, [], 'no console error, no uncaught exception');

  const reload = await freshRequest(gw.adminUrl + '/reload', { method: 'POST' });
  t.equal(reload.status, 200);
  t.equal(await waitForText(page, '#generation', (x) => x === 'generation 2', 'the generation after a reload'), 'generation 2', 'a reload shows as the next generation');
  await gw.stop();
  t.match(await waitForText(page, '#message', (x) => x !== '', 'the gateway stopped'), /Cannot reach the admin API \(last figures from .*\); retrying/,
    'a gateway that stopped answering is said so, the last figures kept');
  t.equal(await page.locator('[data-route="users"]').count(), 1);
});

t.test('with admin.token the page asks for it, says when it is wrong, and keeps it for the tab only', async (t) => {
  const { gw } = await setup(t, 'dashboard-secret-1');
  const { page, errors, authorizations } = await watchedPage(browser!);
  t.teardown(() => page.context().close());
  await page.goto(gw.adminUrl + '/dashboard');
  await page.locator('#token-form').waitFor({ state: 'visible' });
  t.equal(await page.locator('#main').isVisible(), false, 'no figures before the token');
  t.same(authorizations('/dashboard/data'), [], 'nothing fetched before the token is given');

  await page.fill('#token-input', 'not-the-token');
  await page.click('#token-form button');
  const message = await waitForText(page, '#token-error', (x) => x.length > 0, 'the refusal message');
  t.match(message, /refused this token \(401 Unauthorized\)/, 'a wrong token gets a clear message');
  t.equal(await page.locator('#token-form').isVisible(), true, 'and the prompt again');
  t.equal(await page.evaluate('sessionStorage.length'), 0, 'a refused token is not kept');

  await page.fill('#token-input', 'dashboard-secret-1');
  await page.click('#token-form button');
  await waitForText(page, routeField('users', 'requests'), (x) => x === '0', 'figures with the right token');
  t.equal(await page.locator('#token-form').isVisible(), false);
  t.equal(await page.evaluate('sessionStorage.getItem("tollgate.adminToken")'), 'dashboard-secret-1', 'kept in sessionStorage');
  t.equal(await page.evaluate('localStorage.length'), 0, 'not in localStorage');
  t.equal(await page.evaluate('document.cookie'), '', 'nor in a cookie');
  t.same(authorizations('/dashboard/data'), ['Bearer not-the-token', 'Bearer dashboard-secret-1'], 'each fetch carried the bearer token');

  await page.reload();
  await waitForText(page, routeField('users', 'requests'), (x) => x === '0', 'after a reload, the kept token serves');
  t.equal(await page.locator('#token-form').isVisible(), false, 'no prompt after a reload in the same tab');
  // The one console error allowed: Chromium reports the refused fetch (401) itself.
  t.same(errors.filter((e) => !/status of 401/.test(e)), [], 'no other console error');
  t.equal(errors.length, 1, 'the refused fetch, once');
});
