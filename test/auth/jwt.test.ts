// JWTs end to end: a real gateway (signature checks inline, then in the pool) in front of the
// demo echo service, tokens signed here with jose, keys from a secret, a PEM file and a JWKS
// served on 127.0.0.1. Every answer is checked, and what reached the upstream.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { request } from 'undici';
import { startProxyFixture, type ProxyFixture } from '../proxy/fixture.js';
import { startJwksServer, type JwksServer } from './fixtures/jwks-server.js';
import { hmacToken, sign, signingKey, tamper, unsecuredToken, type SigningKey } from './fixtures/tokens.js';

const SECRET = 'hs-secret-for-tests-0123456789abcdef';
const KEY = 'acme-key-0123456789abcdef';
const ISS = 'https://idp.test';

interface Echo { url: string; method: string; headers: Record<string, string>; body?: string }
interface Answer { status: number; headers: Record<string, string | string[] | undefined>; text: string; echo: Echo | null }

let rsa: SigningKey;
let rsaOther: SigningKey;
let ec: SigningKey;
let ecRotated: SigningKey;
let idpRsa: SigningKey;
let jwks: JwksServer;
let pemFile: string;

t.before(async () => {
  rsa = await signingKey('RS256', 'file-key');
  rsaOther = await signingKey('RS256', 'file-key');
  ec = await signingKey('ES256', 'ec-1');
  ecRotated = await signingKey('ES256', 'ec-2');
  idpRsa = await signingKey('RS256', 'rsa-1');
  jwks = await startJwksServer([ec.jwk, idpRsa.jwk]);
  pemFile = join(mkdtempSync(join(tmpdir(), 'tollgate-jwt-')), 'rsa.pem');
  writeFileSync(pemFile, rsa.spki);
});
t.teardown(() => jwks.close());

function gatewayConfig(offload: string): string {
  return `
log: { level: info, access: true, accessFields: [route, status, consumer, requestId] }
auth:
  offload: ${offload}
  jwt:
    hs: { secret: "\${JWT_SECRET}", issuer: ${ISS}, audience: api }
    rsa: { publicKeyFile: ${pemFile} }
    idp: { jwksUri: "${jwks.uri}", algorithms: [ES256, RS256], issuer: ${ISS}, jwksCooldown: 1s }
    fwd: { secret: "\${JWT_SECRET}", forwardToken: true, consumerClaim: client_id, clockTolerance: 60s }
  apiKey: {}
consumers:
  acme: { apiKeys: ["${KEY}"] }
`;
}

const ROUTES = `
  - { id: hs, match: { path: /hs/* }, upstream: users, rewrite: /echo/*, auth: [jwt:hs] }
  - { id: rsa, match: { path: /rsa/* }, upstream: users, rewrite: /echo/*, auth: [jwt:rsa] }
  - { id: idp, match: { path: /idp/* }, upstream: users, rewrite: /echo/*, auth: [jwt:idp] }
  - { id: scoped, match: { path: /scoped/* }, upstream: users, rewrite: /echo/*, auth: [jwt:hs], scopes: [orders:read, orders:write] }
  - { id: jwt-first, match: { path: /jwt-first/* }, upstream: users, rewrite: /echo/*, auth: [jwt:hs, apiKey] }
  - { id: key-first, match: { path: /key-first/* }, upstream: users, rewrite: /echo/*, auth: [apiKey, jwt:hs] }
  - { id: fwd, match: { path: /fwd/* }, upstream: users, rewrite: /echo/*, auth: [jwt:fwd] }
  - { id: either, match: { path: /either/* }, upstream: users, rewrite: /echo/*, auth: [jwt:rsa, jwt:idp] }
`;

const hs = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, secret: string = SECRET): string =>
  hmacToken(secret, { iss: ISS, aud: 'api', ...claims }, header);

