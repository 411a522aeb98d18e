import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { loadConfigFile, type LoadResult } from '../../dist/config/load.js';
import { DEFAULT_DEMO_PORTS } from '../../dist/demo/index.js';
import { scenarios } from '../../bench/scenarios/proxy.mjs';
import { BENCH_JWT_KEY_FILE } from '../../bench/jwt-bench-key.mjs';

const GATEWAY_YAML = fileURLToPath(new URL('../../config/gateway.yaml', import.meta.url));
const BENCH_YAML = fileURLToPath(new URL('../../bench/gateway.bench.yaml', import.meta.url));

function loaded(t: Test, result: LoadResult) {
  if (!result.ok) {
    t.fail(result.errors.map((e) => `${e.line}:${e.col} ${e.path}: ${e.message}`).join('\n'));
    throw new Error('config did not load');
  }
  return result.config;
}

t.test('config/gateway.yaml is valid and points at the demo upstreams', async (t) => {
  t.equal(readFileSync(GATEWAY_YAML, 'utf8').split('\n')[0], '# yaml-language-server: $schema=./tollgate.schema.json');
  const config = loaded(t, loadConfigFile(GATEWAY_YAML, {}));
  t.same(config.listen, [{ host: '127.0.0.1', port: 8080, tls: null }], 'npm start serves this machine only (the echo route reflects headers)');
  t.equal(config.workers, 'auto');
  t.equal(config.dataDir, fileURLToPath(new URL('../../config/data', import.meta.url)), 'dataDir: ./data beside the file');
  t.equal(loaded(t, loadConfigFile(GATEWAY_YAML, { STATE_DIRECTORY: '/var/lib/tollgate' })).dataDir, '/var/lib/tollgate', "systemd's StateDirectory");
  t.same(config.admin, { host: '127.0.0.1', port: 9901, token: '' });
  for (const [service, port] of Object.entries(DEFAULT_DEMO_PORTS)) {
    t.same(config.upstreams[service]?.targets.map((target) => target.url), [`http://127.0.0.1:${port}`], `${service} upstream`);
  }
  const routes = new Map(config.routes.map((route) => [route.id, route]));
  const user = routes.get('user');
  t.equal(user?.match.path, '/api/users/:id');
  t.equal(user?.rewrite, '/v2/users/:id');
  t.same(user?.headers.request.set, { 'x-gw': 'tollgate' });
  t.same(user?.headers.response.remove, ['server']);
  t.same(user?.cache, { ttl: 30_000, staleWhileRevalidate: 5_000, staleIfError: 600_000 }, 'the README shows it cached');
  t.equal(routes.get('slow')?.timeout, 2000);
  t.equal(routes.get('flaky')?.rewrite, '/*');
  t.equal(routes.get('echo')?.rewrite, '/echo/*');
  t.same(routes.get('status')?.respond?.json, { ok: true });
  t.ok(routes.get('health')?.respond, 'the gateway answers /health itself');
  t.same(routes.get('limited')?.rateLimit, { limit: 5, window: 10_000, by: 'ip' });
  t.same(routes.get('live')?.websocket, { idleTimeout: 300_000, maxPayloadLength: 1024 * 1024, maxBackpressure: 1024 * 1024 }, 'the README shows the WebSocket route');
  t.same(
    [...routes.keys()].sort(),
    ['dashboard', 'echo', 'flaky', 'health', 'limited', 'live', 'order', 'orders', 'slow', 'status', 'user', 'users'],
  );
});

t.test('the admin token comes from TOLLGATE_ADMIN_TOKEN', async (t) => {
  const config = loaded(t, loadConfigFile(GATEWAY_YAML, { TOLLGATE_ADMIN_TOKEN: 's3cret' }));
  t.equal(config.admin.token, 's3cret');
});

t.test('bench/gateway.bench.yaml is valid and routes every bench scenario', async (t) => {
  const config = loaded(t, loadConfigFile(BENCH_YAML, { TOLLGATE_BENCH_JWT_KEY: BENCH_JWT_KEY_FILE }));
  t.same(config.listen, [{ host: '127.0.0.1', port: 8780, tls: null }]);
  t.equal(config.admin.port, 9981);
  t.equal(config.log.access, false);
  t.same(config.upstreams['users']?.targets.map((target) => target.url), ['http://127.0.0.1:9001']);
  const paths = config.routes.map((route) => route.match.path);
  t.same(paths.sort(), ['/aggregate/small', '/auth/small', '/bytes/:n', '/cached/bytes/:n', '/cached/small', '/echo', '/small', '/small-checked', '/small-plugin', '/static', '/transformed/small', '/ws/*']);
  t.same(config.routes.find((route) => route.id === 'small-plugin')?.plugins, ['noop'], 'plugin-noop: the small route with the no-op plugin');
  const cached = config.routes.filter((route) => route.cache !== null).map((route) => route.rewrite);
  t.same(cached, ['/small', '/bytes/:n'], 'the cache-hit scenarios ask for the same answers as small and bytes-64k');
  const authRoute = config.routes.find((route) => route.id === 'small-auth');
  t.same(authRoute?.auth, ['jwt:bench'], 'the authenticated bench route needs the bench token');
  t.equal(authRoute?.rateLimit?.by, 'consumer', 'and is rate-limited by consumer');
  t.match(config.upstreams['users-checked'], { targets: [{ url: 'http://127.0.0.1:9001' }], healthCheck: { path: '/health' }, circuitBreaker: {} },
    'small-checked: the same target with health checks and a breaker');
  const transformed = config.routes.find((route) => route.id === 'small-transformed');
  t.equal(transformed?.rewrite, '/small', 'small-transformed asks for the same answer as small');
  t.ok(transformed?.transform?.response, 'with a response transform');
  const staticRoute = config.routes.find((route) => route.match.path === '/static');
  t.equal(staticRoute?.respond?.status, 200);
  for (const scenario of scenarios) {
    t.ok(
      config.routes.some((route) => new RegExp(`^${route.match.path.replace(/:\w+/g, '[^/]+').replace(/\*$/, '.*')}$`).test(scenario.request.path)),
      `scenario ${scenario.name} (${scenario.request.path}) has a route`,
    );
  }
});
