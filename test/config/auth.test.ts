// auth, consumers, route auth/scopes: what validate accepts, the defaults, and each error at its
// FILE:LINE:COL.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { configOf, errorsOf } from './fixtures/load.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-keys-'));
const write = (name: string, text: string): string => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};
const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const EC_PEM = write('ec.pem', ec.publicKey.export({ type: 'spki', format: 'pem' }) as string);
const RSA_JWK = write('rsa.jwk', JSON.stringify(rsa.publicKey.export({ format: 'jwk' })));
const ED_PEM = write('ed.pem', ed.publicKey.export({ type: 'spki', format: 'pem' }) as string);
const PRIVATE = write('private.pem', ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
const GARBAGE = write('garbage.pem', 'not a key');
const SECRET = 'a'.repeat(32);

t.test('defaults: algorithms from the key, claims and cache settings', async (t) => {
  const config = configOf(t, `
auth:
  jwt:
    hs: { secret: "${SECRET}" }
    ec: { publicKeyFile: ${EC_PEM}, issuer: https://idp, audience: [a, b] }
    rsa: { publicKeyFile: ${RSA_JWK} }
    ed: { publicKeyFile: ${ED_PEM}, clockTolerance: 30s, consumerClaim: client_id }
    idp: { jwksUri: http://127.0.0.1:9999/jwks, algorithms: [RS256, ES256] }
  apiKey: {}
consumers:
  acme: { apiKeys: ["0123456789abcdef"] }
`);
  const jwt = config.auth.jwt;
  t.same(jwt.hs!.algorithms, ['HS256']);
  t.same(jwt.ec!.algorithms, ['ES384']);
  t.same(jwt.ec!.issuer, ['https://idp'], 'one issuer becomes a list');
  t.same(jwt.ec!.audience, ['a', 'b']);
  t.same(jwt.rsa!.algorithms, ['RS256']);
  t.same(jwt.ed!.algorithms, ['EdDSA', 'Ed25519']);
  t.equal(jwt.ed!.clockTolerance, 30_000);
  t.equal(jwt.ed!.consumerClaim, 'client_id');
  t.match(jwt.hs, { clockTolerance: 0, consumerClaim: 'sub', forwardToken: false, jwksRefresh: 600_000, jwksCooldown: 30_000, issuer: null, audience: null, jwksUri: null, publicKeyFile: null });
  t.same(config.auth.apiKey, { header: 'x-api-key', query: null });
  t.match(config.auth, { offload: 'auto', pool: { threads: 1, maxQueue: 256 }, tokenCache: 10_000 });
  t.same(config.consumers, { acme: { apiKeys: ['0123456789abcdef'], plan: null } });
});

t.test('without auth or consumers: nothing configured, every route public', async (t) => {
  const config = configOf(t, 'routes:\n  - { id: a, match: { path: /a }, respond: { status: 204 } }\n');
  t.same(config.auth.jwt, {});
  t.equal(config.auth.apiKey, null);
  t.same(config.consumers, {});
  t.equal(config.routes[0]!.auth, null);
  t.equal(config.routes[0]!.scopes, null);
});

t.test('each provider problem at its key', async (t) => {
  const errors = errorsOf(t, [
    'auth:',
    '  jwt:',
    '    short: { secret: tooshort }',
    `    hs512: { secret: "${SECRET}", algorithms: [HS512] }`,
    `    mixed: { secret: "${SECRET}", algorithms: [HS256, RS256] }`,
    `    both: { secret: "${SECRET}", jwksUri: "https://idp/jwks" }`,
    '    none: {}',
    `    curve: { publicKeyFile: ${EC_PEM}, algorithms: [ES256] }`,
    `    hsrsa: { publicKeyFile: ${RSA_JWK}, algorithms: [HS256] }`,
    `    private: { publicKeyFile: ${PRIVATE} }`,
    `    garbage: { publicKeyFile: ${GARBAGE} }`,
    '    missing: { publicKeyFile: /nonexistent/key.pem }',
    '    plain: { jwksUri: "http://idp.example/jwks", algorithms: [RS256] }',
    '    noalgs: { jwksUri: "https://idp.example/jwks" }',
    '    hmacset: { jwksUri: "https://idp.example/jwks", algorithms: [HS256] }',
    '    noneAlg: { jwksUri: "https://idp.example/jwks", algorithms: [none] }',
    '  offload: sometimes',
  ].join('\n'));
  t.same(errors.filter((e) => !e.includes('garbage')), [
    'gw.yaml:3:22 auth.jwt.short.secret: the secret must be at least 32 bytes for HS256 (it is shorter)',
    'gw.yaml:4:22 auth.jwt.hs512.secret: the secret must be at least 64 bytes for HS512 (it is shorter)',
    'gw.yaml:5:78 auth.jwt.mixed.algorithms.1: RS256 verifies with a public key, not a secret: use publicKeyFile or jwksUri for it',
    'gw.yaml:6:66 auth.jwt.both.jwksUri: use one of "secret", "publicKeyFile" or "jwksUri", not secret and jwksUri',
    'gw.yaml:7:11 auth.jwt.none: a jwt provider needs one of "secret" (HS*), "publicKeyFile" or "jwksUri"',
    'gw.yaml:8:76 auth.jwt.curve.algorithms.0: ES256 cannot be verified with the EC P-384 key of publicKeyFile (it verifies ES384)',
    'gw.yaml:9:77 auth.jwt.hsrsa.algorithms.0: HS256 cannot be verified with the RSA key of publicKeyFile (it verifies RS256, RS384, RS512, PS256, PS384, PS512)',
    `gw.yaml:10:31 auth.jwt.private.publicKeyFile: publicKeyFile "${PRIVATE}" holds a private key: give the public key (or certificate) only`,
    'gw.yaml:12:31 auth.jwt.missing.publicKeyFile: publicKeyFile "/nonexistent/key.pem" does not exist',
    'gw.yaml:13:23 auth.jwt.plain.jwksUri: jwksUri must use https:// (plain http:// is allowed on loopback only: keys fetched in clear can be swapped on the way)',
    'gw.yaml:14:13 auth.jwt.noalgs: a jwt provider with jwksUri needs "algorithms" (e.g. [RS256]): the allow-list never comes from the token',
    'gw.yaml:15:66 auth.jwt.hmacset.algorithms.0: HS256 is an HMAC algorithm: a JWKS holds public keys (use "secret" for HS*)',
    'gw.yaml:16:66 auth.jwt.noneAlg.algorithms.0: expected one of "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519", got the string "none"',
    'gw.yaml:17:12 auth.offload: expected one of "auto", "always", "never", got the string "sometimes"',
  ]);
  t.match(errors.find((e) => e.includes('garbage')), `gw.yaml:11:31 auth.jwt.garbage.publicKeyFile: publicKeyFile "${GARBAGE}" is not a PEM public key, certificate or JWK (`);
});

t.test('jwksUri on loopback may be http; https anywhere', async (t) => {
  for (const uri of ['http://127.0.0.1:8000/jwks', 'http://localhost/jwks', 'http://[::1]:8/k', 'https://idp.example/.well-known/jwks.json']) {
    const config = configOf(t, `auth:\n  jwt:\n    idp: { jwksUri: "${uri}", algorithms: [ES256] }\n`);
    t.equal(config.auth.jwt.idp!.jwksUri, uri, uri);
  }
  t.same(errorsOf(t, 'auth:\n  jwt:\n    idp: { jwksUri: "ftp://idp/jwks", algorithms: [ES256] }\n'), ['gw.yaml:3:21 auth.jwt.idp.jwksUri: jwksUri must be an https:// URL']);
});

t.test('route auth names configured methods; scopes need a JWT', async (t) => {
  const errors = errorsOf(t, `
auth:
  jwt:
    main: { secret: "${SECRET}" }
upstreams: { u: { targets: [http://x] } }
routes:
  - { id: a, match: { path: /a }, upstream: u, auth: [jwt:main, jwt:other, apiKey, jwt:main, basic] }
  - { id: b, match: { path: /b }, upstream: u, scopes: [read] }
  - { id: c, match: { path: /c }, upstream: u, auth: [], scopes: ["bad scope"] }
`);
  t.same(errors, [
    'gw.yaml:7:65 routes.0.auth.1: jwt provider "other" is not defined in auth.jwt',
    'gw.yaml:7:76 routes.0.auth.2: "apiKey" needs auth.apiKey (e.g. apiKey: { header: x-api-key })',
    'gw.yaml:7:84 routes.0.auth.3: "jwt:main" is listed twice',
    'gw.yaml:7:94 routes.0.auth.4: invalid auth method "basic": expected jwt:NAME or apiKey',
    'gw.yaml:8:48 routes.1.scopes: scopes are read from a JWT: the route\'s "auth" must list a jwt:NAME provider',
    'gw.yaml:9:54 routes.2.auth: auth must not be empty (leave it out for a public route)',
    'gw.yaml:9:58 routes.2.scopes: scopes are read from a JWT: the route\'s "auth" must list a jwt:NAME provider',
    'gw.yaml:9:67 routes.2.scopes.0: invalid scope "bad scope": visible ASCII without spaces, quotes or backslashes',
  ]);
  const mixed = errorsOf(t, `
auth: { jwt: { main: { secret: "${SECRET}" } }, apiKey: {} }
upstreams: { u: { targets: [http://x] } }
routes:
  - { id: a, match: { path: /a }, upstream: u, auth: [jwt:main, apiKey], scopes: [read] }
`);
  t.same(mixed, ['gw.yaml:5:74 routes.0.scopes: an API key carries no scopes, so a route with scopes cannot accept "apiKey" (every API-key request would be refused)']);
});

t.test('consumers: keys long enough, each naming one consumer, never quoted in errors; a plan must be defined', async (t) => {
  const errors = errorsOf(t, `
consumers:
  acme: { apiKeys: [shortkey, "has a space in it!"], plan: gold }
  globex: { apiKeys: ["shared-key-0123456789"] }
  initech: { apiKeys: ["shared-key-0123456789"] }
  "bad name": { apiKeys: [] }
`);
  t.same(errors, [
    'gw.yaml:3:21 consumers.acme.apiKeys.0: an API key must be at least 16 characters (e.g. openssl rand -hex 24)',
    'gw.yaml:3:31 consumers.acme.apiKeys.1: an API key must be visible ASCII without spaces',
    'gw.yaml:3:60 consumers.acme.plan: plan "gold" is not defined in "plans"',
    'gw.yaml:5:24 consumers.initech.apiKeys.0: this API key is already listed at consumers.globex.apiKeys.0: a key names one consumer',
    'gw.yaml:6:3 consumers.bad name: invalid consumer name: use letters, digits, "_", "." and "-" (at most 128 characters)',
  ]);
  t.notMatch(errors.join('\n'), /shortkey|shared-key/, 'no key is quoted');
});

t.test('API keys come from the environment', async (t) => {
  const config = configOf(t, 'auth: { apiKey: { header: X-Key, query: key } }\nconsumers:\n  acme: { apiKeys: ["${ACME_KEY}"] }\n', { ACME_KEY: 'from-the-environment-123' });
  t.same(config.consumers.acme!.apiKeys, ['from-the-environment-123']);
  t.same(config.auth.apiKey, { header: 'x-key', query: 'key' });
});
