import t from 'tap';
import { buildRouteTable } from '../../dist/routing/build-route-table.js';
import type { RouteSpec } from '../../dist/routing/route-spec.js';
import { METHOD_NOT_ALLOWED, NOT_FOUND, RouteTable } from '../../dist/routing/route-table.js';

function table(specs: RouteSpec[]): RouteTable {
  return new RouteTable(buildRouteTable(specs));
}
const get = (path: string, host: string | null = null): RouteSpec => ({ path, methods: ['GET'], host });
const any = (path: string, host: string | null = null): RouteSpec => ({ path, methods: null, host });

/** [route index, params] for one lookup. */
function match(tbl: RouteTable, path: string, method = 'GET', host = ''): [number, string[]] {
  const params: string[] = [];
  return [tbl.lookup(method, host, path, params), params];
}

t.test('static beats param beats wildcard at the same level', async (t) => {
  const tbl = table([get('/a/*'), get('/a/:x'), get('/a/b')]);
  t.same(match(tbl, '/a/b'), [2, []]);
  t.same(match(tbl, '/a/c'), [1, ['c']]);
  t.same(match(tbl, '/a/c/d'), [0, ['c/d']]);
  t.equal(tbl.routeCount, 3);
});

t.test('backtracking: a failed static branch falls back to the param, then the wildcard', async (t) => {
  const tbl = table([get('/a/b/c'), get('/a/:x/d'), get('/a/*'), get('/:p/b/e')]);
  t.same(match(tbl, '/a/b/c'), [0, []]);
  t.same(match(tbl, '/a/b/d'), [1, ['b']], 'static b has no d: the :x branch takes it');
  t.same(match(tbl, '/a/b/e'), [2, ['b/e']], 'neither a/b nor a/:x has e: the wildcard under a takes it');
  t.same(match(tbl, '/z/b/e'), [3, ['z']]);
  t.same(match(tbl, '/z/b/c'), [NOT_FOUND, []]);
});

t.test('backtracking goes back more than one level', async (t) => {
  const tbl = table([get('/a/b/c/d'), get('/a/:x/c/e'), get('/:y/b/c/f')]);
  t.same(match(tbl, '/a/b/c/e'), [1, ['b']]);
  t.same(match(tbl, '/a/b/c/f'), [2, ['a']]);
  t.same(match(tbl, '/a/b/c/g'), [NOT_FOUND, []]);
});

t.test('params capture one non-empty segment each, in path order', async (t) => {
  const tbl = table([get('/repos/:owner/:repo/issues/:number'), get('/x/:id')]);
  t.same(match(tbl, '/repos/julien/router/issues/42'), [0, ['julien', 'router', '42']]);
  t.same(match(tbl, '/x/'), [NOT_FOUND, []], 'an empty segment is no param value');
  t.same(match(tbl, '/x'), [NOT_FOUND, []]);
  t.same(match(tbl, '/x/1/'), [NOT_FOUND, []], 'trailing slash is another path');
});

t.test('a trailing wildcard takes /a, /a/ and /a/x/y but never /ab', async (t) => {
  const tbl = table([get('/a/*'), get('/u/:id/files/*')]);
  t.same(match(tbl, '/a'), [0, ['']]);
  t.same(match(tbl, '/a/'), [0, ['']]);
  t.same(match(tbl, '/a/x/y'), [0, ['x/y']]);
  t.same(match(tbl, '/a/x/'), [0, ['x/']]);
  t.same(match(tbl, '/ab'), [NOT_FOUND, []]);
  t.same(match(tbl, '/u/7/files/docs/a.txt'), [1, ['7', 'docs/a.txt']]);
});

t.test('a root wildcard takes every path, the root route only /', async (t) => {
  const tbl = table([get('/'), get('/*')]);
  t.same(match(tbl, '/'), [0, []]);
  t.same(match(tbl, '/anything/at/all'), [1, ['anything/at/all']]);
  const onlyWildcard = table([get('/*')]);
  t.same(match(onlyWildcard, '/'), [0, ['']]);
});

t.test('trailing slashes count and matching is case-sensitive', async (t) => {
  const tbl = table([get('/a'), get('/a/'), get('/A')]);
  t.same(match(tbl, '/a'), [0, []]);
  t.same(match(tbl, '/a/'), [1, []]);
  t.same(match(tbl, '/A'), [2, []]);
  t.same(match(tbl, '/A/'), [NOT_FOUND, []]);
});

