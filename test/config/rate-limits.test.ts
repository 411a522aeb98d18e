// Rate-limit keys: a route's rateLimit, plans, consumers' plan and rateLimits.capacity, with their
// errors at FILE:LINE:COL.
import t from 'tap';
import { restartOnlyChanges } from '../../dist/supervisor/generation.js';
import { configOf, errorsOf, withRoutes } from './fixtures/load.js';

const KEYS = 'auth: { apiKey: {} }\nconsumers:\n  acme: { apiKeys: ["acme-key-0123456789"], plan: gold }\n  solo: { apiKeys: ["solo-key-0123456789"] }\n';

t.test('a route limit: window parsed, by defaults to ip, a header name lowercased', async (t) => {
  const config = configOf(t, withRoutes([
    '  - { id: a, match: { path: /a }, upstream: users, rateLimit: { limit: 100, window: 1m } }',
    '  - { id: b, match: { path: /b }, upstream: users, rateLimit: { limit: 5, window: 250ms, by: "header:X-Tenant" } }',
    '',
  ].join('\n')));
  t.same(config.routes[0]!.rateLimit, { limit: 100, window: 60_000, by: 'ip' });
  t.same(config.routes[1]!.rateLimit, { limit: 5, window: 250, by: 'header:x-tenant' });
  t.same(config.rateLimits, { capacity: 100_000 }, 'the table has 100000 slots unless told');
});

t.test('bad limits are refused at their key', async (t) => {
  const errors = errorsOf(t, withRoutes([
    '  - id: a',
    '    match: { path: /a }',
    '    upstream: users',
    '    rateLimit: { limit: 0, window: 0, by: user }',
    '  - id: b',
    '    match: { path: /b }',
    '    upstream: users',
    '    rateLimit: { limit: 1.5, window: soon, by: "header:bad name", burst: 3 }',
    '  - id: c',
    '    match: { path: /c }',
    '    upstream: users',
    '    rateLimit: { window: 1s }',
    '',
  ].join('\n')));
  t.same(errors, [
    'gw.yaml:8:25 routes.0.rateLimit.limit: must be at least 1',
    'gw.yaml:8:36 routes.0.rateLimit.window: must be at least 1ms',
    'gw.yaml:8:43 routes.0.rateLimit.by: invalid "by" "user": use consumer, ip or header:NAME (a header name such as header:x-tenant)',
    'gw.yaml:12:25 routes.1.rateLimit.limit: expected a whole number, got number 1.5',
    'gw.yaml:12:38 routes.1.rateLimit.window: invalid duration "soon": use a number of milliseconds or a string like 250ms, 30s, 5m, 1h, 1d',
    'gw.yaml:12:48 routes.1.rateLimit.by: invalid "by" "header:bad name": use consumer, ip or header:NAME (a header name such as header:x-tenant)',
    'gw.yaml:12:67 routes.1.rateLimit.burst: unknown key "burst"',
    'gw.yaml:16:16 routes.2.rateLimit.limit: required key is missing',
  ]);
});

t.test('by: consumer needs the route to authenticate', async (t) => {
  const errors = errorsOf(t, `${KEYS}plans: { gold: {} }\n${withRoutes([
    '  - { id: public, match: { path: /p }, upstream: users, rateLimit: { limit: 1, window: 1s, by: consumer } }',
    '  - { id: keyed, match: { path: /k }, upstream: users, auth: [apiKey], rateLimit: { limit: 1, window: 1s, by: consumer } }',
    '',
  ].join('\n'))}`);
  t.same(errors, [
    'gw.yaml:10:96 routes.0.rateLimit.by: a rate limit by consumer needs the route to authenticate ("auth"): a public route has no consumer; use by: ip or header:NAME',
  ]);
});

t.test('plans: a rate limit and a quota per plan, a consumer names one that exists', async (t) => {
  const config = configOf(t, `${KEYS}plans:\n  gold: { rateLimit: { limit: 1000, window: 1s }, quota: { limit: 5000, period: month } }\n  free: {}\n`);
  t.same(config.plans, { gold: { rateLimit: { limit: 1000, window: 1000 }, quota: { limit: 5000, period: 'month' } }, free: { rateLimit: null, quota: null } });
  t.equal(config.consumers['acme']!.plan, 'gold');
  t.equal(config.consumers['solo']!.plan, null);
  const errors = errorsOf(t, [
    'auth: { apiKey: {} }',
    'consumers:',
    '  acme: { apiKeys: ["acme-key-0123456789"], plan: platinum }',
    'plans:',
    '  gold: { rateLimit: { limit: 10, window: 1s, by: ip }, quota: { limit: 1000000, period: week } }',
    '  "bad plan": {}',
    '',
  ].join('\n'));
  t.same(errors, [
    'gw.yaml:3:51 consumers.acme.plan: plan "platinum" is not defined in "plans" (plans: gold, bad plan)',
    'gw.yaml:5:47 plans.gold.rateLimit.by: unknown key "by"',
    'gw.yaml:5:90 plans.gold.quota.period: expected one of "day", "month", got the string "week"',
    'gw.yaml:6:3 plans.bad plan: invalid plan name: use letters, digits, "_", "." and "-" (at most 128 characters)',
  ]);
});

t.test('rateLimits.capacity: a whole number of slots; changing it needs a restart', async (t) => {
  t.equal(configOf(t, 'rateLimits: { capacity: 4 }\n').rateLimits.capacity, 4);
  t.same(errorsOf(t, 'rateLimits: { capacity: 0, slots: 3 }\n'), [
    'gw.yaml:1:25 rateLimits.capacity: must be at least 1',
    'gw.yaml:1:28 rateLimits.slots: unknown key "slots"',
  ]);
  const before = configOf(t, 'rateLimits: { capacity: 4 }\n');
  t.same(restartOnlyChanges(before, configOf(t, 'rateLimits: { capacity: 8 }\n'), [0]).map((c) => c.path.join('.')), ['rateLimits.capacity']);
  t.same(restartOnlyChanges(before, configOf(t, `rateLimits: { capacity: 4 }\n${withRoutes('  - { id: a, match: { path: /a }, upstream: users, rateLimit: { limit: 1, window: 1s } }\n')}`), [0]), [],
    'limits themselves change on reload');
});
