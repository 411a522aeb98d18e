// The pool runs the task file from dist/ (as the gateway does) and is bounded.
import t from 'tap';
import { SignJWT } from 'jose';
import { POOL_FULL, VerifyPool } from '../../dist/auth/verify-pool.js';

const secret = new TextEncoder().encode('pool-test-secret-0123456789abcdef');
const jwk = { kty: 'oct', k: Buffer.from(secret).toString('base64url') };
const checks = { algorithms: ['HS256' as const], issuer: null, audience: null, clockTolerance: 0 };

t.test('verifies in a pool thread; refuses at once when maxQueue checks wait', async (t) => {
  const pool = new VerifyPool(1, 1);
  t.teardown(() => pool.close());
  const good = await new SignJWT({ sub: 'p' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(secret);
  t.match(await pool.run({ token: good, keyId: 'k', jwk, alg: 'HS256', checks }), { ok: true, payload: { sub: 'p' } });
  t.same(await pool.run({ token: good + 'x', keyId: 'k', jwk, alg: 'HS256', checks }), { ok: false, refusal: 'signature' });
  const burst = await Promise.all(Array.from({ length: 100 }, () => pool.run({ token: good, keyId: 'k', jwk, alg: 'HS256', checks })));
  const full = burst.filter((r) => r === POOL_FULL).length;
  t.ok(full > 0 && full < 100, `${full} of 100 refused for a full queue, the rest checked`);
});
