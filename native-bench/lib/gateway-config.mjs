// The Tollgate config the native bench measures: plain proxy routes for each scenario's path,
// cached routes for the cached-* scenarios (a cache hit after the first request), no access log
// (logging every request would measure the logger). Workers come from --workers.
// /auth/small is the small route behind a JWT and a rate limit that is never reached.
import { BENCH_JWT_KEY_FILE } from '../../bench/jwt-bench-key.mjs';

/**
 * `features` leaves out what an older build (a --baseline) may not know: `auth: false` drops the
 * JWT provider and the auth route, `cache: false` the cached routes (gatewayFeatures picks them).
 */
export function gatewayConfig({ port, adminPort, upstreamPort, dataDir }, features = { auth: true, cache: true }) {
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

${features.auth ? AUTH_PROVIDERS : ''}
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
${features.cache ? CACHED_ROUTES : ''}${features.auth ? AUTH_ROUTE : ''}`;
}

const AUTH_PROVIDERS = `auth:
  jwt:
    bench: { algorithms: [RS256], publicKeyFile: ${JSON.stringify(BENCH_JWT_KEY_FILE)} }
`;

const CACHED_ROUTES = `  - id: cached-small
    match: { path: /cached/small, methods: [GET] }
    upstream: origin
    cache: { ttl: 1h }
  - id: cached-large
    match: { path: /cached/64k, methods: [GET] }
    upstream: origin
    cache: { ttl: 1h }
`;

const AUTH_ROUTE = `  - id: auth
    match: { path: /auth/small, methods: [GET] }
    upstream: origin
    rewrite: /small
    auth: [jwt:bench]
    rateLimit: { limit: 1000000, window: 1s, by: consumer }
`;

/** The scenarios a config without a feature cannot serve. */
export const SCENARIOS_NEEDING = { auth: ['auth'], cache: ['cached-small', 'cached-64k'] };

/**
 * The features the build under `root` accepts, by asking its own `validate` command: all of them,
 * else without auth, else without auth and cache. Throws with the validator's output when even
 * the plainest config is refused.
 */
export function gatewayFeatures(root, tmp, validate) {
  const ladder = [{ auth: true, cache: true }, { auth: false, cache: true }, { auth: false, cache: false }];
  let last = '';
  for (const features of ladder) {
    const result = validate(gatewayConfig({ port: 1, adminPort: 2, upstreamPort: 3, dataDir: `${tmp}/validate-data` }, features));
    if (result.ok) return features;
    last = result.output;
  }
  throw new Error(`${root}/dist/cli.js refuses the bench config even without auth and cache:\n${last}`);
}
