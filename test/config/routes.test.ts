import t from 'tap';
import { configOf, errorAt, errorsOf, UPSTREAM, withRoutes } from './fixtures/load.js';

const route = (id: string, body: string) => `  - id: ${id}\n${body}`;

t.test('a route needs an id and match.path', async (t) => {
  const errors = errorsOf(t, withRoutes('  - match: { methods: [GET] }\n    upstream: users\n'));
  t.same(errors, [
    'gw.yaml:5:5 routes.0.id: required key is missing',
    'gw.yaml:5:12 routes.0.match.path: required key is missing',
  ]);
});

t.test('route ids are unique; the error is at the second one', async (t) => {
  const errors = errorsOf(t, withRoutes(route('a', '    match: { path: /a }\n    upstream: users\n') + route('a', '    match: { path: /b }\n    upstream: users\n')));
  t.same(errors, ['gw.yaml:8:9 routes.1.id: duplicate route id "a" (first used by routes.0)']);
});

t.test('route ids are names usable in logs and metrics', async (t) => {
  const errors = errorsOf(t, withRoutes(route('"has space"', '    match: { path: /a }\n    upstream: users\n')));
  t.match(errorAt(t, errors, 'routes.0.id'), /invalid route id/);
});

t.test('a route names a defined upstream', async (t) => {
  const errors = errorsOf(t, withRoutes(route('a', '    match: { path: /a }\n    upstream: orders\n')));
  t.same(errors, ['gw.yaml:7:15 routes.0.upstream: upstream "orders" is not defined in "upstreams"']);
});

t.test('exactly one of upstream or respond', async (t) => {
  const neither = errorsOf(t, withRoutes(route('a', '    match: { path: /a }\n')));
  t.same(neither, ['gw.yaml:5:5 routes.0: a route needs "upstream", "respond" or "aggregate"']);
  const both = errorsOf(t, withRoutes(route('a', '    match: { path: /a }\n    upstream: users\n    respond: { status: 204 }\n')));
  t.same(both, ['gw.yaml:8:14 routes.0.respond: a route has either "upstream" or "respond", not both']);
});

t.test('respond: status range, json and body exclusive, header rules', async (t) => {
  const errors = errorsOf(t, 'routes:\n  - id: a\n    match: { path: /a }\n    respond: { status: 600, json: { a: 1 }, body: x, headers: { Upgrade: h2c } }\n');
  t.same(errors, [
    'gw.yaml:4:24 routes.0.respond.status: must be at most 599',
    'gw.yaml:4:45 routes.0.respond.body: use either "json" or "body", not both',
    'gw.yaml:4:65 routes.0.respond.headers.Upgrade: "upgrade" is a hop-by-hop header and cannot be set',
  ]);
  const config = configOf(t, 'routes:\n  - id: a\n    match: { path: /a }\n    respond: { status: 503, json: [1, null], headers: { Retry-After: 5 } }\n');
  t.same(config.routes[0]?.respond, { status: 503, json: [1, null], headers: { 'retry-after': '5' } });
});

t.test('respond: a 1xx status is refused (interim answers, never a whole response); 200..599 are fine', async (t) => {
  const respond = (status: number): string => `routes:\n  - id: a\n    match: { path: /a }\n    respond: { status: ${status} }\n`;
  for (const status of [100, 101, 103, 199]) {
    t.same(errorsOf(t, respond(status)), [`gw.yaml:4:24 routes.0.respond.status: must be at least 200`], `status ${status}`);
  }
  for (const status of [200, 204, 599]) t.equal(configOf(t, respond(status)).routes[0]?.respond?.status, status);
});

t.test('rewrite and timeout only apply to upstream routes', async (t) => {
  const errors = errorsOf(t, 'routes:\n  - id: a\n    match: { path: /a }\n    respond: { status: 204 }\n    rewrite: /b\n    timeout: 1s\n');
  t.same(errors, [
    'gw.yaml:5:14 routes.0.rewrite: "rewrite" applies only to routes with an "upstream"',
    'gw.yaml:6:14 routes.0.timeout: "timeout" applies only to routes with an "upstream"',
  ]);
});

t.test('match.path syntax errors point at the path', async (t) => {
  const errors = errorsOf(t, withRoutes(route('a', '    match:\n      path: /a/:x/:x\n    upstream: users\n')));
  t.same(errors, ['gw.yaml:7:13 routes.0.match.path: invalid path "/a/:x/:x": parameter ":x" appears more than once']);
});

