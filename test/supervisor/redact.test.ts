// GET /config's redaction (SPEC §4: "the running config, secrets redacted"): secrets found by
// their key's name, and secrets in header rules found by the header's name.
import t from 'tap';
import { REDACTED, redactConfig } from '../../dist/supervisor/redact.js';

const SECRET_HEADERS = [
  'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'apikey',
  'x-auth-token', 'x-access-token', 'x-csrf-token', 'x-client-secret', 'x-db-password',
  'x-amz-security-token', 'ocp-apim-subscription-key', 'x-hub-signature-256', 'x-session-id',
];
const PLAIN_HEADERS = ['x-gw', 'x-request-id', 'cache-control', 'content-type', 'x-forwarded-host', 'x-monkey'];

function route(set: Record<string, string>): object {
  return {
    id: 'r',
    headers: { request: { set, remove: ['cookie'] }, response: { set, remove: [] } },
    respond: { status: 200, headers: set },
  };
}

t.test('header rules: values of secret-bearing header names are redacted wherever a header is set', async (t) => {
  const set = Object.fromEntries([...SECRET_HEADERS, ...PLAIN_HEADERS].map((name) => [name, `value-of-${name}`]));
  const out = redactConfig({ routes: [route(set)] }) as { routes: { headers: Record<string, { set: Record<string, string>; remove: string[] }>; respond: { headers: Record<string, string> } }[] };
  const [r] = out.routes;
  for (const [where, map] of [['request.set', r!.headers.request!.set], ['response.set', r!.headers.response!.set], ['respond.headers', r!.respond.headers]] as const) {
    for (const name of SECRET_HEADERS) t.equal(map[name], REDACTED, `${where} ${name}`);
    for (const name of PLAIN_HEADERS) t.equal(map[name], `value-of-${name}`, `${where} ${name} is shown`);
  }
  t.same(r!.headers.request!.remove, ['cookie'], 'header names in remove lists are not secrets');
  t.notMatch(JSON.stringify(out), /value-of-(authorization|cookie|x-api-key|proxy-authorization)/);
});

t.test('outside header rules only the key names count', async (t) => {
  const out = redactConfig({
    admin: { host: '127.0.0.1', token: 't0k' },
    listen: { tls: { certFile: 'c.pem', keyFile: 'k.pem' } },
    routes: [{ id: 'cookie', match: { path: '/session' } }],
    auth: { jwt: { main: { secret: 's', issuer: 'i' } } },
    consumers: { acme: { apiKeys: ['k1', 'k2'] } },
  }) as Record<string, Record<string, unknown>>;
  t.equal(out.admin!.token, REDACTED);
  t.same(out.listen!.tls, { certFile: 'c.pem', keyFile: 'k.pem' }, 'file paths are not secrets');
  t.same(out.routes, [{ id: 'cookie', match: { path: '/session' } }], 'a route id or path is not a header');
  t.same(out.auth, { jwt: { main: { secret: REDACTED, issuer: 'i' } } });
  t.match(out.consumers, { acme: { apiKeys: [/^sha256:[0-9a-f]{8}$/, /^sha256:[0-9a-f]{8}$/] } }, 'API keys: a fingerprint each');
  t.notMatch(JSON.stringify(out.consumers), /k1|k2/);
});

t.test('an empty value stays empty: it shows that nothing is set', async (t) => {
  t.same(redactConfig({ admin: { token: '' }, routes: [route({ authorization: '' })] }), { admin: { token: '' }, routes: [route({ authorization: '' })] });
});

t.test('credentials inside URLs are redacted wherever the URL sits', async (t) => {
  const out = redactConfig({
    cluster: { redis: 'redis://default:s3cr3t-pw@10.0.0.7:6379/0' },
    upstreams: { u: { targets: [{ url: 'http://127.0.0.1:9001' }] } },
    auth: { jwt: { main: { jwksUri: 'https://idp.example/jwks?api_key=k3y-value&tenant=acme' } } },
  });
  const text = JSON.stringify(out);
  t.notMatch(text, 's3cr3t-pw');
  t.notMatch(text, 'k3y-value');
  t.match(out, {
    cluster: { redis: `redis://default:${encodeURIComponent(REDACTED)}@10.0.0.7:6379/0` },
    upstreams: { u: { targets: [{ url: 'http://127.0.0.1:9001' }] } },
  }, 'the user and host stay; a URL without credentials is unchanged');
  t.match((out as { auth: { jwt: { main: { jwksUri: string } } } }).auth.jwt.main.jwksUri, /tenant=acme/, 'other parameters stay');
});
