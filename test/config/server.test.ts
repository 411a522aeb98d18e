import t from 'tap';
import { MAX_WORKERS } from '../../dist/shm/control-layout.js';
import { configOf, errorsOf } from './fixtures/load.js';

t.test('ports are 0..65535 and hosts are addresses or names', async (t) => {
  const errors = errorsOf(t, 'listen: { host: "not a host!", port: -1 }\nadmin: { port: 65536 }\n');
  t.same(errors, [
    'gw.yaml:1:17 listen.host: invalid host "not a host!": use an IP address or a host name',
    'gw.yaml:1:38 listen.port: must be at least 0',
    'gw.yaml:2:16 admin.port: must be at most 65535',
  ]);
  t.equal(configOf(t, 'listen: { host: "::", port: 0 }\n').listen[0]?.host, '::');
});

t.test('a non-loopback admin listener needs a token', async (t) => {
  t.same(errorsOf(t, 'admin: { host: 0.0.0.0 }\n'), ['gw.yaml:1:16 admin.host: admin.host 0.0.0.0 is not loopback, so admin.token must be set']);
  t.same(configOf(t, 'admin: { host: 0.0.0.0, token: s3cret }\n').admin, { host: '0.0.0.0', port: 9901, token: 's3cret' });
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) {
    t.equal(configOf(t, `admin: { host: "${host}" }\n`).admin.host, host, `${host} is loopback`);
  }
});

t.test('the admin API never shares the gateway port', async (t) => {
  t.same(errorsOf(t, 'listen: { port: 9000 }\nadmin: { port: 9000 }\n'), ['gw.yaml:2:16 admin.port: admin.port must differ from listen.port (9000)']);
  t.same(errorsOf(t, 'admin: { port: 8080 }\n'), ['gw.yaml:1:16 admin.port: admin.port must differ from listen.port (8080)']);
  t.same(errorsOf(t, 'listen: [{ port: 80 }, { port: 9000 }]\nadmin: { port: 9000 }\n'), ['gw.yaml:2:16 admin.port: admin.port must differ from listen.1.port (9000)']);
  t.equal(configOf(t, 'listen: { port: 0 }\nadmin: { port: 0 }\n').admin.port, 0, 'two ephemeral ports never clash');
});

t.test('trustedProxies are addresses or CIDR blocks', async (t) => {
  t.same(configOf(t, 'trustedProxies: [127.0.0.1/8, 10.1.2.3, "::1", "fd00::/8"]\n').trustedProxies, ['127.0.0.1/8', '10.1.2.3', '::1', 'fd00::/8']);
  t.same(errorsOf(t, 'trustedProxies: [10.0.0.0/33, proxy.local, "::/129"]\n'), [
    'gw.yaml:1:18 trustedProxies.0: invalid address "10.0.0.0/33": use an IP address or a CIDR block like 10.0.0.0/8',
    'gw.yaml:1:31 trustedProxies.1: invalid address "proxy.local": use an IP address or a CIDR block like 10.0.0.0/8',
    'gw.yaml:1:44 trustedProxies.2: invalid address "::/129": use an IP address or a CIDR block like 10.0.0.0/8',
  ]);
});

t.test('log, workers, limits and shutdownTimeout', async (t) => {
  const config = configOf(t, 'log: { level: warn, access: false, sampling: 0.25 }\nworkers: 4\nlimits: { maxHeaderSize: 8kb, requestTimeout: 2m, chunkedRequests: true }\nshutdownTimeout: 5s\n');
  t.same({ ...config.log, accessFields: undefined }, { level: 'warn', access: false, sampling: 0.25, accessFields: undefined });
  t.equal(config.workers, 4);
  t.same(config.limits, { maxBodySize: 1_048_576, requestTimeout: 120_000, maxHeaderSize: 8192, chunkedRequests: true, headersTimeout: null, idleTimeout: null, maxConnections: null });
  t.equal(config.shutdownTimeout, 5000);
  const errors = errorsOf(t, 'log: { sampling: 1.5 }\nworkers: 2.5\nlimits: { maxBodySize: 1tb }\ndataDir: ""\n');
  t.same(errors, [
    'gw.yaml:1:18 log.sampling: must be at most 1',
    `gw.yaml:2:10 workers: expected "auto" or a whole number of worker threads (1..${MAX_WORKERS})`,
    'gw.yaml:3:24 limits.maxBodySize: invalid size "1tb": use a number of bytes or a string like 512b, 64kb, 1mb, 1gb',
    'gw.yaml:4:10 dataDir: must not be empty',
  ]);
});

t.test('workers: at most as many as the shared control block has slots for', async (t) => {
  t.equal(MAX_WORKERS, 256);
  t.equal(configOf(t, `workers: ${MAX_WORKERS}\n`).workers, MAX_WORKERS);
  t.same(errorsOf(t, `workers: ${MAX_WORKERS + 1}\n`), [`gw.yaml:1:10 workers: must be at most ${MAX_WORKERS}`]);
  t.same(errorsOf(t, 'workers: 1024\n'), [`gw.yaml:1:10 workers: must be at most ${MAX_WORKERS}`]);
  t.equal(configOf(t, 'workers: auto\n').workers, 'auto');
});

t.test('metering.flushInterval: a duration from 100ms to 1h', async (t) => {
  t.equal(configOf(t, 'metering: { flushInterval: 250ms }\n').metering.flushInterval, 250);
  t.same(errorsOf(t, 'metering: { flushInterval: 50ms }\n'), ['gw.yaml:1:28 metering.flushInterval: must be at least 100ms']);
  t.same(errorsOf(t, 'metering: { flushInterval: 2h }\n'), ['gw.yaml:1:28 metering.flushInterval: must be at most 60m']);
  t.same(errorsOf(t, 'metering: { interval: 5s }\n'), ['gw.yaml:1:13 metering.interval: unknown key "interval"']);
});
