import t from 'tap';
import { parsePathPattern, pathShape } from '../../dist/config/path-pattern.js';

t.test('static, parameter and wildcard segments', async (t) => {
  const result = parsePathPattern('/api/users/:id/files/*');
  t.same(result, {
    ok: true,
    segments: [
      { kind: 'static', value: 'api' },
      { kind: 'static', value: 'users' },
      { kind: 'param', name: 'id' },
      { kind: 'static', value: 'files' },
      { kind: 'wildcard' },
    ],
    params: ['id'],
    wildcard: true,
    trailingSlash: false,
  });
  t.same(parsePathPattern('/'), { ok: true, segments: [], params: [], wildcard: false, trailingSlash: false });
});

t.test('patterns that can never match a normalised path are refused', async (t) => {
  const cases: [string, RegExp][] = [
    ['api', /must start with "\/"/],
    ['/a//b', /empty segment/],
    ['/a/../b', /"\.\." segment/],
    ['/a/./b', /"\." segment/],
    ['/a/*/b', /only allowed as the last segment/],
    ['/a*', /whole segment/],
    ['/a/:1x', /invalid parameter name ":1x"/],
    ['/a/:', /invalid parameter name/],
    ['/a/:x/:x', /":x" appears more than once/],
    ['/a?b=1', /query string/],
    ['/a b', /invalid characters/],
  ];
  for (const [pattern, message] of cases) {
    const result = parsePathPattern(pattern);
    t.equal(result.ok, false, `${pattern} refused`);
    if (!result.ok) t.match(result.message, message, pattern);
  }
});

t.test('the shape ignores parameter names but keeps a trailing slash', async (t) => {
  const shape = (p: string) => {
    const r = parsePathPattern(p);
    return r.ok ? pathShape(r.segments, r.trailingSlash) : 'invalid';
  };
  t.equal(shape('/a/:x'), shape('/a/:y'));
  t.equal(shape('/a/:x'), '/a/:');
  t.not(shape('/a/'), shape('/a'));
  t.equal(shape('/'), '/');
  t.equal(shape('/s/*'), '/s/*');
});
