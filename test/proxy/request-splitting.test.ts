// Regression for the security review's first critical finding: uWS hands header values, Host and
// the query to JS decoded as UTF-8, and the upstream client wrote them back with one byte per
// UTF-16 unit, so U+010D U+010A became CR LF and a client could split the gateway's upstream
// request in two (the next client on that keep-alive connection got the smuggled answer).
// Closed as a class: every code point class goes through header values, Host and the query, and
// the upstream must see either exactly the bytes the client sent or nothing at all.
import t from 'tap';
import { oneUpstreamYaml, startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { rawExchange } from '../helpers/recording-upstream.js';
import { headerBytes, startHeadRecorder, type HeadRecorder } from '../helpers/head-recorder.js';
import { quirks } from '../helpers/uws-build.js';

let up: HeadRecorder;
let gw: GatewayProcess;

t.before(async () => {
  up = await startHeadRecorder();
  // One upstream connection: a split request would poison the next client's answer.
  gw = await startGateway(oneUpstreamYaml(up.url, { upstream: 'connections: 1' }));
});
t.teardown(async () => {
  await gw.stop();
  await up.close();
});

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const statusOf = (text: string): string | undefined => /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];

function request(path: string, host: Buffer, extra: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([utf8(`GET ${path} HTTP/1.1\r\nHost: `), host, utf8('\r\n'), extra, utf8('Connection: close\r\n\r\n')]);
}

/** Every line of a head ends with CRLF and holds no other CR or LF; exactly one request line. */
function wellFormed(head: Buffer): boolean {
  const lines = head.toString('latin1').split('\r\n');
  return lines.every((l) => !l.includes('\r') && !l.includes('\n') && !l.includes('\0'))
    && /^[A-Z]+ [^ ]+ HTTP\/1\.1$/.test(lines[0]!) && lines.slice(1).every((l) => !/ HTTP\/1\.1$/.test(l));
}

t.test('CR LF smuggled as U+010D U+010A in a header value does not split the upstream request', async (t) => {
  const before = up.heads().length;
  // Ends in ASCII: this uWS build trims bytes >= 0x80 at either end of a value (README).
  const inject = utf8('a\u010d\u010aGET /internal/admin HTTP/1.1\u010d\u010aHost: x\u010d\u010a\u010d\u010az');
  const a = await rawExchange(gw.port, request('/api/public/a', utf8('x'), Buffer.concat([utf8('X-A: '), inject, utf8('\r\n')])));
  // The next client on the (single) pooled upstream connection gets its own answer.
  const b = await rawExchange(gw.port, request('/api/public/b', utf8('x')));
  t.match(a.text, /^HTTP\/1\.1 200 /);
  t.match(b.text, /GET \/api\/public\/b HTTP\/1\.1$/, 'the next client gets its own answer, not the smuggled one');
  const heads = up.heads().slice(before);
  t.equal(heads.length, 2, 'exactly the two requests reached the upstream');
  const requestLines = heads.map((h) => h.subarray(0, h.indexOf('\r\n')).toString('latin1'));
  t.same(requestLines, ['GET /api/public/a HTTP/1.1', 'GET /api/public/b HTTP/1.1'], 'no request line was smuggled');
  t.same(headerBytes(heads[0]!, 'x-a'), [inject], 'the value went up as the UTF-8 bytes the client sent');
  t.ok(heads.every(wellFormed), 'every head is well-formed');
});

