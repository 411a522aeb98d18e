import v8 from 'node:v8';
import t from 'tap';
import { buildRouteTable } from '../../dist/routing/build-route-table.js';
import { normalizePath } from '../../dist/routing/normalize-path.js';
import { NOT_FOUND, RouteTable } from '../../dist/routing/route-table.js';

t.test('the fast path returns its input unchanged', async (t) => {
  for (const raw of ['/', '/api/users/42', '/a-b_c~d/e.json', '/a/b/', '/x:y/*', '/a.b/c..d']) {
    t.equal(normalizePath(raw), raw);
  }
});

t.test('the fast path returns the same string instance: no copy is allocated', async (t) => {
  // String identity is not observable in JS, but a copy of a 32 MiB path would be: heap use
  // grows by its size. A flat (Buffer-made) string keeps V8 from flattening a rope on first read.
  const size = 32 * 1024 * 1024;
  const bytes = Buffer.alloc(size, 'a');
  bytes[0] = 0x2f;
  bytes[size >> 1] = 0x2f;
  const clean = bytes.toString('latin1');
  bytes[1] = 0x2f; // '//' forces the slow path, which must build a new string
  const dirty = bytes.toString('latin1');
  const before = v8.getHeapStatistics().used_heap_size;
  const fast = normalizePath(clean);
  const afterFast = v8.getHeapStatistics().used_heap_size;
  const slow = normalizePath(dirty);
  const afterSlow = v8.getHeapStatistics().used_heap_size;
  t.equal(fast, clean);
  t.ok(afterFast - before < 1024 * 1024, `fast path grew the heap by ${afterFast - before} bytes`);
  t.equal(slow?.length, size - 1);
  t.ok(afterSlow - afterFast > size / 2, `slow path grew the heap by ${afterSlow - afterFast} bytes`);
});

t.test('unreserved escapes are decoded, the rest uppercased', async (t) => {
  t.equal(normalizePath('/%7euser/%41%62%63'), '/~user/Abc');
  t.equal(normalizePath('/a%2Db%5fc%2e1'), '/a-b_c.1', 'an encoded dot inside a segment is just a dot');
  t.equal(normalizePath('/a%20b/%3a%3F'), '/a%20b/%3A%3F');
  t.equal(normalizePath('/caf%c3%a9'), '/caf%C3%A9');
  t.equal(normalizePath('/%25'), '/%25', 'an encoded % stays encoded, not double-decoded');
  t.equal(normalizePath('/%252e%252e/admin'), '/%252e%252e/admin');
});

t.test('raw non-ASCII is percent-encoded as UTF-8', async (t) => {
  t.equal(normalizePath('/café'), '/caf%C3%A9');
  t.equal(normalizePath('/日本'), '/%E6%97%A5%E6%9C%AC');
  t.equal(normalizePath('/\u{1F600}'), '/%F0%9F%98%80');
  t.equal(normalizePath('/\u00a0'), '/%C2%A0');
});

t.test('empty segments collapse and dot-segments resolve', async (t) => {
  const cases: [string, string][] = [
    ['//', '/'],
    ['//a//b//', '/a/b/'],
    ['/a/./b', '/a/b'],
    ['/./a', '/a'],
    ['/a/.', '/a/'],
    ['/a/b/..', '/a/'],
    ['/a/b/../c', '/a/c'],
    ['/api/../admin', '/admin'],
    ['/a/b/../../c/./d/', '/c/d/'],
    ['/a/..', '/'],
    ['/.well-known/x', '/.well-known/x'],
    ['/a/...', '/a/...'],
    ['/a/.b/..c', '/a/.b/..c'],
  ];
  for (const [raw, want] of cases) t.equal(normalizePath(raw), want, raw);
});

t.test('rejected paths', async (t) => {
  const rejected = [
    '', 'a/b', '*', 'http://h/a',
    '/..', '/../a', '/a/../..', '/a/../../b', '//..',
    '/a/%2e%2e/b', '/api/%2e%2e/admin', '/api/%2E%2e/admin', '/api/.%2e/admin', '/api/%2e./admin',
    '/a/%2e/b', '/a/%2E', '/%2e%2e',
    '/a%2fb', '/a%2Fb', '/a%5cb', '/a%5Cb', '/a%00b',
    '/a\\b', '/a\\..\\b', '/a\u0000b', '/a\nb', '/a\tb', '/a\u007fb', '/a\rb',
    '/%zz', '/%4', '/a%', '/a%g1', '/%%41',
    '/%C0%AE', '/%C0%AF', '/%E0%80%AE', '/%F0%80%80%AE', '/%C1%BF',
    '/%80', '/%BF', '/%C3', '/%C3%28', '/%E6%97', '/%F4%90%80%80', '/%F5%80%80%80', '/%FF',
    '/%ED%A0%80', '/%C3/a', '/%C3a',
    '/a\ud800b', '/a\udc00', '/bad\ufffd',
  ];
  for (const raw of rejected) t.equal(normalizePath(raw), null, JSON.stringify(raw));
});

t.test('well-formed multi-byte escapes are kept', async (t) => {
  t.equal(normalizePath('/%ef%bf%bd'), '/%EF%BF%BD', 'an encoded U+FFFD is real UTF-8');
  t.equal(normalizePath('/%F4%8F%BF%BF'), '/%F4%8F%BF%BF', 'U+10FFFF');
  t.equal(normalizePath('/%E0%A0%80'), '/%E0%A0%80', 'U+0800, smallest 3-byte');
  t.equal(normalizePath('/%ED%9F%BF'), '/%ED%9F%BF', 'U+D7FF, just below the surrogates');
});

t.test('no traversal trick reaches a route the path does not name', async (t) => {
  // Only /api/* is public; /admin is a different route. Every trick must either be refused (null)
  // or resolve to a path that is looked up as what it really is.
  const tbl = new RouteTable(buildRouteTable([
    { path: '/api/*', methods: null, host: null },
    { path: '/admin', methods: null, host: null },
  ]));
  const ADMIN = 1;
  const tricks = [
    '/api/%2e%2e/admin', '/api/%2E%2e/admin', '/api/.%2e/admin', '/api/%2e./admin', '/api/%2e%2e%2fadmin',
    '/api/..%2fadmin', '/api/..%2Fadmin', '/api/..%5cadmin', '/api\\..\\admin', '/api/%5c..%5cadmin',
    '/api/%00/../admin', '/api/%C0%AE%C0%AE/admin', '/api/%C0%AF../admin', '/api/%E0%80%AE%E0%80%AE/admin',
    '/api/%252e%252e/admin', '/api/%zz/../admin',
  ];
  for (const raw of tricks) {
    const path = normalizePath(raw);
    const route = path === null ? NOT_FOUND : tbl.lookup('GET', '', path, []);
    t.not(route, ADMIN, `${raw} -> ${path}`);
  }
  // Plain dot-segments resolve first: the result is the path the client really asked for.
  t.equal(normalizePath('/api/../admin'), '/admin');
  t.equal(normalizePath('/api//..//admin'), '/admin');
  t.equal(normalizePath('/api/./x/../../admin'), '/admin');
  const resolved = normalizePath('/api/x/..');
  t.equal(resolved, '/api/');
  t.equal(tbl.lookup('GET', '', resolved as string, []), 0);
});