t.test('exact route beats a wildcard that could take the same path', async (t) => {
  const tbl = table([get('/a/*'), get('/a'), get('/a/')]);
  t.same(match(tbl, '/a'), [1, []]);
  t.same(match(tbl, '/a/'), [2, []]);
  t.same(match(tbl, '/a/b'), [0, ['b']]);
});

t.test('host-specific routes are tried before host-less ones', async (t) => {
  const tbl = table([
    get('/users/:id'),
    get('/users/:id', 'api.example.com'),
    get('/users/me', 'admin.example.com'),
    get('/only-host', 'api.example.com'),
  ]);
  t.same(match(tbl, '/users/1', 'GET', 'api.example.com'), [1, ['1']]);
  t.same(match(tbl, '/users/1', 'GET', 'other.example.com'), [0, ['1']]);
  t.same(match(tbl, '/users/1', 'GET', ''), [0, ['1']]);
  t.same(match(tbl, '/users/me', 'GET', 'admin.example.com'), [2, []]);
  t.same(match(tbl, '/users/7', 'GET', 'admin.example.com'), [0, ['7']], 'host routes miss: any-host routes still apply');
  t.same(match(tbl, '/only-host', 'GET', 'api.example.com'), [3, []]);
  t.same(match(tbl, '/only-host', 'GET', ''), [NOT_FOUND, []]);
  t.same(match(tbl, '/only-host', 'GET', 'API.example.com'), [NOT_FOUND, []], 'the caller lowercases');
});

t.test('host-specific wins even over a more specific any-host path', async (t) => {
  const tbl = table([get('/a/b'), get('/a/*', 'h.test')]);
  t.same(match(tbl, '/a/b', 'GET', 'h.test'), [1, ['b']]);
  t.same(match(tbl, '/a/b', 'GET', 'x.test'), [0, []]);
});

t.test('the method is part of the match; none allowed -> 405 with the union in allowedMethods', async (t) => {
  const tbl = table([
    { path: '/a/b', methods: ['GET', 'HEAD'], host: null },
    { path: '/a/:x', methods: ['POST'], host: null },
    { path: '/a/b', methods: ['DELETE'], host: 'h.test' },
    { path: '/c', methods: ['PUT'], host: null },
  ]);
  t.same(match(tbl, '/a/b', 'GET'), [0, []]);
  t.same(match(tbl, '/a/b', 'POST'), [1, ['b']], 'POST falls through GET-only /a/b to /a/:x');
  t.same(match(tbl, '/a/b', 'PATCH'), [METHOD_NOT_ALLOWED, []]);
  t.same(tbl.allowedMethods('', '/a/b'), ['GET', 'HEAD', 'POST']);
  t.same(match(tbl, '/a/b', 'DELETE', 'h.test'), [2, []]);
  t.same(match(tbl, '/a/b', 'PATCH', 'h.test'), [METHOD_NOT_ALLOWED, []]);
  t.same(tbl.allowedMethods('h.test', '/a/b'), ['DELETE', 'GET', 'HEAD', 'POST']);
  t.same(match(tbl, '/c', 'GET'), [METHOD_NOT_ALLOWED, []]);
  t.same(match(tbl, '/c', 'HEAD'), [METHOD_NOT_ALLOWED, []], 'HEAD is not implied by anything');
  t.same(tbl.allowedMethods('', '/c'), ['PUT']);
  t.same(tbl.allowedMethods('', '/nothing'), []);
  t.same(match(tbl, '/nothing', 'BREW'), [NOT_FOUND, []], 'unknown method on an unknown path is 404');
  t.same(match(tbl, '/c', 'BREW'), [METHOD_NOT_ALLOWED, []]);
});

t.test('routes with methods null allow every method, even ones no route names', async (t) => {
  const tbl = table([get('/a'), any('/a'), { path: '/b', methods: ['GET'], host: null }]);
  t.same(match(tbl, '/a', 'GET'), [0, []]);
  t.same(match(tbl, '/a', 'BREW'), [1, []]);
  t.same(match(tbl, '/b', 'BREW'), [METHOD_NOT_ALLOWED, []]);
});

t.test('among routes of one path, the first in spec order that allows the method wins', async (t) => {
  const tbl = table([
    { path: '/a', methods: ['GET'], host: null },
    { path: '/a', methods: ['GET', 'POST'], host: null },
    { path: '/a', methods: ['POST', 'PUT'], host: null },
  ]);
  t.same(match(tbl, '/a', 'GET'), [0, []]);
  t.same(match(tbl, '/a', 'POST'), [1, []]);
  t.same(match(tbl, '/a', 'PUT'), [2, []]);
});

