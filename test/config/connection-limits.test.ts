// limits.headersTimeout, limits.idleTimeout, limits.maxConnections: the schema, and what each
// uWebSockets.js build can honour (checked from the build table, so both builds' rules are
// tested whichever build this run loads; the sockets are in test/proxy/connection-limits.test.ts).
import t from 'tap';
import { UWS_BUILDS } from '../../dist/http/uws-builds.js';
import { configOf, errorsOf } from './fixtures/load.js';

const { current, legacy } = UWS_BUILDS;

t.test('absent: null, the build\'s own timeouts and no connection limit', async (t) => {
  const limits = configOf(t, '{}\n').limits;
  t.equal(limits.headersTimeout, null);
  t.equal(limits.idleTimeout, null);
  t.equal(limits.maxConnections, null);
});

t.test('timeouts are whole seconds from 5s to 15m, in milliseconds', async (t) => {
  const limits = configOf(t, 'limits: { headersTimeout: 5s, idleTimeout: 15m, maxConnections: 1000 }\n', {}, current).limits;
  t.equal(limits.headersTimeout, 5_000);
  t.equal(limits.idleTimeout, 900_000);
  t.equal(limits.maxConnections, 1000);
  t.equal(configOf(t, 'limits: { idleTimeout: 75000 }\n').limits.idleTimeout, 75_000, 'milliseconds, when whole seconds');
  t.same(errorsOf(t, 'limits:\n  headersTimeout: 4s\n  idleTimeout: 7500ms\n  maxConnections: 0\n'), [
    'gw.yaml:2:19 limits.headersTimeout: must be at least 5s',
    'gw.yaml:3:16 limits.idleTimeout: must be whole seconds (uWebSockets.js counts this timeout in seconds)',
    'gw.yaml:4:19 limits.maxConnections: must be at least 1',
  ]);
  t.same(errorsOf(t, 'limits: { headersTimeout: 16m, idleTimeout: 1h, maxConnections: 1.5 }\n'), [
    'gw.yaml:1:27 limits.headersTimeout: must be at most 15m',
    'gw.yaml:1:45 limits.idleTimeout: must be at most 15m',
    'gw.yaml:1:65 limits.maxConnections: expected a whole number, got number 1.5',
  ]);
});

t.test('the current build (20.57) takes every value', async (t) => {
  const limits = configOf(t, 'limits: { headersTimeout: 8s, idleTimeout: 75s, maxConnections: 2 }\n', {}, current).limits;
  t.same([limits.headersTimeout, limits.idleTimeout, limits.maxConnections], [8_000, 75_000, 2]);
});

t.test('the legacy build (20.30) refuses what it cannot honour, naming itself', async (t) => {
  t.same(errorsOf(t, 'limits:\n  headersTimeout: 5s\n  idleTimeout: 75s\n  maxConnections: 100\n', {}, legacy), [
    "gw.yaml:2:19 limits.headersTimeout: the legacy uWebSockets.js build (20.30) closes a connection that has not sent a complete request head (or whose request body stalls) after a fixed 10s (uWS's HTTP_IDLE_TIMEOUT_S, which this build cannot change): remove limits.headersTimeout or set it to 10s, or run the current build (README: uWebSockets.js builds)",
    "gw.yaml:3:16 limits.idleTimeout: the legacy uWebSockets.js build (20.30) closes a keep-alive connection that waits after an answer after a fixed 10s (uWS's HTTP_IDLE_TIMEOUT_S, which this build cannot change): remove limits.idleTimeout or set it to 10s, or run the current build (README: uWebSockets.js builds)",
    'gw.yaml:4:19 limits.maxConnections: the legacy uWebSockets.js build (20.30) does not tell the gateway when a connection opens or closes (it has no App.filter), so it cannot limit them: remove limits.maxConnections, or run the current build (README: uWebSockets.js builds)',
  ]);
  const limits = configOf(t, 'limits: { headersTimeout: 10s, idleTimeout: 10000 }\n', {}, legacy).limits;
  t.same([limits.headersTimeout, limits.idleTimeout], [10_000, 10_000], 'its own fixed 10s is accepted');
  t.equal(configOf(t, '{}\n', {}, legacy).limits.maxConnections, null, 'and the keys left out');
});
