import t from 'tap';
import { configOf, errorsOf, withRoutes } from './fixtures/load.js';

t.test('route cache and fallback load with their units and defaults', async (t) => {
  const config = configOf(t, 'cache: { maxSize: 64mb, maxEntrySize: 1mb }\n' + withRoutes(
    '  - id: u\n    match: { path: /u }\n    upstream: users\n    cache: { ttl: 30s, staleIfError: 10m }\n    fallback: { json: { items: [] } }\n'));
  t.same(config.cache, { maxSize: 64 * 1024 * 1024, maxEntrySize: 1024 * 1024 });
  t.same(config.routes[0]?.cache, { ttl: 30_000, staleWhileRevalidate: 0, staleIfError: 600_000 });
  t.same(config.routes[0]?.fallback, { status: 200, json: { items: [] }, headers: {} });
  t.same(configOf(t, withRoutes('  - id: u\n    match: { path: /u }\n    upstream: users\n    cache: {}\n')).routes[0]?.cache,
    { ttl: 0, staleWhileRevalidate: 0, staleIfError: 0 }, 'cache: {} stores what the upstream allows');
});

t.test('what the cache and fallback refuse, each at its key', async (t) => {
  t.same(errorsOf(t, 'cache: { maxSize: 1mb, maxEntrySize: 512kb }\n'), [
    'gw.yaml:1:38 cache.maxEntrySize: cache.maxEntrySize (524288 bytes) must be at most a quarter of cache.maxSize (1048576 bytes)',
  ]);
  t.same(errorsOf(t, 'cache: { maxSize: 100kb }\n'), ['gw.yaml:1:19 cache.maxSize: must be at least 1048576 bytes'], 'one error, not two');
  t.same(errorsOf(t, 'cache: { maxSize: 1gb, ttl: 5s }\n'), ['gw.yaml:1:24 cache.ttl: unknown key "ttl"'], 'ttl is a route setting');
  t.same(errorsOf(t, withRoutes([
    '  - id: r\n    match: { path: /r }\n    respond: { body: x }\n    cache: { ttl: 1s }\n    fallback: { body: y }\n',
    '  - id: p\n    match: { path: /p, methods: [POST] }\n    upstream: users\n    cache: { ttl: 1s }\n',
    '  - id: f\n    match: { path: /f }\n    upstream: users\n    fallback: { json: {}, body: y }\n    cache: { ttl: soon }\n',
  ].join(''))), [
    'gw.yaml:8:5 routes.0.cache: "cache" applies only to routes with an "upstream"',
    'gw.yaml:9:5 routes.0.fallback: "fallback" applies only to routes with an "upstream"',
    'gw.yaml:13:5 routes.1.cache: only GET and HEAD answers are cached, and match.methods (POST) has neither',
    'gw.yaml:17:27 routes.2.fallback.body: use either "json" or "body", not both',
    'gw.yaml:18:19 routes.2.cache.ttl: invalid duration "soon": use a number of milliseconds or a string like 250ms, 30s, 5m, 1h, 1d',
  ]);
});
