// The Tollgate config the native bench measures: plain proxy routes for each scenario's path,
// cached routes for the cached-* scenarios (a cache hit after the first request), no access log
// (logging every request would measure the logger). Workers come from --workers.
// /auth/small is the small route behind a JWT and a rate limit that is never reached.
import { BENCH_JWT_KEY_FILE } from '../../bench/jwt-bench-key.mjs';

/**
 * Features of the config that a baseline build (--baseline) older than them refuses, with the
 * scenarios that need them: such a build gets the config without them and skips those scenarios.
 */
export const OPTIONAL_FEATURES = [
  { id: 'auth', scenarios: ['auth'] },
  { id: 'cache', scenarios: ['cached-small', 'cached-64k'] },
];

/** `omit`: ids of OPTIONAL_FEATURES left out. */
export function gatewayConfig({ port, adminPort, upstreamPort, dataDir, omit = new Set() }) {
  const auth = !omit.has('auth');
  const cache = !omit.has('cache');
  return `# written by native-bench/run.mjs
listen: { host: 127.0.0.1, port: ${port} }
admin: { host: 127.0.0.1, port: ${adminPort} }
dataDir: ${JSON.stringify(dataDir)}
log: { level: warn, access: false }
shutdownTimeout: 5s

upstreams:
  origin:
    targets: [http://127.0.0.1:${upstreamPort}]
    connections: 64
${auth ? `
auth:
  jwt:
    bench: { algorithms: [RS256], publicKeyFile: ${JSON.stringify(BENCH_JWT_KEY_FILE)} }
` : ''}
routes:
  - id: small
    match: { path: /small, methods: [GET] }
    upstream: origin
  - id: large
    match: { path: /64k, methods: [GET] }
    upstream: origin
  - id: echo
    match: { path: /echo, methods: [POST] }
    upstream: origin
${cache ? `  - id: cached-small
    match: { path: /cached/small, methods: [GET] }
    upstream: origin
    cache: { ttl: 1h }
  - id: cached-large
    match: { path: /cached/64k, methods: [GET] }
    upstream: origin
    cache: { ttl: 1h }
` : ''}${auth ? `  - id: auth
    match: { path: /auth/small, methods: [GET] }
    upstream: origin
    rewrite: /small
    auth: [jwt:bench]
    rateLimit: { limit: 1000000, window: 1s, by: consumer }
` : ''}`;
}