t.test('more than 32 distinct methods still map to the right routes', async (t) => {
  const methods = Array.from({ length: 40 }, (_, i) => `M${i}`);
  const tbl = table(methods.map((m, i) => ({ path: `/r${i % 3}`, methods: [m], host: null })));
  t.same(match(tbl, '/r0', 'M39'), [39, []]);
  t.same(match(tbl, '/r1', 'M37'), [37, []]);
  t.same(match(tbl, '/r1', 'M39'), [METHOD_NOT_ALLOWED, []]);
  t.same(tbl.allowedMethods('', '/r2'), methods.filter((_, i) => i % 3 === 2).sort());
});

t.test('params is cleared on every lookup, hit or miss', async (t) => {
  const tbl = table([get('/u/:id')]);
  const params = ['stale', 'values'];
  t.equal(tbl.lookup('GET', '', '/u/1', params), 0);
  t.same(params, ['1']);
  t.equal(tbl.lookup('GET', '', '/nope', params), NOT_FOUND);
  t.same(params, []);
});

t.test('non-ASCII static segments compare as UTF-8', async (t) => {
  const tbl = table([get('/caf%C3%A9/:x'), get('/日本/*'), get('/emoji/😀')]);
  t.same(match(tbl, '/caf%C3%A9/1'), [0, ['1']]);
  t.same(match(tbl, '/café/1'), [NOT_FOUND, []], 'route paths are normalised: /café is stored as /caf%C3%A9');
  t.same(match(tbl, '/%E6%97%A5%E6%9C%AC/x'), [1, ['x']]);
  t.same(match(tbl, '/emoji/%F0%9F%98%80'), [2, []]);
  const hosts = table([get('/h', 'bücher.test'), get('/h', 'b\u{1F600}.test'), get('/h')]);
  t.same(match(hosts, '/h', 'GET', 'bücher.test'), [0, []], 'non-ASCII host compared as UTF-8');
  t.same(match(hosts, '/h', 'GET', 'b\u{1F600}.test'), [1, []]);
  t.same(match(hosts, '/h', 'GET', 'bucher.test'), [2, []]);
  const raw = table([get('/a/:x')]);
  t.same(match(raw, '/a/日本'), [0, ['日本']], 'a raw non-ASCII value is captured whole');
});

t.test('paths that do not start with / are not found', async (t) => {
  const tbl = table([get('/*')]);
  t.same(match(tbl, ''), [NOT_FOUND, []]);
  t.same(match(tbl, 'a/b'), [NOT_FOUND, []]);
  t.same(tbl.allowedMethods('', 'x'), []);
});

t.test('an empty spec list builds a table that finds nothing', async (t) => {
  const tbl = table([]);
  t.equal(tbl.routeCount, 0);
  t.same(match(tbl, '/'), [NOT_FOUND, []]);
});

t.test('invalid specs are refused with the route index in the message', async (t) => {
  t.throws(() => buildRouteTable([get('/ok'), get('/a/*/b')]), /route 1: .*'\*' is only allowed as the last segment/);
  t.throws(() => buildRouteTable([get('/a/:')]), /route 0: .*needs a name/);
  t.throws(() => buildRouteTable([get('no-slash')]), /route 0: .*not a valid path/);
  t.throws(() => buildRouteTable([get('/a/%2F')]), /not a valid path/);
  t.throws(() => buildRouteTable([{ path: '/a', methods: ['get'], host: null }]), /uppercase token/);
  t.throws(() => buildRouteTable([{ path: '/a', methods: [], host: null }]), /non-empty/);
  t.throws(() => buildRouteTable([{ path: '/a', methods: null, host: 'Api.Example' }]), /lowercase/);
});

t.test('the constructor refuses buffers that are not route tables', async (t) => {
  t.throws(() => new RouteTable(new SharedArrayBuffer(8)), /cannot hold a route table/);
  t.throws(() => new RouteTable(new SharedArrayBuffer(1024)), /bad magic 0x0, not a Tollgate route table/);
  const good = buildRouteTable([get('/a')]);
  const wrongVersion = new SharedArrayBuffer(good.byteLength);
  new Uint8Array(wrongVersion).set(new Uint8Array(good));
  new Int32Array(wrongVersion)[1] = 999;
  t.throws(() => new RouteTable(wrongVersion), /layout version 999/);
  const truncated = new SharedArrayBuffer(good.byteLength - 8);
  new Uint8Array(truncated).set(new Uint8Array(good).subarray(0, truncated.byteLength));
  t.throws(() => new RouteTable(truncated), /header says \d+ bytes/);
  t.throws(() => new RouteTable(new ArrayBuffer(64) as unknown as SharedArrayBuffer), TypeError);
});
