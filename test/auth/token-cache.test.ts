import t from 'tap';
import { TokenCache, tokenHash } from '../../dist/auth/token-cache.js';

const id = (consumer: string) => ({ consumer, scopes: new Set<string>() });

t.test('bounded: the oldest entry goes when full', async (t) => {
  const cache = new TokenCache(3);
  for (const n of ['a', 'b', 'c', 'd', 'e']) cache.set(n, id(n), 10_000, 0);
  t.equal(cache.size, 3);
  t.equal(cache.get('a', 0), null);
  t.equal(cache.get('b', 0), null);
  t.equal(cache.get('e', 0)?.consumer, 'e');
  cache.set('e', id('e2'), 10_000, 0);
  t.equal(cache.size, 3, 'replacing an entry evicts nothing');
  t.equal(cache.get('c', 0)?.consumer, 'c');
});

t.test('an entry expires at its exp, and an expired token is never stored', async (t) => {
  const cache = new TokenCache(10);
  cache.set('k', id('x'), 1_000, 0);
  t.equal(cache.get('k', 999)?.consumer, 'x');
  t.equal(cache.get('k', 1_000), null, 'gone at exp');
  t.equal(cache.size, 0, 'and removed');
  cache.set('old', id('y'), 500, 600);
  t.equal(cache.size, 0);
});

t.test('max 0 keeps nothing; keys are hashes, not tokens', async (t) => {
  const cache = new TokenCache(0);
  cache.set('k', id('x'), 1_000, 0);
  t.equal(cache.get('k', 0), null);
  const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.sig';
  t.match(tokenHash(token), /^[A-Za-z0-9+/]{43}=$/);
  t.not(tokenHash(token), tokenHash(token + 'x'));
});
