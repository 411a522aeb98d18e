// Route `transform`: its shape, defaults, and rules that could never take effect, reported at
// their FILE:LINE:COL.
import t from 'tap';
import { configOf, errorsOf, withRoutes } from './fixtures/load.js';

const route = (transform: string): string => withRoutes(`  - id: a\n    match: { path: /a }\n    upstream: users\n    transform:\n${transform}`);

t.test('defaults: onInvalid error both ways, response maxBody 1mb', async (t) => {
  const config = configOf(t, route('      request: { json: { set: { a.b: 1 } } }\n      response: { json: { wrap: data } }\n'));
  t.same(config.routes[0]?.transform, {
    request: { json: { set: { 'a.b': 1 }, remove: null, rename: null }, onInvalid: 'error' },
    response: { json: { select: null, remove: null, rename: null, wrap: 'data' }, onInvalid: 'error', maxBody: 1024 * 1024 },
  });
});

t.test('bad paths, keys of the wrong direction, an empty rule set', async (t) => {
  const errors = errorsOf(t, route([
    '      request: { json: { remove: ["a..b"], select: [x] } }',
    '      response: { json: { rename: { ".a": b }, set: { x: 1 } }, onInvalid: maybe, maxBody: 0 }',
    '',
  ].join('\n')));
  t.same(errors, [
    'gw.yaml:9:35 routes.0.transform.request.json.remove.0: invalid field path "a..b": dot-separated field names, none empty',
    'gw.yaml:9:44 routes.0.transform.request.json.select: unknown key "select"',
    'gw.yaml:10:37 routes.0.transform.response.json.rename..a: invalid field path ".a": dot-separated field names, none empty',
    'gw.yaml:10:48 routes.0.transform.response.json.set: unknown key "set"',
    'gw.yaml:10:76 routes.0.transform.response.onInvalid: expected one of "error", "pass", got the string "maybe"',
    'gw.yaml:10:92 routes.0.transform.response.maxBody: must be at least 1 bytes',
  ]);
  const empty = errorsOf(t, route('      response: { json: {} }\n'));
  t.same(empty, ['gw.yaml:9:25 routes.0.transform.response.json: nothing to do: give at least one of select, remove, rename, wrap']);
});

t.test('rules the fixed order would undo', async (t) => {
  const errors = errorsOf(t, route([
    '      response:',
    '        json:',
    '          select: [user.name, items.id]',
    '          remove: [secret, items.id.x]',
    '          rename: { user.name: who, meta: m }',
    '      request:',
    '        json:',
    '          remove: [old]',
    '          rename: { old.id: id, a: b.c }',
    '          set: { b: 1, x.y: 2, x: { z: 3 }, n: 4, n.m: { } }',
    '',
  ].join('\n')));
  t.same(errors, [
    'gw.yaml:12:20 routes.0.transform.response.json.remove.0: "secret" is not selected: select runs first, so there is nothing to remove',
    'gw.yaml:13:37 routes.0.transform.response.json.rename.meta: "meta" is not selected: select runs first, so there is nothing to move',
    'gw.yaml:17:21 routes.0.transform.request.json.rename.old.id: "old.id" is removed (remove: "old") before renames run, so there is nothing to move',
    'gw.yaml:17:36 routes.0.transform.request.json.rename.a: set "b" runs after renames and replaces what this rename moves to "b.c"',
    'gw.yaml:18:24 routes.0.transform.request.json.set.x.y: "x" is set after "x.y" and replaces it: list "x" first',
    'gw.yaml:18:51 routes.0.transform.request.json.set.n.m: "n" is set to a value that is not an object, so "n.m" cannot be set inside it',
  ]);
  t.same(configOf(t, route('      request: { json: { remove: [user], rename: { profile: user.profile } } }\n')).routes[0]?.transform?.request?.json.rename,
    { profile: 'user.profile' }, 'a rename target inside a removed path is allowed: remove runs first');
});

t.test('a respond route has nothing to transform', async (t) => {
  const errors = errorsOf(t, withRoutes('  - id: a\n    match: { path: /a }\n    respond: { json: { a: 1 } }\n    transform: { response: { json: { wrap: w } } }\n'));
  t.same(errors, ['gw.yaml:8:5 routes.0.transform: a "respond" route has no upstream body to transform: "transform" applies to routes with an "upstream" or "aggregate"']);
});
