// The upstream response parser on its own: every message fed whole, split at every byte and one
// byte at a time must give the same events; every malformed message must be refused.
import t from 'tap';
import { ResponseParser, MAX_HEAD_BYTES } from '../../dist/upstream/h1/response-parser.js';

interface Seen {
  heads: { status: number; headers: (string | Buffer)[]; contentLength: number }[];
  body: Buffer;
  ends: boolean[];
  keepAlive: boolean;
}

function feed(pieces: Buffer[], method = 'GET', closeAtEnd = false): Seen {
  const seen: Seen = { heads: [], body: Buffer.alloc(0), ends: [], keepAlive: true };
  const chunks: Buffer[] = [];
  const parser = new ResponseParser({
    onResponseHead: (status, headers, contentLength) => seen.heads.push({ status, headers, contentLength }),
    onResponseBody: (chunk) => {
      chunks.push(Buffer.from(chunk));
      return true;
    },
    onResponseEnd: (trailing) => seen.ends.push(trailing),
  });
  parser.expect(method);
  for (const p of pieces) parser.execute(p);
  if (closeAtEnd && !parser.eof()) throw new Error('cut short');
  seen.body = Buffer.concat(chunks);
  seen.keepAlive = parser.keepAlive;
  return seen;
}

/** Whole, split in two at every position, and byte by byte. */
function splits(msg: Buffer): Buffer[][] {
  const out: Buffer[][] = [[msg]];
  for (let i = 1; i < msg.length; i++) out.push([msg.subarray(0, i), msg.subarray(i)]);
  out.push([...msg].map((b) => Buffer.from([b])));
  return out;
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

const valid: { name: string; msg: string; method?: string; close?: boolean; status: number; body: string; keepAlive: boolean; contentLength?: number; headers?: string[] }[] = [
  { name: 'Content-Length body', msg: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello', status: 200, body: 'hello', keepAlive: true, contentLength: 5, headers: ['content-length', '5', 'x-a', '1'] },
  { name: 'empty reason, no SP', msg: 'HTTP/1.1 200\r\ncontent-length: 2\r\n\r\nok', status: 200, body: 'ok', keepAlive: true },
  { name: 'header value trimmed of OWS', msg: 'HTTP/1.1 200 OK\r\nX-A: \t spaced \t\r\nContent-Length: 0\r\n\r\n', status: 200, body: '', keepAlive: true, headers: ['x-a', 'spaced', 'content-length', '0'] },
  { name: 'upper-case names lowered', msg: 'HTTP/1.1 201 Created\r\nCONTENT-LENGTH: 3\r\nX-Thing: V\r\n\r\nabc', status: 201, body: 'abc', keepAlive: true, headers: ['content-length', '3', 'x-thing', 'V'] },
  { name: 'chunked with extensions and trailers', msg: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;foo=bar\r\nhello\r\n1 ; x\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n', status: 200, body: 'hello 0123456789', keepAlive: true, contentLength: -1 },
  { name: 'chunked, upper-case hex', msg: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1F\r\n' + 'x'.repeat(31) + '\r\n0\r\n\r\n', status: 200, body: 'x'.repeat(31), keepAlive: true },
  { name: 'the chunked coding named in capitals', msg: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: CHUNKED\r\n\r\n2\r\nok\r\n0\r\n\r\n', status: 200, body: 'ok', keepAlive: true },
  { name: 'close-delimited', msg: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end', close: true, status: 200, body: 'until the end', keepAlive: false },
  { name: 'HEAD ignores Content-Length', msg: 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n', method: 'HEAD', status: 200, body: '', keepAlive: true, contentLength: 1234 },
  { name: '204 has no body', msg: 'HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n', status: 204, body: '', keepAlive: true },
  { name: '304 with a Content-Length has no body', msg: 'HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n', status: 304, body: '', keepAlive: true, contentLength: 10 },
  { name: '1xx answers skipped', msg: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi', status: 200, body: 'hi', keepAlive: true },
  { name: 'Connection: close', msg: 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi', status: 200, body: 'hi', keepAlive: false },
  { name: 'HTTP/1.0 closes by default', msg: 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi', status: 200, body: 'hi', keepAlive: false },
  { name: 'HTTP/1.0 with keep-alive', msg: 'HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nhi', status: 200, body: 'hi', keepAlive: true },
  { name: 'repeated equal Content-Length', msg: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nhi', status: 200, body: 'hi', keepAlive: true, contentLength: 2 },
  { name: 'Content-Length 0', msg: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', status: 200, body: '', keepAlive: true, contentLength: 0 },
];

for (const v of valid) {
  t.test(`valid: ${v.name}`, async (t) => {
    let failures = 0;
    for (const pieces of splits(b(v.msg))) {
      const s = feed(pieces, v.method, v.close === true);
      const ok = s.heads.length === 1 && s.heads[0]!.status === v.status && s.body.toString('latin1') === v.body
        && s.ends.length === 1 && s.ends[0] === false && s.keepAlive === v.keepAlive
        && (v.contentLength === undefined || s.heads[0]!.contentLength === v.contentLength)
        && (v.headers === undefined || JSON.stringify(s.heads[0]!.headers) === JSON.stringify(v.headers));
      if (!ok && failures++ === 0) t.fail(`split ${pieces.map((p) => p.length).join('+')}: ${JSON.stringify(s)}`);
    }
    t.equal(failures, 0, `every split of ${v.msg.length} bytes gives the same events`);
  });
}

t.test('a cut message is not complete at EOF', async (t) => {
  t.throws(() => feed([b('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc')], 'GET', true), /cut short/);
  t.throws(() => feed([b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab')], 'GET', true), /cut short/);
  t.throws(() => feed([b('HTTP/1.1 200 OK\r\nContent-')], 'GET', true), /cut short/);
});

t.test('body chunks handed on stay intact after later input (no buffer is reused under them)', async (t) => {
  const msg = b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n3\r\n!!!\r\n0\r\n\r\n');
  let bad = 0;
  // Every split into three pieces: a line split across reads, then body bytes and the start of
  // the next line in one read, then more input appended where the pending bytes are kept.
  const threeWay: Buffer[][] = [];
  for (let i = 1; i < msg.length; i++) {
    for (let j = i + 1; j < msg.length; j++) threeWay.push([msg.subarray(0, i), msg.subarray(i, j), msg.subarray(j)]);
  }
  for (const pieces of [...splits(msg), ...threeWay]) {
    const views: Buffer[] = [];
    const parser = new ResponseParser({ onResponseHead() {}, onResponseBody: (c) => views.push(c) > 0, onResponseEnd() {} });
    parser.expect('GET');
    for (const p of pieces) parser.execute(p);
    if (Buffer.concat(views).toString() !== 'hello world!!!') bad++;
  }
  t.equal(bad, 0, 'the views kept from every split still read "hello world!!!"');
});

t.test('a pause holds the rest of the input until resume, in order', async (t) => {
  const msg = b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n3\r\n!!!\r\n0\r\n\r\n');
  const cl = b('HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\nhello world!!!');
  let bad = 0;
  for (const m of [msg, cl]) {
    for (const pieces of splits(m)) {
      const got: string[] = [];
      let ended = 0;
      // Pauses after every body chunk; resumes only after all input was fed (more input arrives
      // while paused, as a socket read already under way would deliver it).
      const parser = new ResponseParser({
        onResponseHead() {},
        onResponseBody: (c) => got.push(c.toString()) < 0,
        onResponseEnd: () => { ended++; },
      });
      parser.expect('GET');
      for (const p of pieces) parser.execute(p);
      for (let i = 0; i < 50 && ended === 0; i++) parser.resume();
      if (got.join('') !== 'hello world!!!' || ended !== 1) bad++;
    }
  }
  t.equal(bad, 0, 'every split, paused after each chunk, still gives the whole body once');
});

t.test('a head just under the limit, one byte at a time', async (t) => {
  const head = 'HTTP/1.1 200 OK\r\nX-Big: ' + 'v'.repeat(MAX_HEAD_BYTES - 100) + '\r\nContent-Length: 2\r\n\r\nok';
  const s = feed([...b(head)].map((c) => Buffer.from([c])));
  t.equal(s.heads.length, 1);
  t.equal((s.heads[0]!.headers[1] as string).length, MAX_HEAD_BYTES - 100);
  t.equal(s.body.toString(), 'ok');
});

t.test('bytes after a complete message are reported', async (t) => {
  const s = feed([b('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 200 OK\r\n')]);
  t.same(s.ends, [true], 'trailing = true');
  t.equal(s.body.toString(), 'hi', 'the extra bytes are not body');
  const n = feed([b('HTTP/1.1 204 No Content\r\n\r\nX')]);
  t.same(n.ends, [true], 'also after a bodiless answer');
});

t.test('obs-text values come as Buffers of the exact bytes', async (t) => {
  const s = feed([Buffer.concat([b('HTTP/1.1 200 OK\r\nX-L: caf'), Buffer.from([0xe9]), b(' au lait\r\nX-A: plain\r\nContent-Length: 0\r\n\r\n')])]);
  const h = s.heads[0]!.headers;
  t.ok(Buffer.isBuffer(h[1]), 'the non-ASCII value is a Buffer');
  t.same([...(h[1] as Buffer)].slice(0, 4), [0x63, 0x61, 0x66, 0xe9]);
  t.equal(h[3], 'plain', 'ASCII values stay strings');
});

t.test('the upstream Keep-Alive timeout hint is read', async (t) => {
  const parser = new ResponseParser({ onResponseHead() {}, onResponseBody: () => true, onResponseEnd() {} });
  parser.expect('GET');
  parser.execute(b('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n'));
  t.equal(parser.keepAliveTimeout, 5);
  t.ok(parser.complete);
});

const PROTOCOL = { name: 'H1ParseError', code: 'TG_UP_PROTOCOL' };

const invalid: [string, string][] = [
  ['garbage status line', 'THIS IS NOT HTTP\r\n\r\n'],
  ['HTTP/2 status line', 'HTTP/2 200 OK\r\n\r\n'],
  ['status 99', 'HTTP/1.1 99 X\r\nContent-Length: 0\r\n\r\n'],
  ['status 600', 'HTTP/1.1 600 X\r\nContent-Length: 0\r\n\r\n'],
  ['status 2000', 'HTTP/1.1 2000 X\r\nContent-Length: 0\r\n\r\n'],
  ['status with letters', 'HTTP/1.1 2x0 X\r\n\r\n'],
  ['101 without an upgrade request', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n'],
  ['header without colon', 'HTTP/1.1 200 OK\r\nNoColonHere\r\nContent-Length: 0\r\n\r\n'],
  ['space before colon', 'HTTP/1.1 200 OK\r\nX-A : 1\r\nContent-Length: 0\r\n\r\n'],
  ['empty header name', 'HTTP/1.1 200 OK\r\n: v\r\nContent-Length: 0\r\n\r\n'],
  ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\nContent-Length: 0\r\n\r\n'],
  ['NUL in a value', 'HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 0\r\n\r\n'],
  ['bare CR in a value', 'HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n'],
  ['bare LF line ending', 'HTTP/1.1 200 OK\nX-A: 1\r\nContent-Length: 0\r\n\r\n'],
  ['DEL in a value', 'HTTP/1.1 200 OK\r\nX-A: a\x7fb\r\nContent-Length: 0\r\n\r\n'],
  ['non-numeric Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n'],
  ['negative Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'],
  ['two different Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi'],
  ['a Content-Length list that differs', 'HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nhi'],
  ['Content-Length beside Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ['chunked not last', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n'],
  // A transfer coding is hop-by-hop: relayed decoded of chunked alone, the client would get gzip bytes it was never told of.
  ['a coding before chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'],
  ['a coding before chunked, in two fields', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'],
  ['a coding other than chunked: not delimited by close either', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzzz'],
  ['identity (removed from HTTP/1.1)', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\nzzz'],
  ['an empty Transfer-Encoding', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\nzzz'],
  ['chunked twice', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n'],
  ['Transfer-Encoding in HTTP/1.0', 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ['invalid chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
  ['empty chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n'],
  ['chunk size overflow', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n'],
  ['chunk without CRLF after its data', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhiXX0\r\n\r\n'],
];

for (const [name, msg] of invalid) {
  t.test(`invalid: ${name}`, async (t) => {
    t.throws(() => feed([b(msg)]), PROTOCOL, 'whole');
    t.throws(() => feed([...b(msg)].map((c) => Buffer.from([c]))), PROTOCOL, 'byte by byte');
  });
}

t.test('limits', async (t) => {
  const big = 'HTTP/1.1 200 OK\r\nX-Big: ' + 'v'.repeat(MAX_HEAD_BYTES) + '\r\nContent-Length: 0\r\n\r\n';
  t.throws(() => feed([b(big)]), /head too large/, 'a head over the limit in one piece');
  const pieces = [...b(big)].reduce<Buffer[]>((acc, _c, i, all) => (i % 1000 === 0 ? [...acc, Buffer.from(all.slice(i, i + 1000))] : acc), []);
  t.throws(() => feed(pieces), /head too large/, 'and arriving in pieces');
  const many = 'HTTP/1.1 200 OK\r\n' + Array.from({ length: 201 }, (_, i) => `X-${i}: v\r\n`).join('') + '\r\n';
  t.throws(() => feed([b(many)]), /too many response headers/);
  const trailers = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n' + 'X-T: ' + 'v'.repeat(20_000) + '\r\n\r\n';
  t.throws(() => feed([b(trailers)]), /trailers too large/);
});
