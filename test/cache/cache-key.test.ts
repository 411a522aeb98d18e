import t from 'tap';
import { keyFits, keyHash, primaryKey, resourceKey, resourcePrefix, sortedQuery, variantKey } from '../../dist/cache/cache-key.js';

t.test('the query is sorted by name, stably', async (t) => {
  t.equal(sortedQuery(''), '');
  t.equal(sortedQuery('a=1'), 'a=1');
  t.equal(sortedQuery('b=2&a=1'), 'a=1&b=2');
  t.equal(sortedQuery('b=2&a=9&a=1&c'), 'a=9&a=1&b=2&c', 'repeated names keep their order');
  t.equal(sortedQuery('&b=1&&a=2&'), 'a=2&b=1', 'empty parameters dropped');
});

t.test('keys start with the path, so a prefix of the path is a range of keys', async (t) => {
  const users = primaryKey(resourceKey('/api/users/1', 'z=1&y=2'), 'api.example.com');
  t.equal(users, '/api/users/1?y=2&z=1\u0000api.example.com\u0000GET');
  t.ok(users.startsWith(resourcePrefix(resourceKey('/api/users/1', 'y=2&z=1'), null)));
  t.ok(users.startsWith(resourcePrefix(resourceKey('/api/users/1', 'y=2&z=1'), 'api.example.com')));
  t.notOk(users.startsWith(resourcePrefix(resourceKey('/api/users/1', 'y=2&z=1'), 'other.example')));
  t.notOk(primaryKey('/api/users/10', '', ).startsWith(resourcePrefix('/api/users/1', null)), 'a key is not a prefix of a longer path');
});

t.test('a variant key holds the values of the Vary headers, in the order of the marker', async (t) => {
  const p = primaryKey('/a', 'h');
  const headers = ['accept', 'text/html', 'accept-language', 'en', 'accept', 'application/json'];
  t.equal(variantKey(p, 'accept,accept-language', headers), p + '\u0000text/html, application/json\u0000en');
  t.equal(variantKey(p, 'accept-language,x-missing', headers), p + '\u0000en\u0000');
  t.not(variantKey(p, 'accept-language', headers), variantKey(p, 'accept-language', ['accept-language', 'fr']));
});

t.test('long keys do not fit; hashes spread', async (t) => {
  t.ok(keyFits('/x'.repeat(300)));
  t.notOk(keyFits('/x'.repeat(1000)));
  t.ok(keyFits('/' + 'x'.repeat(1000)));
  t.notOk(keyFits('/' + 'é'.repeat(1000)), 'bytes are counted, not characters');
  t.equal(keyHash('abc'), keyHash('abc'));
  t.not(keyHash('/api/users/1'), keyHash('/api/users/2'));
  t.ok(keyHash('x') >= 0 && keyHash('x') <= 0xffffffff);
});
