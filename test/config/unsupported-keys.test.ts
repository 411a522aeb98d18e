import t from 'tap';
import { configOf, errorsOf } from './fixtures/load.js';

t.test('top-level keys of later features are refused at their key', async (t) => {
  const keys = ['cluster'];
  const yaml = keys.map((key) => `${key}: {}\n`).join('');
  t.same(errorsOf(t, yaml), keys.map((key, i) => `gw.yaml:${i + 1}:1 ${key}: top-level "${key}" is not supported yet`));
});

t.test('route websocket: true or its settings, on a route with an upstream that takes GET', async (t) => {
  const base = 'upstreams: { u: { targets: [http://x] } }\nroutes:\n';
  t.same(configOf(t, base + '  - { id: r, match: { path: /r }, upstream: u, websocket: true }\n').routes[0]!.websocket,
    { idleTimeout: 120_000, maxPayloadLength: 1024 * 1024, maxBackpressure: 1024 * 1024 });
  t.same(configOf(t, base + '  - { id: r, match: { path: /r }, upstream: u, websocket: { idleTimeout: 30s, maxBackpressure: 256kb } }\n').routes[0]!.websocket,
    { idleTimeout: 30_000, maxPayloadLength: 1024 * 1024, maxBackpressure: 256 * 1024 });
  t.equal(configOf(t, base + '  - { id: r, match: { path: /r }, upstream: u, websocket: false }\n').routes[0]!.websocket, null);
  t.same(errorsOf(t, base + '  - { id: r, match: { path: /r }, respond: { status: 200 }, websocket: true }\n'),
    ['gw.yaml:3:61 routes.0.websocket: "websocket" needs the route\'s "upstream" (the service the WebSocket is proxied to)']);
  t.same(errorsOf(t, base + '  - { id: r, match: { path: /r, methods: [POST] }, upstream: u, websocket: true }\n'),
    ['gw.yaml:3:42 routes.0.match.methods: a "websocket" route must allow GET: WebSocket upgrades are GET requests']);
  t.same(errorsOf(t, base + '  - { id: r, match: { path: /r }, upstream: u, websocket: { maxPayloadLength: 32mb, idleTimout: 1s } }\n'), [
    'gw.yaml:3:79 routes.0.websocket.maxPayloadLength: must be at most 16777216 bytes',
    'gw.yaml:3:85 routes.0.websocket.idleTimout: unknown key "idleTimout"',
  ]);
  t.same(errorsOf(t, base + '  - { id: r, match: { path: /r }, upstream: u, websocket: yes }\n'), ['gw.yaml:3:59 routes.0.websocket: expected a mapping, got the string "yes"']);
});

t.test('an upstream needs targets or discover', async (t) => {
  const yaml = 'upstreams:\n  u: { balance: round-robin }\n';
  t.same(errorsOf(t, yaml), ['gw.yaml:2:6 upstreams.u: an upstream needs "targets" or "discover"']);
});

t.test('any other unknown key is an error at every level, with the closest known key as a suggestion', async (t) => {
  const yaml = [
    'lisen: { port: 1 }',
    'listen: { prot: 1 }',
    'limits: { maxBody: 1 }',
    'log: { levle: info }',
    'admin: { tokne: x }',
    'upstreams:',
    '  u:',
    '    target: [http://x]',
    '    timeout: { conect: 1s }',
    'routes:',
    '  - id: r',
    '    match: { path: /r, method: [GET] }',
    '    upstrem: u',
    '    respond: { stauts: 200 }',
  ].join('\n');
  t.same(errorsOf(t, yaml), [
    'gw.yaml:1:1 lisen: unknown key "lisen" (did you mean "listen"?)',
    'gw.yaml:2:11 listen.prot: unknown key "prot" (did you mean "port"?)',
    'gw.yaml:3:11 limits.maxBody: unknown key "maxBody" (did you mean "maxBodySize"?)',
    'gw.yaml:4:8 log.levle: unknown key "levle" (did you mean "level"?)',
    'gw.yaml:5:10 admin.tokne: unknown key "tokne" (did you mean "token"?)',
    'gw.yaml:8:5 upstreams.u: an upstream needs "targets" or "discover"',
    'gw.yaml:8:5 upstreams.u.target: unknown key "target" (did you mean "targets"?)',
    'gw.yaml:9:16 upstreams.u.timeout.conect: unknown key "conect" (did you mean "connect"?)',
    'gw.yaml:12:24 routes.0.match.method: unknown key "method" (did you mean "methods"?)',
    'gw.yaml:13:5 routes.0.upstrem: unknown key "upstrem" (did you mean "upstream"?)',
    'gw.yaml:14:16 routes.0.respond.stauts: unknown key "stauts" (did you mean "status"?)',
  ]);
});

t.test('no suggestion for a key that is nothing like a known one', async (t) => {
  t.same(errorsOf(t, 'colour: blue\nlisten: { xyz: 1 }\nretyr: 1\n'), [
    'gw.yaml:1:1 colour: unknown key "colour"',
    'gw.yaml:2:11 listen.xyz: unknown key "xyz"',
    'gw.yaml:3:1 retyr: unknown key "retyr"',
  ]);
  const upstream = errorsOf(t, 'upstreams:\n  u:\n    targets: [{ url: "http://x", wieght: 2 }]\nroutes:\n  - { id: r, match: { path: /r }, upstream: u, websockt: true }\n');
  t.same(upstream, [
    'gw.yaml:3:34 upstreams.u.targets.0.wieght: unknown key "wieght" (did you mean "weight"?)',
    'gw.yaml:5:48 routes.0.websockt: unknown key "websockt" (did you mean "websocket"?)',
  ], 'inside a list of alternatives');
});
