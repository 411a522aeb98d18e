// JWKS: fetched once by the supervisor for every worker, refetched for an unknown kid at most
// once per cooldown across all workers, refreshed on max-age, and kept while the IdP is down.
// The JWKS server runs on 127.0.0.1 and counts its requests.
import t, { type Test } from 'tap';
import { Agent, request } from 'undici';
import { startDemoUpstreams } from '../../dist/demo/index.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { startJwksServer, type JwksServer } from './fixtures/jwks-server.js';
import { sign, signingKey, type SigningKey } from './fixtures/tokens.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function gateway(t: Test, jwks: JwksServer, workers: number, cooldown: string, log = 'warn'): Promise<GatewayProcess> {
  const demo = await startDemoUpstreams({ host: '127.0.0.1', ports: { users: 0, orders: 0, slow: 0, flaky: 0 } });
  const gw = await startGateway(`
listen: { host: 127.0.0.1, port: 0 }
workers: ${workers}
admin: { host: 127.0.0.1, port: 0 }
log: { level: ${log}, access: false }
auth:
  jwt:
    idp: { jwksUri: "${jwks.uri}", algorithms: [ES256], jwksCooldown: ${cooldown} }
upstreams:
  users: { targets: [http://127.0.0.1:${demo.ports.users}] }
routes:
  - { id: idp, match: { path: /idp/* }, upstream: users, rewrite: /echo/*, auth: [jwt:idp] }
`).catch(async (err: unknown) => {
    await demo.close();
    throw err;
  });
  t.teardown(async () => {
    await gw.stop();
    await demo.close();
  });
  return gw;
}

async function status(gw: GatewayProcess, token: string, dispatcher?: Agent): Promise<{ status: number; consumer: string | undefined; retryAfter: unknown }> {
  const res = await request(`${gw.url}/idp/a`, { headers: { authorization: `Bearer ${token}` }, ...(dispatcher ? { dispatcher } : {}) });
  const text = await res.body.text();
  const consumer = res.statusCode === 200 ? (JSON.parse(text) as { headers: Record<string, string> }).headers['x-consumer-id'] : undefined;
  return { status: res.statusCode, consumer, retryAfter: res.headers['retry-after'] };
}

let ec1: SigningKey;
t.before(async () => {
  ec1 = await signingKey('ES256', 'ec-1');
});

t.test('a flood of random kids on two workers: at most one JWKS fetch per cooldown, valid tokens keep working', async (t) => {
  const jwks = await startJwksServer([ec1.jwk]);
  t.teardown(() => jwks.close());
  const cooldownMs = 2_000;
  const gw = await gateway(t, jwks, 2, '2s');
  const startedAt = Date.now();
  t.equal(jwks.requests(), 1, 'one fetch at start, by the supervisor, not one per worker');
  // Many connections, so that both workers take part.
  const agent = new Agent({ connections: 32, pipelining: 1 });
  t.teardown(() => agent.close());
  const good = await Promise.all(Array.from({ length: 32 }, async (_, i) => status(gw, await sign(ec1, { claims: { sub: `user-${i}` } }), agent)));
  t.ok(good.every((r) => r.status === 200), 'fresh tokens of a known key are accepted');

  await sleep(Math.max(0, startedAt + cooldownMs + 200 - Date.now()));
  const before = jwks.requests();
  const floodStart = Date.now();
  const forged = await Promise.all(Array.from({ length: 400 }, async (_, i) => {
    const key = await signingKey('ES256', `random-${i}-${Math.random()}`);
    return status(gw, await sign(key), agent);
  }));
  const floodMs = Date.now() - floodStart;
  t.ok(forged.every((r) => r.status === 401), 'every token of an unknown kid is refused');
  const fetched = jwks.requests() - before;
  t.ok(fetched >= 1, 'an unknown kid after the cooldown causes a refetch');
  t.ok(fetched <= 1 + Math.floor(floodMs / cooldownMs), `${fetched} fetches for 400 unknown kids over ${floodMs} ms on two workers (cooldown ${cooldownMs} ms)`);
  const after = await status(gw, await sign(ec1, { claims: { sub: 'after-flood' } }), agent);
  t.equal(after.consumer, 'after-flood', 'valid traffic goes on');
});

