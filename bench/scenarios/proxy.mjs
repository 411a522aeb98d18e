// Load scenarios for bench/run.mjs. Each runs against the users demo upstream directly and
// through the gateway (bench/gateway.bench.yaml). `direct` names the baseline request when it
// differs from the gateway's; `request` is what the gateway receives.

import { BENCH_AUTH_HEADERS } from '../jwt-bench-key.mjs';

const BODY_4K = 'x'.repeat(4096);

/**
 * @typedef {{ method: string, path: string, body?: string, headers?: Record<string, string>, websocket?: { messageSize: number, binary?: boolean } }} BenchRequest
 * `websocket`: a WebSocket echo instead of HTTP (bench/ws-load.mjs): each connection sends a
 * message and waits for its echo; the figures are messages per second and round-trip times.
 */
/**
 * @typedef {{ name: string, title: string, request: BenchRequest, direct?: BenchRequest, crowd?: number }} Scenario
 * `crowd`: that many slow and idle connections (bench/slow-crowd.mjs) are held open against the
 * target during the run: compare its latency with the same request's scenario without them.
 */

/** @type {Scenario[]} */
export const scenarios = [
  {
    name: 'small',
    title: 'plain proxy, small JSON (GET /small)',
    request: { method: 'GET', path: '/small' },
  },
  {
    // Compare with `small`, same run: what health checks and a circuit breaker (healthy, closed)
    // cost a plain proxy route. The direct baseline is the same /small run.
    name: 'small-checked',
    title: 'plain proxy, small JSON, upstream with health checks and a circuit breaker (GET /small-checked)',
    request: { method: 'GET', path: '/small-checked' },
    direct: { method: 'GET', path: '/small' },
  },
  {
    // Compare with `small`, same run: what a plugin stage whose onRequest does nothing costs.
    name: 'plugin-noop',
    title: 'plain proxy, small JSON, one no-op plugin (GET /small-plugin; direct = upstream /small): compare with small',
    request: { method: 'GET', path: '/small-plugin' },
    direct: { method: 'GET', path: '/small' },
  },
  {
    // Compare with `small`, same run: what a JSON response transform (the body gathered, parsed,
    // reshaped and serialised) costs a plain proxy route. The direct baseline is the same /small run.
    name: 'small-transformed',
    title: 'plain proxy, small JSON with a response transform: select, remove, rename, wrap (GET /transformed/small; direct = upstream /small): compare with small',
    request: { method: 'GET', path: '/transformed/small' },
    direct: { method: 'GET', path: '/small' },
  },
  {
    name: 'bytes-64k',
    title: 'plain proxy, 64 KiB body (GET /bytes/65536)',
    request: { method: 'GET', path: '/bytes/65536' },
  },
  {
    name: 'post-4k',
    title: '4 KiB POST, echoed (POST /echo)',
    request: { method: 'POST', path: '/echo', body: BODY_4K, headers: { 'content-type': 'text/plain' } },
  },
  {
    name: 'small-slow-crowd',
    title: 'plain proxy, small JSON, with 1,000 slow/idle connections open (slowloris heads, byte-a-time bodies, non-readers)',
    request: { method: 'GET', path: '/small' },
    crowd: 1000,
  },
  {
    name: 'cache-hit-small',
    title: 'cache hit, small JSON (GET /cached/small, a cached route to /small; direct = upstream /small)',
    request: { method: 'GET', path: '/cached/small' },
    direct: { method: 'GET', path: '/small' },
  },
  {
    name: 'cache-hit-64k',
    title: 'cache hit, 64 KiB body (GET /cached/bytes/65536; direct = upstream /bytes/65536)',
    request: { method: 'GET', path: '/cached/bytes/65536' },
    direct: { method: 'GET', path: '/bytes/65536' },
  },
  {
    name: 'small-auth',
    title: 'small JSON through JWT (RS256, one repeated token) + a rate limit by consumer never reached (GET /auth/small; direct = upstream /small): compare with small',
    request: { method: 'GET', path: '/auth/small', headers: BENCH_AUTH_HEADERS },
    direct: { method: 'GET', path: '/small' },
  },
  {
    name: 'aggregate-2',
    title: 'aggregation of 2 calls to /small, answered as one JSON object (GET /aggregate/small; direct = upstream /small, one call): compare with small',
    request: { method: 'GET', path: '/aggregate/small' },
    direct: { method: 'GET', path: '/small' },
  },
  {
    name: 'small-msgpack',
    title: 'plain proxy, small JSON translated to MessagePack (GET /small with Accept: application/msgpack; direct = upstream /small as JSON): compare with small',
    request: { method: 'GET', path: '/small', headers: { accept: 'application/msgpack' } },
    direct: { method: 'GET', path: '/small' },
  },
  {
    name: 'ws-echo',
    title: 'WebSocket echo, 64-byte text messages, one in flight per connection (WS /ws/echo; messages/s and round trips)',
    request: { method: 'GET', path: '/ws/echo', websocket: { messageSize: 64 } },
  },
  {
    name: 'static',
    title: 'static respond route (GET /static; direct = upstream /small)',
    request: { method: 'GET', path: '/static' },
    direct: { method: 'GET', path: '/small' },
  },
];
