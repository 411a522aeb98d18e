// Regressions for the security review's framing findings: uWS's chunked parser reads chunk
// extensions as hex digits and takes `xchunked`, `identity, chunked`, `chunked, gzip` or two
// `chunked` lines as chunked, so a front proxy and the gateway could disagree on where a request
// ends. Every such request is refused, its connection closed, and a request hidden behind it
// never reaches the upstream. Also: Host must be one valid host[:port].
import t from 'tap';
import { oneUpstreamYaml, startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { rawExchange, startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream.js';
import { quirks, uwsBuild } from '../helpers/uws-build.js';

let up: RecordingUpstream;
let gw: GatewayProcess;
let lenient: GatewayProcess;

const config = (extra: string): string => oneUpstreamYaml(up.url, { extra });

t.before(async () => {
  up = await startRecordingUpstream();
  gw = await startGateway(config(''));
  lenient = await startGateway(config('limits: { chunkedRequests: true }'));
});
t.teardown(async () => {
  await gw.stop();
  await lenient.stop();
  await up.close();
});

const SMUGGLED = 'GET /api/smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
const CHUNKED_BODY = '5\r\nhello\r\n0\r\n\r\n';
const answers = (text: string): string[] => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]!).filter((s) => s !== '100');
// What uWS itself answers to framing it refuses (src/http/uws-builds.ts): current 400, legacy nothing.
const UWS_REFUSAL = quirks.refusedFramingStatus === null ? 'none' : String(quirks.refusedFramingStatus);