t.test('key rotation: a new kid is fetched on first sight once the cooldown allows; the IdP down and back', async (t) => {
  const jwks = await startJwksServer([ec1.jwk]);
  t.teardown(() => jwks.close());
  const gw = await gateway(t, jwks, 2, '1s', 'info');
  const ec2 = await signingKey('ES256', 'ec-2');
  jwks.setKeys([ec1.jwk, ec2.jwk]);
  await sleep(1_100);
  t.equal((await status(gw, await sign(ec2, { claims: { sub: 'rotated' } }))).consumer, 'rotated', 'the new key is fetched and used');
  t.equal(jwks.requests(), 2);

  jwks.setDown(true);
  await sleep(1_100);
  const ec3 = await signingKey('ES256', 'ec-3');
  t.equal((await status(gw, await sign(ec3))).status, 401, 'while the IdP is down an unknown kid is refused');
  const failure = await gw.waitForLog((l) => l.msg === 'JWKS fetch failed; keeping the cached keys');
  t.match(failure, { jwksUri: jwks.uri, error: 'HTTP 503', keptKeys: 2 });
  const cached = await status(gw, await sign(ec1, { claims: { sub: 'cached-key' } }));
  t.equal(cached.consumer, 'cached-key', 'the cached keys keep working');

  gw.child.kill('SIGUSR2');
  const stats = await gw.waitForLog((l) => l.msg === 'stats');
  const [source] = stats.jwks as { uri: string; keys: number; failures: number; lastError: string }[];
  t.match(source, { uri: jwks.uri, keys: 2, lastError: 'HTTP 503' }, 'the failure is in the SIGUSR2 snapshot');
  t.ok(source!.failures >= 1, 'and counted');
  const auth = stats.auth as Record<string, number>;
  t.ok(auth.jwtRefused! >= 1 && auth.jwtVerified! >= 2, `auth counters in the snapshot: ${JSON.stringify(auth)}`);

  jwks.setDown(false);
  jwks.setKeys([ec1.jwk, ec2.jwk, ec3.jwk]);
  // Back within a cooldown or two (failed fetches back off from the cooldown).
  let back = 0;
  for (let i = 0; i < 40 && back !== 200; i++) {
    await sleep(250);
    back = (await status(gw, await sign(ec3, { claims: { sub: `back-${i}` } }))).status;
  }
  t.equal(back, 200, 'once the IdP is back, the new key is fetched');
});

t.test('Cache-Control max-age sets the refresh (bounded below by the cooldown)', async (t) => {
  const jwks = await startJwksServer([ec1.jwk]);
  jwks.setCacheControl('public, max-age=0, must-revalidate');
  t.teardown(() => jwks.close());
  await gateway(t, jwks, 1, '1s');
  const n0 = jwks.requests();
  await sleep(3_500);
  const n = jwks.requests() - n0;
  t.ok(n >= 2 && n <= 4, `refreshed every cooldown (1 s), not every 0 s: ${n} fetches in 3.5 s`);
  jwks.setCacheControl('max-age=3600');
  await sleep(1_200);
  const m = jwks.requests();
  await sleep(1_500);
  t.equal(jwks.requests(), m, 'max-age=3600: no fetch before the hour is up');
});

t.test('started while the IdP is down: 503 with Retry-After, then served once the keys arrive', async (t) => {
  const jwks = await startJwksServer([ec1.jwk]);
  jwks.setDown(true);
  t.teardown(() => jwks.close());
  const gw = await gateway(t, jwks, 1, '1s');
  const early = await status(gw, await sign(ec1));
  t.equal(early.status, 503);
  t.equal(early.retryAfter, '5');
  jwks.setDown(false);
  let later = 0;
  for (let i = 0; i < 40 && later !== 200; i++) {
    await sleep(250);
    later = (await status(gw, await sign(ec1, { claims: { sub: `later-${i}` } }))).status;
  }
  t.equal(later, 200);
});
