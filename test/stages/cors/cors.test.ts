// Route `cors` against a real gateway and a real upstream, with raw requests.
import t from 'tap';
import { oneUpstreamYaml, runCli, startGateway, writeConfig } from '../../helpers/gateway-process.js';
import { startRecordingUpstream } from '../../helpers/recording-upstream.js';
import { rawRequest, type RawResponse } from '../../helpers/scripted-upstream.js';

const header = (r: RawResponse, name: string): string[] =>
  r.head.split('\r\n').slice(1).filter((l) => l.toLowerCase().startsWith(name + ':')).map((l) => l.slice(name.length + 1).trim());

t.test('preflights and actual requests', async (t) => {
  // The upstream sends its own CORS header: the route's answer replaces it.
  const up = await startRecordingUpstream('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nAccess-Control-Allow-Origin: *\r\nContent-Type: text/plain\r\n\r\nok');
  t.teardown(() => up.close());
  const gw = await startGateway(oneUpstreamYaml(up.url, {
    extra: 'auth: { apiKey: { header: x-api-key } }\nconsumers: { acme: { apiKeys: ["acme-key-0123456789abcdef"] } }',
    routes: `
  - id: strict
    match: { path: /api/*, methods: [GET, POST] }
    upstream: rec
    auth: [apiKey]
    cors: { origins: ["https://app.example", "http://localhost:3000"], headers: [content-type, x-api-key], credentials: true, maxAge: 10m }
  - id: open
    match: { path: /open/* }
    upstream: rec
    cors: { origins: ["*"], methods: [GET] }`,
  }));
  t.teardown(() => gw.stop());
  const up0 = up.received().length;

  const pre = await rawRequest(gw.port, 'OPTIONS /api/x HTTP/1.1\r\nHost: a\r\nOrigin: https://APP.example\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: Content-Type, X-Api-Key\r\n\r\n');
  t.equal(pre.status, 204, 'a preflight is answered by the gateway, without credentials, though the route lists no OPTIONS');
  t.same(header(pre, 'access-control-allow-origin'), ['https://APP.example'], 'the origin echoed');
  t.same(header(pre, 'access-control-allow-methods'), ['GET, POST']);
  t.same(header(pre, 'access-control-allow-headers'), ['content-type, x-api-key']);
  t.same(header(pre, 'access-control-allow-credentials'), ['true']);
  t.same(header(pre, 'access-control-max-age'), ['600']);
  t.ok(header(pre, 'vary').join(',').includes('Origin'));
  t.equal(up.received().length, up0, 'nothing reached the upstream');

  const badOrigin = await rawRequest(gw.port, 'OPTIONS /api/x HTTP/1.1\r\nHost: a\r\nOrigin: https://evil.example\r\nAccess-Control-Request-Method: GET\r\n\r\n');
  t.equal(badOrigin.status, 403);
  t.notMatch(badOrigin.head.toLowerCase(), /access-control-allow/, 'a disallowed origin gets no CORS header');
  const badMethod = await rawRequest(gw.port, 'OPTIONS /api/x HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\nAccess-Control-Request-Method: DELETE\r\n\r\n');
  t.equal(badMethod.status, 403);
  t.notMatch(badMethod.head.toLowerCase(), /access-control-allow/);
  const badHeader = await rawRequest(gw.port, 'OPTIONS /api/x HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\nAccess-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: x-secret\r\n\r\n');
  t.equal(badHeader.status, 403);

  const plainOptions = await rawRequest(gw.port, 'OPTIONS /api/x HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\n\r\n');
  t.equal(plainOptions.status, 405, 'an OPTIONS that is not a preflight is still refused');
  t.same(header(plainOptions, 'allow'), ['GET, POST']);

  const actual = await rawRequest(gw.port, 'GET /api/x HTTP/1.1\r\nHost: a\r\nOrigin: http://localhost:3000\r\nX-Api-Key: acme-key-0123456789abcdef\r\n\r\n');
  t.equal(actual.status, 200);
  t.same(header(actual, 'access-control-allow-origin'), ['http://localhost:3000'], "with credentials the origin is echoed, and the upstream's * is gone");
  t.same(header(actual, 'access-control-allow-credentials'), ['true']);
  t.match(header(actual, 'access-control-expose-headers')[0], /x-request-id/);
  t.same(header(actual, 'vary'), ['Origin']);

  const refusedAuth = await rawRequest(gw.port, 'GET /api/x HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\n\r\n');
  t.equal(refusedAuth.status, 401);
  t.same(header(refusedAuth, 'access-control-allow-origin'), ['https://app.example'], "the gateway's own errors carry the headers, so the page can read them");

  const other = await rawRequest(gw.port, 'GET /api/x HTTP/1.1\r\nHost: a\r\nOrigin: https://evil.example\r\nX-Api-Key: acme-key-0123456789abcdef\r\n\r\n');
  t.equal(other.status, 200);
  t.notMatch(other.head.toLowerCase(), /access-control-allow/, 'a disallowed origin gets no CORS header on an actual request');
  t.same(header(other, 'vary'), ['Origin']);

  const star = await rawRequest(gw.port, 'GET /open/x HTTP/1.1\r\nHost: a\r\nOrigin: https://anyone.example\r\n\r\n');
  t.same(header(star, 'access-control-allow-origin'), ['*'], '* without credentials');
  t.same(header(star, 'vary'), [], 'no Vary: Origin when the answer does not depend on it');
  const starPre = await rawRequest(gw.port, 'OPTIONS /open/x HTTP/1.1\r\nHost: a\r\nOrigin: https://anyone.example\r\nAccess-Control-Request-Method: GET\r\n\r\n');
  t.equal(starPre.status, 204);
  t.same(header(starPre, 'access-control-allow-origin'), ['*']);
  const noOrigin = await rawRequest(gw.port, 'OPTIONS /open/x HTTP/1.1\r\nHost: a\r\n\r\n');
  t.equal(noOrigin.status, 200, 'a route taking any method forwards a plain OPTIONS');
});

t.test('config: credentials never pair with *, origins are checked', async (t) => {
  const file = writeConfig(oneUpstreamYaml('http://127.0.0.1:1', {
    routes: `  - { id: a, match: { path: /a }, upstream: rec, cors: { origins: ["*"], credentials: true } }
  - { id: b, match: { path: /b }, upstream: rec, cors: { origins: ["https://x.example/path"] } }`,
  }));
  const out = await runCli(['validate', '-c', file]);
  t.equal(out.code, 1);
  t.match(out.stdout + out.stderr, /gateway\.yaml:\d+:\d+ routes\.0\.cors\.credentials: credentials: true needs the allowed origins listed/);
  t.match(out.stdout + out.stderr, /routes\.1\.cors\.origins\.0: invalid origin/);
});
