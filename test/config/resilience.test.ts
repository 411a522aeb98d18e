// The upstream resilience keys: hashOn, healthCheck, circuitBreaker, retry, discover; their
// defaults, and an error at FILE:LINE:COL for each thing that is wrong.
import t from 'tap';
import { configOf, errorsOf } from './fixtures/load.js';

const upstream = (lines: string[]): string => ['upstreams:', '  u:', ...lines.map((l) => '    ' + l)].join('\n') + '\n';

t.test('defaults of healthCheck, circuitBreaker and retry', async (t) => {
  const u = configOf(t, upstream(['targets: [http://x]', 'healthCheck: { path: /health }', 'circuitBreaker: {}', 'retry: {}'])).upstreams['u']!;
  t.same(u.healthCheck, { path: '/health', interval: 5_000, timeout: 2_000, unhealthyAfter: 3, healthyAfter: 2, passiveFailures: 5 });
  t.same(u.circuitBreaker, { errorRate: 0.5, minRequests: 20, window: 10_000, cooldown: 30_000 });
  t.same(u.retry, { attempts: 2, on: ['connect', 'reset', 502, 503, 504], budget: 0.2, minRetries: 3, backoff: 25, tryTimeout: null });
  const plain = configOf(t, upstream(['targets: [http://x]'])).upstreams['u']!;
  t.same([plain.healthCheck, plain.circuitBreaker, plain.retry, plain.discover, plain.hashOn], [null, null, null, null, null], 'all off unless set');
});

t.test('shares are percentages or fractions', async (t) => {
  const u = configOf(t, upstream(['targets: [http://x]', 'circuitBreaker: { errorRate: 12.5% }', 'retry: { budget: 0.1 }'])).upstreams['u']!;
  t.equal(u.circuitBreaker?.errorRate, 0.125);
  t.equal(u.retry?.budget, 0.1);
  t.same(errorsOf(t, upstream(['targets: [http://x]', 'circuitBreaker: { errorRate: 0% }', 'retry: { budget: 50 }'])), [
    'gw.yaml:4:34 upstreams.u.circuitBreaker.errorRate: invalid share "0%": use a percentage above 0% and at most 100% (20%), or a fraction from 0 to 1',
    'gw.yaml:5:22 upstreams.u.retry.budget: invalid share 50: use a percentage at least 0% and at most 100% (20%), or a fraction from 0 to 1',
  ]);
});

t.test('hashOn: ip, consumer or header:NAME, with consistent-hash only', async (t) => {
  const hashed = (on: string) => configOf(t, upstream(['targets: [http://x]', 'balance: consistent-hash', `hashOn: "${on}"`])).upstreams['u']!.hashOn;
  t.equal(hashed('ip'), 'ip');
  t.equal(hashed('consumer'), 'consumer');
  t.equal(hashed('header:X-User-Id'), 'header:x-user-id', 'the header name is lowercased');
  t.same(errorsOf(t, upstream(['targets: [http://x]', 'balance: consistent-hash', 'hashOn: "header:a b"'])), [
    'gw.yaml:5:13 upstreams.u.hashOn: invalid hashOn "header:a b": expected ip, consumer or header:NAME (a header name such as header:x-user-id)',
  ]);
  t.same(errorsOf(t, upstream(['targets: [http://x]', 'hashOn: ip'])), [
    'gw.yaml:4:5 upstreams.u.hashOn: "hashOn" applies only to balance: consistent-hash (this upstream balances round-robin)',
  ]);
  t.same(errorsOf(t, upstream(['targets: [{ url: http://x, weight: 101 }]', 'balance: consistent-hash'])), [
    'gw.yaml:3:40 upstreams.u.targets.0.weight: with consistent-hash, a weight is at most 100 (each unit is 100 points on the hash ring)',
  ]);
});

