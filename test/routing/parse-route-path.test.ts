// checkRoutePath is the one check of a route path (config loader and route table alike); its
// reason names the rule normalizePath applied.
import t from 'tap';
import { checkRoutePath, parseRoutePath } from '../../dist/routing/parse-route-path.js';

t.test('each rejected path comes with the rule it breaks', async (t) => {
  const cases: [string, RegExp][] = [
    ['a', /must start with "\/"/],
    ['/a/%2F', /segment "%2F" has an encoded "\/", "\\" or NUL/],
    ['/a/b%00c', /segment "b%00c" has an encoded/],
    ['/%2E./x', /segment "%2E\." is a dot-segment written with an encoded dot/],
    ['/a/b\u0001', /control character/],
    ['/a\\b', /control character or "\\"/],
    ['/a/%zz', /"%" that does not start an escape/],
    ['/a/%4', /"%" that does not start an escape/],
    ['/a/\ufffd', /U\+FFFD or a lone surrogate/],
    ['/a/\ud800x', /U\+FFFD or a lone surrogate/],
    ['/caf%C3/x', /segment "caf%C3" has percent-escapes that are not well-formed UTF-8/],
    ['/%F4%90%80%80', /not well-formed UTF-8/],
    ['/a/../..', /climb above the root/],
    ['/a/*/b', /'\*' is only allowed as the last segment/],
    ['/a/:', /':' parameter needs a name/],
  ];
  for (const [path, reason] of cases) {
    const result = checkRoutePath(path);
    t.equal(result.ok, false, `${JSON.stringify(path)} is refused`);
    if (!result.ok) t.match(result.reason, reason, JSON.stringify(path));
    t.throws(() => parseRoutePath(path), { message: new RegExp(`is not a valid path: .*${reason.source}`) }, 'parseRoutePath throws the same reason');
  }
});

t.test('accepted paths come back normalised, segment by segment', async (t) => {
  t.same(checkRoutePath('/caf%c3%a9/:id/%7Eu/*'), {
    ok: true,
    segments: [{ kind: 'static', text: 'caf%C3%A9' }, { kind: 'param', name: 'id' }, { kind: 'static', text: '~u' }, { kind: 'wildcard' }],
  });
  t.same(checkRoutePath('/'), { ok: true, segments: [{ kind: 'static', text: '' }] });
  t.same(checkRoutePath('/a/'), { ok: true, segments: [{ kind: 'static', text: 'a' }, { kind: 'static', text: '' }] });
});
