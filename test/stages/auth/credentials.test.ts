import t from 'tap';
import { readCredentials, removeCredentialHeaders, withoutParam } from '../../../dist/stages/auth/credentials.js';

t.test('bearer tokens: the scheme in any case, one b64token', async (t) => {
  t.match(readCredentials(['authorization', 'Bearer abc.def-_~+/.ghi=='], null, '', null), { bearers: 1, bearer: 'abc.def-_~+/.ghi==' });
  t.match(readCredentials(['authorization', 'bEaReR   tok '], null, '', null), { bearers: 1, bearer: 'tok' });
  t.match(readCredentials(['authorization', 'Bearer two words'], null, '', null), { bearers: 1, bearer: '' }, 'present but malformed');
  t.match(readCredentials(['authorization', 'Bearer'], null, '', null), { bearers: 1, bearer: '' });
  t.match(readCredentials(['authorization', 'Basic YTpi', 'authorization', 'Bearertok'], null, '', null), { bearers: 0 }, 'other schemes');
  t.match(readCredentials(['authorization', 'Bearer a', 'authorization', 'Bearer b'], null, '', null), { bearers: 2 });
});

t.test('API keys from the header and the query parameter, all counted', async (t) => {
  t.match(readCredentials(['x-api-key', 'k1'], 'x-api-key', 'api_key=k2', null), { apiKeys: 1, apiKey: 'k1' }, 'the parameter is read only when configured');
  t.match(readCredentials([], 'x-api-key', 'a=1&api_key=k%2B2&b', 'api_key'), { apiKeys: 1, apiKey: 'k+2' }, 'percent-decoded');
  t.match(readCredentials([], 'x-api-key', 'my_api_key=x&api_keys=y', 'api_key'), { apiKeys: 0 }, 'only that exact name');
  t.match(readCredentials(['x-api-key', 'k1'], 'x-api-key', 'api_key=k2', 'api_key'), { apiKeys: 2 });
  t.match(readCredentials([], null, 'api_key=%E0%A4%A', 'api_key'), { apiKeys: 1, apiKey: '' }, 'a value that does not decode is no key');
});

t.test('removal in place keeps the order of the rest', async (t) => {
  const headers = ['host', 'h', 'x-api-key', 'k', 'authorization', 'Bearer t', 'authorization', 'Basic b', 'accept', '*/*', 'x-api-key', 'k2'];
  removeCredentialHeaders(headers, 'x-api-key', true);
  t.same(headers, ['host', 'h', 'authorization', 'Basic b', 'accept', '*/*']);
  const keep = ['authorization', 'Bearer t'];
  removeCredentialHeaders(keep, null, false);
  t.same(keep, ['authorization', 'Bearer t']);
  t.equal(withoutParam('a=1&api_key=x&b=2&api_key', 'api_key'), 'a=1&b=2');
  t.equal(withoutParam('api_key=x', 'api_key'), '');
  t.equal(withoutParam('api_keyx=1', 'api_key'), 'api_keyx=1');
});
