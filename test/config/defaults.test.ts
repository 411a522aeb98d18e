import { resolve } from 'node:path';
import t from 'tap';
import { configOf, withRoutes } from './fixtures/load.js';

/** SPEC §2's default log.accessFields, in its order. */
const ACCESS_FIELDS = [
  'time', 'route', 'method', 'path', 'rawPath', 'query', 'host', 'status', 'durationMs', 'upstream',
  'upstreamStatus', 'upstreamMs', 'bytesIn', 'bytesOut', 'remoteAddress', 'userAgent', 'requestId', 'traceparent',
];

t.test('{} gets every documented default', async (t) => {
  t.same(configOf(t, '{}\n'), {
    listen: [{ host: '0.0.0.0', port: 8080, tls: null }],
    workers: 'auto',
    dataDir: resolve('data'), // next to the config file (gw.yaml in the working directory)
    shutdownTimeout: 30_000,
    limits: { maxBodySize: 1_048_576, requestTimeout: 30_000, maxHeaderSize: 16_384, chunkedRequests: false, headersTimeout: null, idleTimeout: null, maxConnections: null },
    trustedProxies: [],
    log: { level: 'info', access: true, sampling: 1, accessFields: ACCESS_FIELDS },
    admin: { host: '127.0.0.1', port: 9901, token: '' },
    metering: { flushInterval: 5_000 },
    serverTokens: false,
    upstreams: {},
    auth: { jwt: {}, apiKey: null, offload: 'auto', pool: { threads: 1, maxQueue: 256 }, tokenCache: 10_000 },
    consumers: {},
    routes: [],
    plans: {},
    rateLimits: { capacity: 100_000 },
    aggregate: { offloadAbove: 65_536 },
    cache: { maxSize: 1_073_741_824, maxEntrySize: 8_388_608 },
    plugins: {},
  });
});

t.test('partial sections keep the defaults of the keys they leave out', async (t) => {
  const config = configOf(t, 'listen: { port: 0 }\nlimits: { maxBodySize: 64kb }\nlog: { level: debug }\nadmin: { port: 0 }\nworkers: 2\n');
  t.same(config.listen, [{ host: '0.0.0.0', port: 0, tls: null }]);
  t.same(config.limits, { maxBodySize: 65_536, requestTimeout: 30_000, maxHeaderSize: 16_384, chunkedRequests: false, headersTimeout: null, idleTimeout: null, maxConnections: null });
  t.same(config.log, { level: 'debug', access: true, sampling: 1, accessFields: ACCESS_FIELDS });
  t.same(config.admin, { host: '127.0.0.1', port: 0, token: '' });
  t.equal(config.workers, 2);
});

t.test('an upstream and a route are normalised to their full shape', async (t) => {
  const config = configOf(t, withRoutes('  - id: users\n    match: { path: /users/:id, methods: [get, Post, GET], host: API.Example.COM }\n    upstream: users\n'));
  t.same(config.upstreams['users'], {
    targets: [{ url: 'http://127.0.0.1:9001', weight: 1 }],
    balance: 'round-robin',
    connections: 64,
    timeout: { connect: 2000, response: 10_000, idle: 60_000 },
    discover: null,
    hashOn: null,
    retry: null,
    healthCheck: null,
    circuitBreaker: null,
  });
  t.same(config.routes[0], {
    id: 'users',
    match: { path: '/users/:id', methods: ['GET', 'POST'], host: 'api.example.com' },
    upstream: 'users',
    rewrite: null,
    headers: { request: { set: {}, remove: [] }, response: { set: {}, remove: [] } },
    timeout: null,
    respond: null,
    plugins: [],
    auth: null,
    scopes: null,
    rateLimit: null,
    aggregate: null,
    translate: true,
    websocket: null,
    cors: null,
    cache: null,
    transform: null,
    fallback: null,
  });
});

t.test('a respond route gets status 200 and empty headers by default', async (t) => {
  const config = configOf(t, 'routes:\n  - id: s\n    match: { path: /s }\n    respond: { body: hi }\n');
  t.same(config.routes[0]?.respond, { status: 200, body: 'hi', headers: {} });
  t.equal(config.routes[0]?.upstream, null);
});

t.test('the loaded config is deep-frozen', async (t) => {
  const config = configOf(t, withRoutes('  - id: users\n    match: { path: /u }\n    upstream: users\n'));
  t.ok(Object.isFrozen(config));
  t.ok(Object.isFrozen(config.listen));
  t.ok(Object.isFrozen(config.listen[0]));
  t.ok(Object.isFrozen(config.routes));
  t.ok(Object.isFrozen(config.routes[0]?.headers.request.remove));
  t.ok(Object.isFrozen(config.upstreams['users']?.targets[0]));
  t.throws(() => {
    (config.listen[0] as { port: number }).port = 1;
  }, TypeError);
  t.throws(() => {
    (config.routes as unknown[]).push({});
  }, TypeError);
  t.equal(config.listen[0]?.port, 8080);
});