t.test('the query passes through byte for byte, percent-encoded non-ASCII included', async (t) => {
  const before = up.heads().length;
  const q = utf8('a=%C3%A9&b=%C4%8A%C4%8D&c=~!$\'()*+,;=:@/?');
  const { text } = await rawExchange(gw.port, Buffer.concat([utf8('GET /api/q?'), q, utf8(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]));
  t.match(text, /^HTTP\/1\.1 200 /);
  const head = up.heads().slice(before)[0]!;
  t.same(head.subarray(0, head.indexOf('\r\n')), Buffer.concat([utf8('GET /api/q?'), q, utf8(' HTTP/1.1')]));
});

// A request-target is ASCII (RFC 9112 §3.2); strict parsers (Node's llhttp, HAProxy) refuse raw
// non-ASCII in it, so it is refused here too rather than forwarded to an upstream that could not
// read it (found by the request-path fuzzer, test/fuzz/).
t.test('raw non-ASCII in the query or the path: 400, closed, nothing forwarded', async (t) => {
  const before = up.heads().length;
  for (const target of [utf8('/api/q?a=é&b=\u010a\u010d'), utf8('/api/café'), Buffer.from('/api/q?a=\xe9', 'latin1')]) {
    const { text, closed } = await rawExchange(gw.port, Buffer.concat([utf8('GET '), target, utf8(' HTTP/1.1\r\nHost: x\r\n\r\n')]));
    t.match(text, /^HTTP\/1\.1 400 /, target.toString('latin1'));
    t.match(text, /bad-path/);
    t.ok(closed, 'the connection is closed');
  }
  t.equal(up.heads().length, before, 'nothing reached the upstream');
});

t.test('Host cannot carry a second request into X-Forwarded-Host', async (t) => {
  const before = up.heads().length;
  const { text } = await rawExchange(gw.port, request('/api/h', utf8('x\u010d\u010aGET /internal/admin HTTP/1.1')));
  t.match(text, /^HTTP\/1\.1 400 /);
  t.match(text, /application\/problem\+json/);
  t.equal(up.heads().length, before, 'nothing reached the upstream');
});

// --- randomised: every code point class, through each place a client string reaches upstream ---

function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let r = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

type Klass = { name: string; valid: boolean; make: (rnd: () => number) => Buffer };
const between = (rnd: () => number, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
const cp = (lo: number, hi: number) => (rnd: () => number): Buffer => utf8(String.fromCodePoint(between(rnd, lo, hi)));

const CLASSES: Klass[] = [
  { name: 'visible ASCII', valid: true, make: cp(0x21, 0x7e) },
  { name: 'C0 control', valid: false, make: (rnd) => Buffer.from([[0, 1, 8, 10, 11, 13, 27, 31][between(rnd, 0, 7)]!]) },
  { name: 'DEL', valid: false, make: () => Buffer.from([0x7f]) },
  { name: 'C1 control (U+0080-U+009F)', valid: true, make: cp(0x80, 0x9f) },
  { name: 'Latin-1 (U+00A0-U+00FF)', valid: true, make: cp(0xa0, 0xff) },
  { name: 'U+0100-U+07FF (low byte CR/LF/NUL/space)', valid: true, make: (rnd) => (rnd() < 0.5 ? utf8(String.fromCodePoint([0x100, 0x10a, 0x10d, 0x120, 0x20a, 0x30d][between(rnd, 0, 5)]!)) : cp(0x100, 0x7ff)(rnd)) },
  { name: 'BMP (U+0800-U+FFFC)', valid: true, make: (rnd) => { let c; do c = between(rnd, 0x800, 0xfffc); while (c >= 0xd800 && c <= 0xdfff); return utf8(String.fromCodePoint(c)); } },
  { name: 'astral', valid: true, make: cp(0x10000, 0x10ffff) },
  { name: 'U+FFFD', valid: false, make: () => utf8('\ufffd') },
  {
    name: 'invalid UTF-8', valid: false,
    make: (rnd) => Buffer.from([[0x80], [0xbf], [0xc0, 0x8a], [0xc4], [0xe0, 0x80, 0x8a], [0xed, 0xa0, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xff]][between(rnd, 0, 7)]!),
  },
];

type Where = 'header' | 'host' | 'query';

interface Case { i: number; where: Where; klass: Klass; value: Buffer; bytes: Buffer; path: string }

function makeCase(i: number, where: Where, klass: Klass, rnd: () => number): Case {
  const parts: Buffer[] = [utf8('a')];
  const n = between(rnd, 1, 4);
  for (let k = 0; k < n; k++) parts.push(klass.make(rnd), utf8(String.fromCharCode(between(rnd, 0x61, 0x7a))));
  // ASCII letters around the probe: both uWS builds trim bytes >= 0x80 at either end of a value.
  parts.push(utf8('z'));
  let value = Buffer.concat(parts);
  if (where !== 'header') value = Buffer.from(value.toString('latin1').replace(/[ #?]/g, 'q'), 'latin1');
  const path = `/api/fuzz/${i}`;
  const bytes = where === 'header' ? request(path, utf8('x'), Buffer.concat([utf8('X-Probe: '), value, utf8('\r\n')]))
    : where === 'host' ? request(path, value)
    : Buffer.concat([utf8(`GET ${path}?q=`), value, utf8(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]);
  return { i, where, klass, value, path, bytes };
}

t.test('randomised code points in header values, Host and query: exact bytes upstream, or refused', async (t) => {
  const rnd = prng(0x7011);
  const cases: Case[] = [];
  let i = 0;
  for (const where of ['header', 'host', 'query'] as Where[]) {
    for (const klass of CLASSES) for (let k = 0; k < 6; k++) cases.push(makeCase(i++, where, klass, rnd));
  }
  const before = up.heads().length;
  const results: { c: Case; status: string | undefined }[] = [];
  for (let at = 0; at < cases.length; at += 30) {
    const batch = cases.slice(at, at + 30);
    const answers = await Promise.all(batch.map((c) => rawExchange(gw.port, c.bytes, 1_200)));
    answers.forEach((a, k) => results.push({ c: batch[k]!, status: statusOf(a.text) }));
  }
  const heads = up.heads().slice(before);
  const forwarded = results.filter((r) => r.status === '200');
  t.equal(heads.length, forwarded.length, 'one upstream request per request answered from the upstream, no more');
  t.same(heads.filter((h) => !wellFormed(h)).map((h) => h.toString('latin1')), [], 'every head that reached the upstream is well-formed');
  const byPath = new Map<string, Buffer>();
  for (const h of heads) byPath.set(h.subarray(4, h.indexOf(' ', 4)).toString('latin1').split('?')[0]!, h);
  const wrong: string[] = [];
  for (const { c, status } of results) {
    const label = `#${c.i} ${c.where} ${c.klass.name} ${c.value.toString('hex')} -> ${status ?? 'no answer'}`;
    const head = byPath.get(c.path);
    if (status === '200') {
      if (head === undefined) { wrong.push(label + ': answered 200 but not seen upstream'); continue; }
      const sent = c.where === 'header' ? headerBytes(head, 'x-probe')
        : c.where === 'host' ? headerBytes(head, 'x-forwarded-host')
        : [head.subarray(head.indexOf('?q=') + 3, head.indexOf(' HTTP/1.1'))];
      if (sent.length !== 1 || !sent[0]!.equals(c.value)) wrong.push(`${label}: upstream got ${sent.map((b) => b.toString('hex')).join('|')}`);
    } else {
      if (head !== undefined) wrong.push(label + ': refused but reached the upstream');
      // A control character in the query breaks the request line: the current build answers that itself (505).
      const uwsRefusal = c.where === 'query' && quirks.malformedRequestLineStatus !== null && status === String(quirks.malformedRequestLineStatus);
      if (status !== undefined && status !== '400' && !uwsRefusal) wrong.push(label + ': refused with a status other than 400');
      // A value the client sent in valid UTF-8 with no control character must pass in a header.
      if (c.where === 'header' && c.klass.valid) wrong.push(label + ': a valid field value was refused');
    }
    if (!c.klass.valid && status === '200') wrong.push(label + ': bytes that cannot be forwarded unchanged were forwarded');
  }
  t.same(wrong, [], `${results.length} cases: every one forwarded byte for byte or refused`);
  // Header values of every valid class, Host and query of visible ASCII (the rest is refused).
  t.ok(forwarded.length > 40, `a good share was forwarded (${forwarded.length})`);
});
