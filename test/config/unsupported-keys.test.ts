import t from 'tap';
import { errorsOf } from './fixtures/load.js';

t.test('top-level keys of later features are refused at their key', async (t) => {
  const keys = ['cluster'];
  const yaml = keys.map((key) => `${key}: {}\n`).join('');
  t.same(errorsOf(t, yaml), keys.map((key, i) => `gw.yaml:${i + 1}:1 ${key}: top-level "${key}" is not supported yet`));
});

t.test('route-level keys of later features are refused at their key', async (t) => {
  const keys = ['websocket'];
  const yaml = `upstreams: { u: { targets: [http://x] } }\nroutes:\n  - id: r\n    match: { path: /r }\n    upstream: u\n${keys.map((k) => `    ${k}: true\n`).join('')}`;
  t.same(errorsOf(t, yaml), keys.map((key, i) => `gw.yaml:${i + 6}:5 routes.0.${key}: route-level "${key}" is not supported yet`));
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

t.test('no suggestion for a key that is nothing like a known one, nor one that is not supported yet', async (t) => {
  t.same(errorsOf(t, 'colour: blue\nlisten: { xyz: 1 }\nretyr: 1\n'), [
    'gw.yaml:1:1 colour: unknown key "colour"',
    'gw.yaml:2:11 listen.xyz: unknown key "xyz"',
    'gw.yaml:3:1 retyr: unknown key "retyr"',
  ]);
  const upstream = errorsOf(t, 'upstreams:\n  u:\n    targets: [{ url: "http://x", wieght: 2 }]\nroutes:\n  - { id: r, match: { path: /r }, upstream: u, websockt: true }\n');
  t.same(upstream, [
    'gw.yaml:3:34 upstreams.u.targets.0.wieght: unknown key "wieght" (did you mean "weight"?)',
    'gw.yaml:5:48 routes.0.websockt: unknown key "websockt"',
  ], 'inside a list of alternatives, and "websocket" (not supported yet) is not offered');
});
