// The upstream client's last line of defence against request splitting: whatever its caller
// passes, it never writes a head with CR, LF or NUL in the target, a header name or value, the
// method or the Host, and it writes non-ASCII as UTF-8 (never one byte per UTF-16 unit).
import t from 'tap';
import { H1Pool } from '../../dist/upstream/h1/pool.js';
import type { UpstreamRequest } from '../../dist/upstream/h1/types.js';
import { headerBytes, startHeadRecorder, type HeadRecorder } from '../helpers/head-recorder.js';

let up: HeadRecorder;
let pool: H1Pool;

t.before(async () => {
  up = await startHeadRecorder();
  pool = new H1Pool(up.url, { connections: 1, connectTimeout: 1_000, keepAliveTimeout: 4_000 });
});
t.teardown(async () => {
  await pool.close();
  await up.close();
});

type Outcome = { ok: true; status: number } | { ok: false; code: string | undefined };

function send(over: Partial<UpstreamRequest>): Promise<Outcome> {
  return new Promise((resolve) => {
    pool.dispatch({ method: 'GET', path: '/ok', headers: ['x-a', 'b'], host: null, body: null, bodyLength: 0, timeout: 2_000, ...over }, {
      onStart() {},
      onHead(status) { resolve({ ok: true, status }); },
      onData() { return true; },
      onComplete() {},
      onError(err) { resolve({ ok: false, code: err.code }); },
    });
  });
}

const BAD: [string, Partial<UpstreamRequest>][] = [
  ['CR LF in a header value', { headers: ['x-a', 'b\r\nGET /admin HTTP/1.1'] }],
  ['a bare LF in a header value', { headers: ['x-a', 'b\nx: y'] }],
  ['a bare CR in a header value', { headers: ['x-a', 'b\rx'] }],
  ['NUL in a header value', { headers: ['x-a', 'b\0c'] }],
  ['CR LF in a header name', { headers: ['x-a\r\nx-b', 'c'] }],
  ['a colon in a header name', { headers: ['x-a: y\r\nz', 'c'] }],
  ['an empty header name', { headers: ['', 'c'] }],
  ['a space in the target', { path: '/a HTTP/1.1\r\nGET /admin' }],
  ['LF in the target', { path: '/a\nb' }],
  ['NUL in the target', { path: '/a\0b' }],
  ['non-ASCII control in the target', { path: '/a\u0085\nb' }],
  ['CR LF in the Host', { host: 'x\r\nGET /admin HTTP/1.1' }],
  ['CR LF in the method', { method: 'GET /admin HTTP/1.1\r\nX' }],
];

for (const [label, over] of BAD) {
  t.test(`${label}: refused, nothing written`, async (t) => {
    const before = up.heads().length;
    const outcome = await send(over);
    t.same(outcome, { ok: false, code: 'TG_UP_BAD_REQUEST' });
    const ok = await send({});
    t.same(ok, { ok: true, status: 200 }, 'the pool still serves the next request');
    const heads = up.heads().slice(before);
    t.equal(heads.length, 1, 'only the good request reached the upstream');
    t.match(heads[0]!.toString('latin1'), /^GET \/ok HTTP\/1\.1\r\n/);
  });
}

t.test('non-ASCII goes up as UTF-8: U+010D U+010A stay two-byte sequences, never CR LF', async (t) => {
  const before = up.heads().length;
  const value = 'a\u010d\u010ab \u00e9 \u{1f600} z';
  t.same(await send({ headers: ['x-a', value], host: 'h\u00e9.example', path: '/q?x=\u00e9' }), { ok: true, status: 200 });
  const head = up.heads().slice(before)[0]!;
  t.same(headerBytes(head, 'x-a'), [Buffer.from(value, 'utf8')]);
  t.same(headerBytes(head, 'host'), [Buffer.from('h\u00e9.example', 'utf8')]);
  t.ok(head.subarray(0, head.indexOf('\r\n')).equals(Buffer.from('GET /q?x=\u00e9 HTTP/1.1', 'utf8')));
});
