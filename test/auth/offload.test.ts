// The verification pool's bound: when maxQueue checks already wait, a request gets 503 with
// Retry-After at once (counted), and tokens in the cache are served without the pool.
import t from 'tap';
import { Agent, request } from 'undici';
import { startProxyFixture } from '../proxy/fixture.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign, signingKey } from './fixtures/tokens.js';

t.test('a flood of uncached tokens fills the pool queue: 503 + Retry-After, counted; cached tokens still pass', async (t) => {
  const rsa = await signingKey('RS256', 'k');
  const pem = join(mkdtempSync(join(tmpdir(), 'tollgate-offload-')), 'rsa.pem');
  writeFileSync(pem, rsa.spki);
  const fx = await startProxyFixture(() => '  - { id: rsa, match: { path: /rsa/* }, upstream: users, rewrite: /echo/*, auth: [jwt:rsa] }\n', `
auth:
  offload: always
  pool: { threads: 1, maxQueue: 2 }
  jwt:
    rsa: { publicKeyFile: ${pem} }
`);
  t.teardown(() => fx.close());
  const agent = new Agent({ connections: 64 });
  t.teardown(() => agent.close());
  const call = async (token: string) => {
    const res = await request(fx.gw.url + '/rsa/a', { headers: { authorization: `Bearer ${token}` }, dispatcher: agent });
    const text = await res.body.text();
    return { status: res.statusCode, retryAfter: res.headers['retry-after'], text };
  };
  const known = await sign(rsa, { claims: { sub: 'regular' } });
  t.equal((await call(known)).status, 200, 'a token checked once (now cached)');

  // Invalid tokens (another key's), all distinct: each needs a signature check.
  const other = await signingKey('RS256', 'k');
  const flood = await Promise.all(Array.from({ length: 300 }, (_, i) => sign(other, { claims: { n: i } })));
  const results = await Promise.all([...flood.map(call), ...Array.from({ length: 20 }, () => call(known))]);
  const full = results.filter((r) => r.status === 503);
  const refused = results.filter((r) => r.status === 401);
  t.ok(full.length > 0, `${full.length} of 300 answered 503 while the queue was full`);
  t.ok(refused.length > 0, `${refused.length} checked and refused`);
  t.equal(full.length + refused.length + 20, results.length, 'nothing else');
  t.ok(full.every((r) => r.retryAfter === '1' && JSON.parse(r.text).type === 'https://tollgate.dev/problems/auth-overloaded'), '503 problem with Retry-After');
  t.ok(results.slice(300).every((r) => r.status === 200), 'the cached token passed every time, the pool full or not');

  fx.gw.child.kill('SIGUSR2');
  const stats = await fx.gw.waitForLog((l) => l.msg === 'stats');
  const auth = stats.auth as Record<string, number>;
  t.equal(auth.poolFull, full.length, 'every 503 counted in the SIGUSR2 snapshot');
  t.equal(auth.jwtCached, 20);
  t.equal(auth.jwtOffloaded, refused.length + 1, 'only checks that ran went to the pool');
});