t.test('match.path: what the route table refuses is refused at the path, with the reason', async (t) => {
  const cases: [string, RegExp][] = [
    ['/a/%2F', /encoded "\/", "\\" or NUL/],
    ['/a/%2f/b', /encoded "\/", "\\" or NUL/],
    ['/a/%00', /encoded "\/", "\\" or NUL/],
    ['/a/%5c', /encoded "\/", "\\" or NUL/],
    ['/caf%C3', /not well-formed UTF-8/],
    ['/caf%C3%28', /not well-formed UTF-8/],
    ['/%C0%AF', /not well-formed UTF-8/],
    ['/%ED%A0%80', /not well-formed UTF-8/],
    ['/%2e%2e/x', /dot-segment written with an encoded dot/],
    ['/a/.%2E', /dot-segment written with an encoded dot/],
  ];
  for (const [path, reason] of cases) {
    const errors = errorsOf(t, withRoutes(route('a', `    match:\n      path: "${path}"\n    upstream: users\n`)));
    t.equal(errors.length, 1, `${path}: one error`);
    t.match(errors[0], `gw.yaml:7:13 routes.0.match.path: invalid path ${JSON.stringify(path)}: `, `${path}: at the path`);
    t.match(errors[0], reason, `${path}: says why`);
  }
  for (const path of ['/caf%C3%A9', '/caf%c3%a9/:id', '/a%2Etxt', '/%7Euser/*', '/a%20b/']) {
    t.equal(configOf(t, withRoutes(route('a', `    match: { path: "${path}" }\n    upstream: users\n`))).routes[0]?.match.path, path, `${path} is fine`);
  }
});

t.test('match.path: two spellings of one normalised path conflict', async (t) => {
  for (const [first, second] of [['/a', '/%61'], ['/caf%c3%a9/:id', '/caf%C3%A9/:x'], ['/~u/', '/%7Eu/']]) {
    const errors = errorsOf(t, withRoutes(route('a', `    match: { path: "${first}" }\n    upstream: users\n`) + route('b', `    match: { path: "${second}" }\n    upstream: users\n`)));
    t.equal(errors.length, 1, `${first} and ${second}`);
    t.match(errors[0], /^gw\.yaml:9:\d+ routes\.1\.match\.path: conflicts with route "a" \(routes\.0\)/);
  }
});

t.test('rewrite may use only the parameters and wildcard of the path', async (t) => {
  const ok = configOf(t, withRoutes(route('a', '    match: { path: /a/:id/* }\n    upstream: users\n    rewrite: /v2/:id/x/*\n')));
  t.equal(ok.routes[0]?.rewrite, '/v2/:id/x/*');
  const errors = errorsOf(t, withRoutes(route('a', '    match: { path: /a/:id }\n    upstream: users\n    rewrite: /v2/:user/*\n')));
  t.same(errors, [
    'gw.yaml:8:14 routes.0.rewrite: rewrite uses ":user", which match.path /a/:id does not define',
    'gw.yaml:8:14 routes.0.rewrite: rewrite uses "*", but match.path /a/:id does not end with "*"',
  ]);
  const syntax = errorsOf(t, withRoutes(route('a', '    match: { path: /a }\n    upstream: users\n    rewrite: v2\n')));
  t.same(syntax, ['gw.yaml:8:14 routes.0.rewrite: invalid path "v2": must start with "/"']);
});

t.test('two routes matching the same requests conflict', async (t) => {
  const errors = errorsOf(t, withRoutes(
    route('a', '    match: { path: /a/:x, methods: [GET] }\n    upstream: users\n') +
    route('b', '    match: { path: /a/:y, methods: [POST, get] }\n    upstream: users\n'),
  ));
  t.same(errors, ['gw.yaml:9:20 routes.1.match.path: conflicts with route "a" (routes.0): same host, path shape /a/: and method GET']);
  const anyMethod = errorsOf(t, withRoutes(route('a', '    match: { path: /s/* }\n    upstream: users\n') + route('b', '    match: { path: /s/*, methods: [PUT] }\n    upstream: users\n')));
  t.match(errorAt(t, anyMethod, 'routes.1.match.path'), /conflicts with route "a" .* method PUT$/);
});

t.test('routes differing in method, host or shape do not conflict', async (t) => {
  const config = configOf(t, withRoutes(
    route('a', '    match: { path: /a/:x, methods: [GET] }\n    upstream: users\n') +
    route('b', '    match: { path: /a/:y, methods: [POST] }\n    upstream: users\n') +
    route('c', '    match: { path: /a/:x, host: api.example.com }\n    upstream: users\n') +
    route('d', '    match: { path: /a/static }\n    upstream: users\n') +
    route('e', '    match: { path: /a/:x/ }\n    upstream: users\n') +
    route('f', '    match: { path: /a/* }\n    upstream: users\n'),
  ));
  t.equal(config.routes.length, 6);
});

