import t from 'tap';
import { configOf, errorsOf } from './fixtures/load.js';

t.test('targets: URL strings or { url, weight }, normalised to their origin', async (t) => {
  const config = configOf(t, 'upstreams:\n  users:\n    targets: [http://127.0.0.1:9001/, { url: "https://Users.Internal:8443", weight: 3 }, http://h]\n');
  t.same(config.upstreams['users']?.targets, [
    { url: 'http://127.0.0.1:9001', weight: 1 },
    { url: 'https://users.internal:8443', weight: 3 },
    { url: 'http://h', weight: 1 },
  ]);
});

t.test('target URLs are http(s) origins without path, query or credentials', async (t) => {
  const errors = errorsOf(t, [
    'upstreams:',
    '  users:',
    '    targets:',
    '      - ftp://a',
    '      - http://a/v1',
    '      - http://a?x=1',
    '      - http://u:p@a',
    '      - not a url',
    '      - { url: http://b, weight: 0 }',
    '      - 42',
    '      - { url: http://c, wieght: 2 }',
  ].join('\n'));
  t.same(errors, [
    'gw.yaml:4:9 upstreams.users.targets.0: target URL must start with http:// or https://',
    'gw.yaml:5:9 upstreams.users.targets.1: target URL must not have a path, query or fragment (use the route\'s "rewrite" for paths)',
    'gw.yaml:6:9 upstreams.users.targets.2: target URL must not have a path, query or fragment (use the route\'s "rewrite" for paths)',
    'gw.yaml:7:9 upstreams.users.targets.3: target URL must not contain credentials',
    'gw.yaml:8:9 upstreams.users.targets.4: invalid URL "not a url"',
    'gw.yaml:9:34 upstreams.users.targets.5.weight: must be at least 1',
    'gw.yaml:10:9 upstreams.users.targets.6: expected a target URL or { url, weight }',
    'gw.yaml:11:26 upstreams.users.targets.7.wieght: unknown key "wieght" (did you mean "weight"?)',
  ]);
});

t.test('an upstream needs targets, each listed once', async (t) => {
  t.same(errorsOf(t, 'upstreams:\n  a:\n    targets: []\n'), ['gw.yaml:3:14 upstreams.a.targets: an upstream needs at least one target']);
  t.same(errorsOf(t, 'upstreams:\n  a:\n    targets: [http://x:1, "http://x:1/"]\n'), [
    'gw.yaml:3:27 upstreams.a.targets.1: target http://x:1 is listed twice (use "weight" instead)',
  ]);
});

t.test('targets with a bad scheme are each reported once, never as duplicates of each other', async (t) => {
  t.same(errorsOf(t, 'upstreams:\n  a:\n    targets: [ftp://x:1, ftp://y:1, "not a url", { url: ftp://z:1 }]\n'), [
    'gw.yaml:3:15 upstreams.a.targets.0: target URL must start with http:// or https://',
    'gw.yaml:3:26 upstreams.a.targets.1: target URL must start with http:// or https://',
    'gw.yaml:3:37 upstreams.a.targets.2: invalid URL "not a url"',
    'gw.yaml:3:57 upstreams.a.targets.3.url: target URL must start with http:// or https://',
  ]);
});

t.test('balance: round-robin, least-requests or consistent-hash', async (t) => {
  const errors = errorsOf(t, 'upstreams:\n  a:\n    targets: [http://x]\n    balance: random\n');
  t.same(errors, ['gw.yaml:4:14 upstreams.a.balance: invalid balance "random": expected round-robin, least-requests or consistent-hash']);
  for (const mode of ['round-robin', 'least-requests', 'consistent-hash']) {
    t.equal(configOf(t, `upstreams:\n  a:\n    targets: [http://x]\n    balance: ${mode}\n`).upstreams['a']?.balance, mode);
  }
  t.equal(configOf(t, 'upstreams:\n  a:\n    targets: [http://x]\n').upstreams['a']?.balance, 'round-robin', 'the default');
});

t.test('connections and timeouts', async (t) => {
  const config = configOf(t, 'upstreams:\n  a:\n    targets: [http://x]\n    connections: 8\n    timeout: { connect: 500ms, response: 1m }\n');
  t.equal(config.upstreams['a']?.connections, 8);
  t.same(config.upstreams['a']?.timeout, { connect: 500, response: 60_000, idle: 60_000 });
  t.same(configOf(t, 'upstreams:\n  a:\n    targets: [http://x]\n    timeout: { idle: 5m }\n').upstreams['a']?.timeout, { connect: 2000, response: 10_000, idle: 300_000 });
  const errors = errorsOf(t, 'upstreams:\n  a:\n    targets: [http://x]\n    connections: 0\n    timeout: { connect: 0, response: soon }\n');
  t.same(errors, [
    'gw.yaml:4:18 upstreams.a.connections: must be at least 1',
    'gw.yaml:5:25 upstreams.a.timeout.connect: must be at least 1ms',
    'gw.yaml:5:38 upstreams.a.timeout.response: invalid duration "soon": use a number of milliseconds or a string like 250ms, 30s, 5m, 1h, 1d',
  ]);
});

t.test('upstream names are usable in metrics labels', async (t) => {
  t.same(errorsOf(t, 'upstreams:\n  "bad name":\n    targets: [http://x]\n'), [
    'gw.yaml:2:3 upstreams.bad name: invalid upstream name: use letters, digits, "_", "." and "-" (at most 128 characters)',
  ]);
});