t.test('healthCheck, circuitBreaker and retry errors point at their key', async (t) => {
  t.same(errorsOf(t, upstream([
    'targets: [http://x]',
    'healthCheck: { path: health, unhealthyAfter: 0, intervl: 1s }',
    'circuitBreaker: { window: 10ms, minRequests: 0 }',
    'retry: { attempts: 11, on: [connect, 302, rest], backoff: soon }',
  ])), [
    'gw.yaml:4:26 upstreams.u.healthCheck.path: invalid health check path "health": it starts with "/" and has no spaces or control characters',
    'gw.yaml:4:50 upstreams.u.healthCheck.unhealthyAfter: must be at least 1',
    'gw.yaml:4:53 upstreams.u.healthCheck.intervl: unknown key "intervl" (did you mean "interval"?)',
    'gw.yaml:5:31 upstreams.u.circuitBreaker.window: must be at least 1s',
    'gw.yaml:5:50 upstreams.u.circuitBreaker.minRequests: must be at least 1',
    'gw.yaml:6:24 upstreams.u.retry.attempts: must be at most 10',
    'gw.yaml:6:42 upstreams.u.retry.on.1: a status code to retry on is from 400 to 599',
    'gw.yaml:6:47 upstreams.u.retry.on.2: invalid retry condition "rest": expected connect, reset, timeout or a status code from 400 to 599',
    'gw.yaml:6:63 upstreams.u.retry.backoff: invalid duration "soon": use a number of milliseconds or a string like 250ms, 30s, 5m, 1h, 1d',
  ]);
});

t.test('discover: A/AAAA with a port, SRV without one, a resolver as IP:port', async (t) => {
  const a = configOf(t, upstream(['discover: { dns: orders.service.consul, port: 8080, resolver: 127.0.0.1:8600 }'])).upstreams['u']!;
  t.same(a.discover, { dns: 'orders.service.consul', port: 8080, scheme: 'http', interval: 10_000, resolver: '127.0.0.1:8600' });
  t.same(a.targets, [], 'no listed targets');
  const srv = configOf(t, upstream(['discover: { dns: _http._tcp.orders.service.consul, scheme: https, interval: 2s, resolver: "[::1]" }'])).upstreams['u']!;
  t.same(srv.discover, { dns: '_http._tcp.orders.service.consul', port: null, scheme: 'https', interval: 2_000, resolver: '[::1]:53' });
  t.equal(configOf(t, upstream(['discover: { dns: x.internal, port: 80, resolver: 10.0.0.2 }'])).upstreams['u']!.discover?.resolver, '10.0.0.2:53');
});

t.test('discover errors: targets together with discover, ports, resolvers, names', async (t) => {
  t.same(errorsOf(t, upstream(['targets: [http://x]', 'discover: { dns: orders.consul, port: 80 }'])), [
    'gw.yaml:4:5 upstreams.u.discover: an upstream has either "targets" or "discover", not both',
  ]);
  t.same(errorsOf(t, upstream(['discover: { dns: orders.consul }'])), [
    'gw.yaml:3:15 upstreams.u.discover: "port" is needed: A/AAAA records of orders.consul give addresses only',
  ]);
  t.same(errorsOf(t, upstream(['discover: { dns: _http._tcp.orders, port: 80 }'])), [
    'gw.yaml:3:41 upstreams.u.discover.port: SRV records carry their own ports: leave "port" out when "dns" names SRV records (starts with "_")',
  ]);
  t.same(errorsOf(t, upstream(['discover: { dns: "orders consul", port: 80, resolver: "consul:8600", scheme: ftp, interval: 10ms }'])), [
    'gw.yaml:3:22 upstreams.u.discover.dns: invalid DNS name "orders consul"',
    'gw.yaml:3:59 upstreams.u.discover.resolver: invalid resolver "consul:8600": use an IP address and port such as 127.0.0.1:8600 (Node asks DNS servers by address, not by name)',
    'gw.yaml:3:82 upstreams.u.discover.scheme: expected one of "http", "https", got the string "ftp"',
    'gw.yaml:3:97 upstreams.u.discover.interval: must be at least 100ms',
  ]);
  t.same(errorsOf(t, upstream(['discover: { dns: a.b, port: 80, resolver: "127.0.0.1:99999" }'])), [
    'gw.yaml:3:47 upstreams.u.discover.resolver: invalid resolver "127.0.0.1:99999": the port must be from 1 to 65535',
  ]);
  t.same(errorsOf(t, 'upstreams:\n  u: { balance: least-requests }\n'), ['gw.yaml:2:6 upstreams.u: an upstream needs "targets" or "discover"']);
});

t.test('the shared upstream state bounds the targets of a node', async (t) => {
  const targets = Array.from({ length: 4097 }, (_, i) => `http://10.${i >> 8}.${i & 255}.1`).join(', ');
  t.same(errorsOf(t, `upstreams:\n  big: { targets: [${targets}] }\n`), ['gw.yaml:1:1 upstreams: 4097 targets: at most 4096 in all (discovered ones included)']);
});
