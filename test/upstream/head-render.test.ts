// The request head the upstream client writes: byte for byte what the line-by-line text says,
// for an ASCII head (written into a Buffer directly) and a UTF-8 one.
import t from 'tap';
import { headEncoding, renderHead } from '../../dist/upstream/h1/connection.js';

const request = (over: Record<string, unknown> = {}) => ({
  method: 'POST', path: '/v1/items?x=1', host: null, body: null, bodyLength: 0, timeout: 1_000,
  headers: ['user-agent', 'curl/8', 'x-forwarded-for', '10.0.0.1, 127.0.0.1', 'accept', '*/*'],
  ...over,
});

t.test('an ASCII head is the request line, host, each header, the framing lines', async (t) => {
  const req = request();
  t.equal(headEncoding(req as never), 'latin1');
  const head = renderHead(req as never, 'api.internal:8080', 'content-length: 0\r\n\r\n', 'latin1');
  t.equal(head.toString('latin1'),
    'POST /v1/items?x=1 HTTP/1.1\r\nhost: api.internal:8080\r\nuser-agent: curl/8\r\nx-forwarded-for: 10.0.0.1, 127.0.0.1\r\naccept: */*\r\ncontent-length: 0\r\n\r\n');
});

t.test('no headers, and an empty value', async (t) => {
  const head = renderHead(request({ method: 'GET', path: '/', headers: ['x-empty', ''] }) as never, 'h', '\r\n', 'latin1');
  t.equal(head.toString('latin1'), 'GET / HTTP/1.1\r\nhost: h\r\nx-empty: \r\n\r\n');
  const bare = renderHead(request({ method: 'GET', path: '/', headers: [] }) as never, 'h', '\r\n', 'latin1');
  t.equal(bare.toString('latin1'), 'GET / HTTP/1.1\r\nhost: h\r\n\r\n');
});

t.test('a non-ASCII value goes out as the UTF-8 bytes uWS decoded', async (t) => {
  const req = request({ headers: ['x-name', 'Zoë Ċ'] });
  t.equal(headEncoding(req as never), 'utf8');
  const head = renderHead(req as never, 'h', '\r\n', 'utf8');
  t.ok(head.includes(Buffer.from('x-name: Zoë Ċ\r\n', 'utf8')));
  t.equal(head.toString('utf8').split('\r\n')[0], 'POST /v1/items?x=1 HTTP/1.1');
});