const TE_CASES: [string, string, string][] = [
  // [label, Transfer-Encoding header lines, expected status]
  ['xchunked', 'Transfer-Encoding: xchunked\r\n', '501'],
  ['chunkedx', 'Transfer-Encoding: chunkedx\r\n', '501'],
  ['identity, chunked', 'Transfer-Encoding: identity, chunked\r\n', '501'],
  ['gzip, chunked', 'Transfer-Encoding: gzip, chunked\r\n', '501'],
  ['gzip', 'Transfer-Encoding: gzip\r\n', '501'],
  ['chunked, gzip (chunked not last)', 'Transfer-Encoding: chunked, gzip\r\n', '400'],
  ['chunked, chunked', 'Transfer-Encoding: chunked, chunked\r\n', '400'],
  ['two chunked lines', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n', '400'],
  ['Chunked (not the exact form)', 'Transfer-Encoding: Chunked\r\n', '400'],
  ['chunked with a parameter', 'Transfer-Encoding: chunked;q=1\r\n', '400'],
  ['a list with an empty element', 'Transfer-Encoding: ,chunked\r\n', '400'],
  // uWS itself refuses this one without calling the gateway: its own 400 (current) or no answer (legacy).
  ['Content-Length beside chunked', 'Content-Length: 15\r\nTransfer-Encoding: chunked\r\n', 'uws'],
];

for (const [label, lines, expected] of TE_CASES) {
  for (const target of [0, 1]) {
    const which = target === 0 ? 'default' : 'chunkedRequests: true';
    const status = expected === 'uws' ? UWS_REFUSAL : expected;
    t.test(`Transfer-Encoding ${label} (${which}): ${status}, closed, nothing forwarded`, async (t) => {
      const port = (target === 0 ? gw : lenient).port;
      const before = up.received().length;
      const head = `POST /api/x HTTP/1.1\r\nHost: x\r\n${lines}\r\n`;
      const alone = await rawExchange(port, head + CHUNKED_BODY, 2_000);
      t.same(answers(alone.text), status === 'none' ? [] : [status], 'one answer with the expected status');
      if (expected !== 'uws') t.match(alone.text, /application\/problem\+json/);
      t.ok(alone.closed, 'the connection is closed after it');
      const tailed = await rawExchange(port, head + CHUNKED_BODY + SMUGGLED, 2_000);
      t.ok(tailed.closed, 'with a request behind it: the connection is closed');
      t.ok(answers(tailed.text).every((s) => s === status), `no other answer (${answers(tailed.text).join(',') || 'none'})`);
      t.equal(up.received().slice(before), '', 'nothing at all reached the upstream');
    });
  }
}

t.test('a chunked body is refused with 411 unless limits.chunkedRequests', async (t) => {
  const before = up.received().length;
  const head = 'POST /api/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
  const alone = await rawExchange(gw.port, head + CHUNKED_BODY, 2_000);
  t.same(answers(alone.text), ['411']);
  t.ok(alone.closed);
  const tailed = await rawExchange(gw.port, head + CHUNKED_BODY + SMUGGLED, 2_000);
  t.ok(tailed.closed);
  t.notMatch(tailed.text, /HTTP\/1\.1 2/);
  t.equal(up.received().slice(before), '', 'nothing reached the upstream');
});

t.test('with limits.chunkedRequests, exactly "chunked" is forwarded', async (t) => {
  const before = up.received().length;
  const { text } = await rawExchange(lenient.port, 'POST /api/c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' + CHUNKED_BODY, 2_000);
  t.same(answers(text), ['200']);
  t.match(up.received().slice(before), /^POST \/api\/c HTTP\/1\.1\r\n[^]*\r\n\r\n5\r\nhello\r\n0\r\n\r\n$/);
});

t.test('two different Content-Length values: 400, closed, the request behind it never routed', async (t) => {
  const before = up.received().length;
  const smuggle = 'POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: ' + (5 + SMUGGLED.length) + '\r\n\r\nhello' + SMUGGLED;
  const { text, closed } = await rawExchange(gw.port, smuggle, 2_000);
  t.ok(closed, 'closed');
  t.ok(answers(text).every((s) => s === '400'), `only a 400, if anything (${answers(text).join(',') || 'none'})`);
  const alone = await rawExchange(gw.port, 'POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello', 2_000);
  t.same(answers(alone.text), ['400']);
  t.ok(alone.closed);
  t.equal(up.received().slice(before), '', 'nothing reached the upstream');
});

const HOST_CASES: [string, string][] = [
  ['two Host headers', 'Host: www.example.com\r\nHost: internal.example.com\r\n'],
  ['a Host with a space, a slash and userinfo', 'Host: a b/c@d\r\n'],
  ['a Host with a path', 'Host: example.com/admin\r\n'],
  ['a Host with two ports', 'Host: example.com:80:81\r\n'],
  ['a Host with a bad bracket', 'Host: [::1\r\n'],
  ['a Host with non-ASCII', 'Host: ex\u00c3\u00a4mple.com\r\n'],
];

for (const [label, lines] of HOST_CASES) {
  t.test(`${label}: 400 and nothing forwarded`, async (t) => {
    const before = up.received().length;
    const { text, closed } = await rawExchange(gw.port, Buffer.from(`GET /api/h HTTP/1.1\r\n${lines}\r\n`, 'latin1'), 2_000);
    t.same(answers(text), ['400']);
    // The current build refuses two Host lines itself (quirk duplicateHostStatus); the gateway the rest.
    if (label === 'two Host headers' && quirks.duplicateHostStatus !== null) t.match(text, /^HTTP\/1\.1 400 Bad Request\r\nConnection: close\r\n\r\n<h1>/);
    else t.match(text, /"type":"https:\/\/tollgate\.dev\/problems\/bad-host"/);
    t.ok(closed);
    t.equal(up.received().slice(before), '', 'nothing reached the upstream');
  });
}

t.test(`no Host header: uWS closes the connection, ${UWS_REFUSAL === 'none' ? 'without an answer' : `with its own ${UWS_REFUSAL}`} (${uwsBuild.name} build), nothing forwarded`, async (t) => {
  const before = up.received().length;
  const { text, closed } = await rawExchange(gw.port, 'GET /api/h HTTP/1.1\r\nX-A: b\r\n\r\n', 2_000);
  t.same(answers(text), UWS_REFUSAL === 'none' ? [] : [UWS_REFUSAL]);
  t.notMatch(text, /x-request-id/, 'the gateway never saw it');
  t.ok(closed);
  t.equal(up.received().slice(before), '', 'nothing reached the upstream');
});

t.test('valid Host forms are accepted', async (t) => {
  for (const host of ['example.com', 'example.com:8080', '127.0.0.1:1', '[::1]:8080', '[2001:db8::1]', 'xn--mnchen-3ya.de', 'a-b_c~d.example']) {
    const { text } = await rawExchange(gw.port, `GET /api/h HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, 2_000);
    t.same(answers(text), ['200'], host);
  }
});
