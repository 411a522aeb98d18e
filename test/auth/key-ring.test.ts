import t from 'tap';
import { KeyEntry, selectFromSet, StaticKeyRing } from '../../dist/auth/key-ring.js';

const rsa = (kid?: string, extra: Record<string, string> = {}) => new KeyEntry({ kty: 'RSA', n: 'AQAB' + (kid ?? ''), e: 'AQAB', ...(kid ? { kid } : {}), ...extra });
const ec = (kid: string, crv = 'P-256') => new KeyEntry({ kty: 'EC', crv, x: 'x' + kid, y: 'y', kid });

t.test('a JWKS: the kid picks the key, which must fit the algorithm', async (t) => {
  const keys = [rsa('r1'), ec('e1'), ec('e384', 'P-384'), rsa('enc', { use: 'enc' })];
  t.equal(selectFromSet(keys, 'r1', 'RS256'), keys[0]);
  t.equal(selectFromSet(keys, 'r1', 'PS256'), keys[0], 'an RSA key verifies PS* too');
  t.equal(selectFromSet(keys, 'e1', 'ES256'), keys[1]);
  t.equal(selectFromSet(keys, 'e1', 'RS256'), 'mismatch', 'an EC key named by an RS256 token');
  t.equal(selectFromSet(keys, 'e384', 'ES256'), 'mismatch', 'a P-384 key for ES256');
  t.equal(selectFromSet(keys, 'enc', 'RS256'), 'mismatch', 'an encryption key never verifies');
  t.equal(selectFromSet(keys, 'nope', 'RS256'), 'unknown');
  t.equal(selectFromSet(keys, undefined, 'ES384'), keys[2], 'no kid: the one key that fits');
  t.equal(selectFromSet([rsa('a'), rsa('b')], undefined, 'RS256'), 'ambiguous', 'no kid and several fit');
  t.equal(selectFromSet([new KeyEntry({ kty: 'RSA', n: 'x', e: 'AQAB', kid: 'k', alg: 'RS512' })], 'k', 'RS256'), 'mismatch', 'a key stating another alg');
});

t.test('a static key ignores the kid but not the key type', async (t) => {
  const ring = new StaticKeyRing({ kty: 'oct', k: 'c2VjcmV0' });
  t.type(ring.select('whatever', 'HS256'), KeyEntry);
  t.equal(ring.select(undefined, 'RS256'), 'mismatch');
  t.equal(ring.loaded, true);
});