t.test('methods are tokens, not empty; host has no port', async (t) => {
  const errors = errorsOf(t, withRoutes(route('a', '    match: { path: /a, methods: ["GE T"], host: "a.com:80" }\n    upstream: users\n') +
    route('b', '    match: { path: /b, methods: [] }\n    upstream: users\n')));
  t.same(errors, [
    'gw.yaml:6:34 routes.0.match.methods.0: invalid method "GE T"',
    'gw.yaml:6:49 routes.0.match.host: invalid host "a.com:80": use a host name or IP without a port',
    'gw.yaml:9:33 routes.1.match.methods: methods must not be empty (leave it out to allow any method)',
  ]);
});

t.test('a wildcard host says wildcards are not supported', async (t) => {
  const errors = errorsOf(t, withRoutes(route('a', '    match: { path: /a, host: "*.example.com" }\n    upstream: users\n')));
  t.same(errors, [
    'gw.yaml:6:30 routes.0.match.host: invalid host "*.example.com": wildcard hosts are not supported; give each host name its own route, or leave "host" out to match any host',
  ]);
});

t.test('header operations: names lowercased and checked, hop-by-hop refused in set', async (t) => {
  const config = configOf(t, withRoutes(route('a', '    match: { path: /a }\n    upstream: users\n    headers:\n      request: { set: { X-Gw: tollgate }, remove: [Cookie, cookie] }\n      response: { remove: [Server, connection] }\n')));
  t.same(config.routes[0]?.headers, {
    request: { set: { 'x-gw': 'tollgate' }, remove: ['cookie'] },
    response: { set: {}, remove: ['server', 'connection'] },
  });
  const errors = errorsOf(t, `${UPSTREAM}routes:\n  - id: a\n    match: { path: /a }\n    upstream: users\n    headers:\n      request:\n        set: { Keep-Alive: x, X-A: a, x-a: b, "x y": c, Content-Length: 1 }\n        remove: ["bad header"]\n      responce: {}\n`);
  t.same(errors, [
    'gw.yaml:10:16 routes.0.headers.request.set.Keep-Alive: "keep-alive" is a hop-by-hop header and cannot be set',
    'gw.yaml:10:39 routes.0.headers.request.set.x-a: header "x-a" is set twice (names are case-insensitive)',
    'gw.yaml:10:47 routes.0.headers.request.set.x y: invalid header name "x y"',
    'gw.yaml:10:57 routes.0.headers.request.set.Content-Length: "content-length" is managed by the gateway and cannot be set',
    'gw.yaml:11:18 routes.0.headers.request.remove.0: invalid header name "bad header"',
    'gw.yaml:12:7 routes.0.headers.responce: unknown key "responce" (did you mean "response"?)',
  ]);
});

t.test('headers the gateway writes itself cannot be set where a second copy would result', async (t) => {
  const errors = errorsOf(t, `${UPSTREAM}routes:\n  - id: a\n    match: { path: /a }\n    upstream: users\n    headers:\n      request: { set: { Expect: 100-continue, Host: "a b" } }\n      response: { set: { Date: x, X-Request-Id: y } }\n`);
  t.same(errors, [
    'gw.yaml:9:25 routes.0.headers.request.set.Expect: "expect" is answered by the gateway and cannot be set',
    'gw.yaml:9:47 routes.0.headers.request.set.Host: "host" must be a host name or address with an optional port, got "a b"',
    'gw.yaml:10:26 routes.0.headers.response.set.Date: "date" is written by the gateway in every answer and cannot be set',
    'gw.yaml:10:35 routes.0.headers.response.set.X-Request-Id: "x-request-id" is written by the gateway in every answer and cannot be set',
  ]);
  const respondErrors = errorsOf(t, 'routes:\n  - id: a\n    match: { path: /a }\n    respond: { headers: { Date: x } }\n');
  t.same(respondErrors, ['gw.yaml:4:27 routes.0.respond.headers.Date: "date" is written by the gateway in every answer and cannot be set']);
  // The gateway's own request headers may be set: the value replaces the gateway's.
  const config = configOf(t, withRoutes(route('a', '    match: { path: /a }\n    upstream: users\n    headers:\n      request: { set: { Host: "backend:8080", X-Forwarded-For: 10.0.0.1, X-Request-Id: r } }\n')));
  t.same(config.routes[0]?.headers.request.set, { host: 'backend:8080', 'x-forwarded-for': '10.0.0.1', 'x-request-id': 'r' });
});

t.test('a route timeout is a positive duration', async (t) => {
  const config = configOf(t, withRoutes(route('a', '    match: { path: /a }\n    upstream: users\n    timeout: 1.5s\n')));
  t.equal(config.routes[0]?.timeout, 1500);
  const errors = errorsOf(t, withRoutes(route('a', '    match: { path: /a }\n    upstream: users\n    timeout: 0\n')));
  t.same(errors, ['gw.yaml:8:14 routes.0.timeout: must be at least 1ms']);
});
