import http from 'node:http';
import t, { type Test } from 'tap';
import { fetchJwks } from '../../dist/auth/jwks-fetch.js';
import { listenOnLoopback } from '../helpers/listen.js';

async function serve(t: Test, status: number, body: string, headers: Record<string, string> = {}): Promise<string> {
  const server = http.createServer((_req, res) => res.writeHead(status, headers).end(body));
  const port = await listenOnLoopback(server);
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${port}/jwks`;
}

t.test('keeps public signature keys only; reads max-age', async (t) => {
  const keys = [
    { kty: 'RSA', n: 'n', e: 'AQAB', kid: 'sig' },
    { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'ec', use: 'sig' },
    { kty: 'RSA', n: 'n', e: 'AQAB', kid: 'enc', use: 'enc' },
    { kty: 'oct', k: 'c2VjcmV0', kid: 'secret' },
    { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'private', kid: 'private' },
    'junk',
  ];
  const result = await fetchJwks(await serve(t, 200, JSON.stringify({ keys }), { 'cache-control': 'public, max-age=300' }));
  t.match(result, { ok: true, maxAgeMs: 300_000, skipped: 4 });
  t.same(result.ok ? result.keys.map((k) => k.kid) : null, ['sig', 'ec']);
  const noStore = await fetchJwks(await serve(t, 200, '{"keys":[]}', { 'cache-control': 'no-store' }));
  t.match(noStore, { ok: true, maxAgeMs: 0 });
  t.match(await fetchJwks(await serve(t, 200, '{"keys":[]}')), { ok: true, maxAgeMs: null });
});

t.test('failures are reported, never thrown', async (t) => {
  t.same(await fetchJwks(await serve(t, 500, 'oops')), { ok: false, error: 'HTTP 500' });
  t.same(await fetchJwks(await serve(t, 200, '<html>')), { ok: false, error: 'the answer is not JSON' });
  t.same(await fetchJwks(await serve(t, 200, '{"k":[]}')), { ok: false, error: 'the answer has no "keys" list' });
  t.same(await fetchJwks(await serve(t, 200, 'x'.repeat(1024 * 1024 + 1))), { ok: false, error: 'the key set is larger than 1048576 bytes' });
  const refused = await fetchJwks('http://127.0.0.1:1/jwks');
  t.equal(refused.ok, false);
});
