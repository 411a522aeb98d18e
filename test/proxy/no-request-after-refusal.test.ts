// RFC 9112 §6.3: a request whose framing the gateway refuses ends its connection. Whatever
// follows it on the connection (here a complete GET, as a front proxy framing by the other
// length would send it) is never routed, forwarded or answered: uWS keeps parsing what it has
// read after end(body, true), so a refused request must be answered after that read is parsed.
import t from 'tap';
import { oneUpstreamYaml, startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { rawExchange, startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream.js';
import { quirks } from '../helpers/uws-build.js';

let up: RecordingUpstream;
let gw: GatewayProcess;

t.before(async () => {
  up = await startRecordingUpstream();
  gw = await startGateway(oneUpstreamYaml(up.url, {
    extra: 'limits: { maxHeaderSize: 2kb, maxBodySize: 64b, chunkedRequests: true }',
    routes: '  - { id: any, match: { path: /api/*, methods: [GET, POST] }, upstream: rec }\n  - { id: here, match: { path: /here }, respond: { status: 200, json: { here: true } } }',
  }));
});
t.teardown(async () => {
  await gw.stop();
  await up.close();
});

const SMUGGLED = 'GET /api/smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
const answers = (text: string): string[] => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]!).filter((s) => s !== '100');
/** The answers the gateway wrote (they carry its request id), leaving out uWS's own refusals. */
const gatewayAnswers = (text: string): string[] =>
  text.split(/(?=HTTP\/1\.1 \d{3} )/).filter((a) => /\r\nx-request-id: /.test(a)).map((a) => a.slice(9, 12));
// What uWS itself answers to framing it refuses: the current build 400, the legacy build nothing.
const UWS_REFUSAL = quirks.refusedFramingStatus === null ? 'none' : String(quirks.refusedFramingStatus);

const CASES: [string, string, string][] = [
  // [label, refused request (its body included), its status; none: closed unanswered (README)]
  ['a non-numeric Content-Length', 'POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\nhello', UWS_REFUSAL],
  ['a Content-Length list', 'POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello', UWS_REFUSAL],
  ['two different Content-Length values', 'POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', '400'],
  ['an unsupported transfer coding', 'POST /api/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', '501'],
  ['an oversized header block', 'GET /api/x HTTP/1.1\r\nHost: x\r\nX-Big: ' + 'a'.repeat(3000) + '\r\n\r\n', '431'],
  ['a path rejected before routing, with a body', 'POST /api/../../etc HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello', '400'],
  ['no route, with a body', 'POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello', '404'],
  ['a method the route lacks, with a body', 'PUT /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello', '405'],
  ['a declared body over maxBodySize', 'POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n' + 'b'.repeat(100), '413'],
  ['a chunked body growing over maxBodySize while streaming',
    'POST /api/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n' + 'c'.repeat(64) + '\r\n40\r\n' + 'c'.repeat(64) + '\r\n0\r\n\r\n', '413'],
  ['two Host headers', 'GET /api/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', '400'],
  ['a header value that is not UTF-8', 'GET /api/x HTTP/1.1\r\nHost: x\r\nX-A: a\xffb\r\n\r\n', '400'],
  // Found by the request-path fuzzer (test/fuzz/regressions/): Node's strict parser refuses each of these.
  ['two equal Content-Length values', 'POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello', '400'],
  ['an empty Content-Length', 'POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n', '400'],
  ['raw UTF-8 in the path', 'GET /api/caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n', '400'],
  ['a byte that is not UTF-8 in the path', 'GET /api/x\xff HTTP/1.1\r\nHost: x\r\n\r\n', '400'],
  ['raw UTF-8 in the query', 'GET /api/x?q=\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n', '400'],
  ['CONNECT with a body (a tunnel to strict parsers)', 'CONNECT /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello', '501'],
  // Not refusals, but nothing may follow them on the connection either (RFC 9112 §9.6; llhttp
  // reads nothing after an upgrade request as HTTP, and the gateway never upgrades).
  ['Connection: close on a request the gateway answers itself', 'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', '404'],
  ['Connection: close on a HEAD the gateway answers itself', 'HEAD /here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', '200'],
  ['Connection: Upgrade on a request the gateway answers itself', 'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n', '404'],
];

for (const [label, refused, status] of CASES) {
  t.test(`${label}: ${status}, then nothing more on the connection`, async (t) => {
    const before = up.received().length;
    const alone = await rawExchange(gw.port, Buffer.from(refused, 'latin1'), 2_000);
    t.same(answers(alone.text), status === 'none' ? [] : [status], 'the refusal is answered');
    t.ok(alone.closed, 'and the connection closed');
    const tailed = await rawExchange(gw.port, Buffer.from(refused + SMUGGLED, 'latin1'), 2_000);
    t.ok(tailed.closed, 'with a request behind it: closed');
    // The gateway answers the refused request at most once; where the build answers what it
    // cannot parse (current: 400), uWS may refuse the bytes behind it itself.
    const fromGateway = gatewayAnswers(tailed.text);
    t.ok(fromGateway.length <= 1 && fromGateway.every((s) => s === status), `no second answer from the gateway (${fromGateway.join(',') || 'none'})`);
    t.ok(answers(tailed.text).every((s) => s === status || s === UWS_REFUSAL), `nothing but the refusals (${answers(tailed.text).join(',') || 'none'})`);
    t.notMatch(up.received().slice(before), /smuggled/, 'the request behind it never reached the upstream');
  });
}

// uWS closes a connection when a request arrives while one is pending (README), so the request
// behind a proxied one is never answered; the proxied one must then not reach the upstream
// either, or the upstream acts on a request whose answer nobody can receive (found by the fuzzer).
t.test('a request pipelined behind a proxied one: closed, and neither reaches the upstream', async (t) => {
  // An idle upstream connection first: the request would otherwise still wait for its connect.
  const warm = await rawExchange(gw.port, 'GET /api/warm HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 2_000);
  t.same(answers(warm.text), ['200']);
  const before = up.received().length;
  const pair = await rawExchange(gw.port, 'GET /api/first HTTP/1.1\r\nHost: x\r\n\r\n' + SMUGGLED, 2_000);
  t.ok(pair.closed, 'closed');
  t.same(answers(pair.text), [], 'no answer');
  await new Promise((r) => setTimeout(r, 200));
  t.equal(up.received().slice(before), '', 'nothing reached the upstream');
});

t.test('after all that, a request on a new connection is served', async (t) => {
  const { text } = await rawExchange(gw.port, 'GET /api/ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 2_000);
  t.same(answers(text), ['200']);
});