for (const offload of ['never', 'always']) {
  t.test(`signature checks ${offload === 'never' ? 'on the worker thread' : 'in the pool'} (offload: ${offload})`, async (t) => {
    const fx: ProxyFixture = await startProxyFixture(() => ROUTES, gatewayConfig(offload), { JWT_SECRET: SECRET });
    t.teardown(() => fx.close());

    const call = async (path: string, token: string | null, headers: Record<string, string> = {}, body?: string): Promise<Answer> => {
      const res = await request(fx.gw.url + path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: token === null ? headers : { ...headers, authorization: `Bearer ${token}` },
        ...(body === undefined ? {} : { body }),
      });
      const text = await res.body.text();
      if (token !== null && token.length > 20 && res.statusCode !== 200) t.notMatch(text, token.split('.')[2] ?? token, 'a refusal never quotes the token');
      return { status: res.statusCode, headers: res.headers, text, echo: res.statusCode === 200 ? (JSON.parse(text) as Echo) : null };
    };
    const accepted = async (path: string, token: string, consumer: string, what: string): Promise<Echo> => {
      const r = await call(path, token, { 'x-consumer-id': 'mallory' });
      t.equal(r.status, 200, `${what}: accepted`);
      t.equal(r.echo?.headers['x-consumer-id'], consumer, `${what}: X-Consumer-Id upstream`);
      return r.echo!;
    };
    const refused = async (path: string, token: string, detail: string, what: string): Promise<void> => {
      const r = await call(path, token);
      t.equal(r.status, 401, `${what}: 401`);
      t.equal(r.headers['www-authenticate'], 'Bearer error="invalid_token"', `${what}: challenge`);
      t.equal(r.headers['content-type'], 'application/problem+json');
      t.equal((JSON.parse(r.text) as { detail: string }).detail, `The bearer token is not valid: ${detail}.`, what);
    };

    t.test('good tokens of each key source', async (t) => {
      const echo = await accepted('/hs/a', hs(), 'alice', 'HS256 secret');
      t.notOk('authorization' in echo.headers, 'the token is not forwarded by default');
      await accepted('/rsa/a', await sign(rsa, { claims: { sub: 'bob' } }), 'bob', 'RS256 publicKeyFile');
      await accepted('/idp/a', await sign(ec, { claims: { iss: ISS, sub: 'carol' } }), 'carol', 'ES256 from the JWKS');
      await accepted('/idp/a', await sign(idpRsa, { claims: { iss: ISS, sub: 'dave' } }), 'dave', 'RS256 from the JWKS');
      const repeat = hs({ sub: 'erin' });
      await accepted('/hs/a', repeat, 'erin', 'first use');
      await accepted('/hs/a', repeat, 'erin', 'second use (token cache)');
      await accepted('/either/a', await sign(ec, { claims: { iss: ISS, sub: 'frank' } }), 'frank', 'the second of two providers');
      const fwd = await call('/fwd/a', hmacToken(SECRET, { client_id: 'svc-1', sub: 'ignored' }));
      t.equal(fwd.echo?.headers['x-consumer-id'], 'svc-1', 'consumerClaim');
      t.match(fwd.echo?.headers.authorization, /^Bearer /, 'forwardToken: true passes the token on');
    });

    t.test('attacks on the algorithm and the key', async (t) => {
      await refused('/hs/a', unsecuredToken({ iss: ISS, aud: 'api' }), 'its algorithm is not accepted here', 'alg none');
      await refused('/rsa/a', hmacToken(rsa.spki, {}), 'its algorithm is not accepted here', 'HS256 signed with the RSA public key as secret');
      await refused('/idp/a', hmacToken(JSON.stringify(ec.jwk), { iss: ISS }, { kid: 'ec-1' }), 'its algorithm is not accepted here', 'HS256 with a JWKS kid');
      await refused('/idp/a', await sign(ec, { claims: { iss: ISS }, header: { kid: 'rsa-1' } }), 'its signing key does not fit its algorithm', 'ES256 naming the RSA key');
      await refused('/hs/a', hs({}, { crit: ['x-unknown'], 'x-unknown': true }), 'it has a critical header parameter the gateway does not understand', 'unknown crit');
      await refused('/hs/a', hs({}, {}, 'another-secret-0123456789abcdef012345'), 'its signature is not valid', 'another secret');
      await refused('/rsa/a', await sign(rsaOther), 'its signature is not valid', 'signed by another key');
      await refused('/rsa/a', tamper(await sign(rsa), { sub: 'root' }), 'its signature is not valid', 'tampered payload');
      await refused('/idp/a', await sign(ecRotated, { claims: { iss: ISS } }), 'it names a signing key the gateway does not know', 'unknown kid');
      await refused('/hs/a', 'abc.def.ghi', 'it is not a well-formed JWT', 'not a JWT');
    });

    t.test('claims: time, issuer, audience, consumer', async (t) => {
      const now = Math.floor(Date.now() / 1000);
      await refused('/hs/a', hs({ exp: now - 10 }), 'it has expired', 'expired');
      await refused('/hs/a', hs({ nbf: now + 120 }), 'it is not valid yet', 'not yet valid');
      await refused('/hs/a', hs({ iat: now + 120 }), 'it was issued in the future', 'iat in the future');
      await refused('/hs/a', hs({ iss: 'https://evil.test' }), 'its issuer is not accepted here', 'wrong issuer');
      await refused('/hs/a', hs({ aud: 'other-api' }), 'its audience is not accepted here', 'wrong audience');
      await refused('/hs/a', hmacToken(SECRET, { iss: ISS, aud: 'api', exp: undefined }), 'it has no "exp" claim', 'no exp');
      await refused('/hs/a', hs({ sub: 'line\nbreak' }), 'its consumer claim is missing or not a usable id', 'unusable consumer');
      await refused('/fwd/a', hmacToken(SECRET, { sub: 'no-client-id' }), 'its consumer claim is missing or not a usable id', 'missing consumer claim');
      await accepted('/fwd/a', hmacToken(SECRET, { client_id: 'svc-2', exp: now - 30 }), 'svc-2', 'expired within clockTolerance');
      await accepted('/fwd/a', hmacToken(SECRET, { client_id: 'svc-3', nbf: now + 30 }), 'svc-3', 'nbf within clockTolerance');
    });

    t.test('missing and malformed credentials', async (t) => {
      const none = await call('/hs/a', null);
      t.equal(none.status, 401);
      t.equal(none.headers['www-authenticate'], 'Bearer', 'no error parameter without credentials');
      const basic = await call('/hs/a', null, { authorization: 'Basic YWxpY2U6cHc=' });
      t.equal(basic.status, 401, 'another scheme is no bearer token');
      t.equal(basic.headers['www-authenticate'], 'Bearer');
      const bad = await call('/hs/a', null, { authorization: 'Bearer not a token' });
      t.equal(bad.headers['www-authenticate'], 'Bearer error="invalid_token"');
      const both = await call('/jwt-first/a', null);
      t.same(both.headers['www-authenticate'], ['Bearer', 'ApiKey header="x-api-key"'], 'one challenge per accepted method');
    });

    t.test('scopes: all of the route\'s, from scope or scp; else 403', async (t) => {
      await accepted('/scoped/a', hs({ scope: 'orders:read orders:write profile' }), 'alice', 'scope string');
      await accepted('/scoped/a', hs({ scp: ['orders:write', 'orders:read'] }), 'alice', 'scp list');
      for (const claims of [{ scope: 'orders:read' }, {}, { scp: 'orders:read' }]) {
        const r = await call('/scoped/a', hs(claims));
        t.equal(r.status, 403, `403 for ${JSON.stringify(claims)}`);
        t.equal(r.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="orders:read orders:write"');
        t.match(JSON.parse(r.text), { status: 403, detail: 'The token lacks the scope this route needs: orders:read orders:write.' });
      }
    });

    t.test('several credentials: the first of the route\'s methods present decides', async (t) => {
      const bad = hs({}, {}, 'another-secret-0123456789abcdef012345');
      const jwtFirst = await call('/jwt-first/a', bad, { 'x-api-key': KEY });
      t.equal(jwtFirst.status, 401, '[jwt, apiKey]: a bad token is refused even with a good key');
      t.same(jwtFirst.headers['www-authenticate'], ['Bearer error="invalid_token"', 'ApiKey header="x-api-key"']);
      const keyFirst = await call('/key-first/a', bad, { 'x-api-key': KEY });
      t.equal(keyFirst.status, 200, '[apiKey, jwt]: the key decides, the token is not checked');
      t.equal(keyFirst.echo?.headers['x-consumer-id'], 'acme');
      t.notOk('authorization' in keyFirst.echo!.headers, 'the unchecked token is not forwarded either');
      t.notOk('x-api-key' in keyFirst.echo!.headers);
      const good = await call('/jwt-first/a', hs({ sub: 'grace' }), { 'x-api-key': 'wrong-key-0123456789abcdef' });
      t.equal(good.status, 200, '[jwt, apiKey]: a good token wins, the key is not checked');
      t.equal(good.echo?.headers['x-consumer-id'], 'grace');
      t.notOk('x-api-key' in good.echo!.headers, 'and the key is removed');
    });

    t.test('a request body reaches the upstream after an uncached token is checked', async (t) => {
      const small = 'small body '.repeat(1000);
      const r = await call('/rsa/upload', await sign(rsa, { claims: { sub: 'heidi' } }), { 'content-type': 'text/plain' }, small);
      t.equal(r.status, 200);
      t.equal(r.echo?.method, 'POST');
      t.equal(r.echo?.body, small, 'the body arrived whole');
      const body = 'x'.repeat(300_000);
      const large = await call('/rsa/upload', await sign(rsa, { claims: { sub: 'heidi', n: 2 } }), {}, body);
      t.equal((large.echo as unknown as { bodyLength: number }).bodyLength, body.length, 'a streamed body arrived whole');
      const refusedUpload = await call('/rsa/upload', await sign(rsaOther), {}, body);
      t.equal(refusedUpload.status, 401, 'an upload with a bad token is refused');
    });

    t.test('the access log names the consumer; refused requests name none', async (t) => {
      const r = await call('/hs/logged', hs({ sub: 'ivan' }), { 'x-request-id': `log-${offload}-ok` });
      t.equal(r.status, 200);
      const ok = await fx.gw.waitForLog((l) => l.requestId === `log-${offload}-ok`);
      t.equal(ok.consumer, 'ivan');
      await call('/hs/logged', hs({ exp: 1 }), { 'x-request-id': `log-${offload}-bad` });
      const bad = await fx.gw.waitForLog((l) => l.requestId === `log-${offload}-bad`);
      t.match(bad, { status: 401, consumer: null });
    });
  });
}
