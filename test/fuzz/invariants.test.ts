// The fuzzer's own parts: the checks must fire on what they are there to catch (a fuzz run that
// passes proves nothing if they cannot), the oracle and the capture upstream must read streams
// as llhttp does, and the uWS reading must cover exactly the documented divergences.
import net from 'node:net';
import t from 'tap';
import { ANSWER_HEADER, CaptureUpstream, type UpstreamRequest } from './capture-upstream.js';
import { readAnswers } from './gateway-client.js';
import { checkCase, expectedTarget, mismatch } from './invariants.js';
import { NodeOracle, type ParsedRequest } from './node-oracle.js';
import { uwsReading } from './uws-view.js';
import { generateCase } from './generate.js';

const accepted = (over: Partial<ParsedRequest> = {}): ParsedRequest => ({
  method: 'POST', url: '/api/fz/k1x0?a=1', rawHeaders: ['Host', 'fz.test', 'X-A', 'b', 'Content-Length', '2'],
  body: Buffer.from('hi'), complete: true, ...over,
});

const OWN = ['host', '127.0.0.1:1', 'x-forwarded-for', '127.0.0.1', 'x-forwarded-proto', 'http', 'x-forwarded-host', 'fz.test',
  'x-request-id', 'r', 'traceparent', 'tp'];

const forwarded = (over: Partial<UpstreamRequest> = {}): UpstreamRequest => ({
  serial: 7, connection: 1, method: 'POST', url: '/api/fz/k1x0?a=1', rawHeaders: ['x-a', 'b', ...OWN, 'content-length', '2'],
  body: Buffer.from('hi'), complete: true, at: 0, ...over,
});

t.test('mismatch: a faithful forward matches, every alteration is named', async (t) => {
  t.equal(mismatch(forwarded(), accepted()), null, 'the same request');
  t.match(mismatch(forwarded({ method: 'PUT' }), accepted()), /method/);
  t.match(mismatch(forwarded({ url: '/api/fz/k1x0?a=2' }), accepted()), /target/);
  t.match(mismatch(forwarded({ body: Buffer.from('ho') }), accepted()), /body/);
  t.match(mismatch(forwarded({ rawHeaders: ['x-a', 'c', ...OWN] }), accepted()), /client headers/);
  t.match(mismatch(forwarded({ rawHeaders: ['x-a', 'b', 'x-b', 'c', ...OWN] }), accepted()), /client headers/, 'a header the client never sent');
  t.match(mismatch(forwarded({ rawHeaders: ['x-a', 'b', ...OWN.slice(2)] }), accepted()), /host header appears 0 times/);
  t.match(mismatch(forwarded(), accepted({ rawHeaders: ['Host', 'x', 'Transfer-Encoding', 'chunked'] })), /Transfer-Encoding/);
  t.match(mismatch(forwarded(), accepted({ complete: false })), /never saw the whole body/);
  t.equal(mismatch(forwarded({ complete: false, body: Buffer.from('h') }), accepted()), null, 'an upload cut short carries a prefix');
  t.match(mismatch(forwarded({ complete: false, body: Buffer.from('x') }), accepted()), /not a prefix/);
});

t.test('mismatch: what the gateway may change, and only that', async (t) => {
  const hop = accepted({ rawHeaders: ['Host', 'x', 'Connection', 'keep-alive, X-Hop', 'X-Hop', '1', 'TE', 'trailers', 'X-A', 'b', 'X-Forwarded-For', '1.2.3.4', 'Forwarded', 'for=x'] });
  t.equal(mismatch(forwarded({ rawHeaders: ['x-a', 'b', ...OWN] }), hop), null, 'hop-by-hop, listed and untrusted headers dropped');
  t.equal(mismatch(forwarded({ url: '/api/fz/k1x0' }), accepted({ url: '/api//fz/./x/../k1x0' })), null, 'the path normalised');
  t.equal(expectedTarget('/api/caf\xc3\xa9'), '/api/caf%C3%A9', 'raw UTF-8 in the path as the gateway would encode it');
  t.equal(expectedTarget('/api/%2e%2e/x'), null, 'a path the gateway refuses');
  const trimmed = accepted({ rawHeaders: ['X-A', '\xc3\xa9b \xc3\xa9', 'Content-Length', '2'] });
  t.equal(mismatch(forwarded({ rawHeaders: ['x-a', 'b', ...OWN] }), trimmed), null, 'bytes >= 0x80 trimmed at the ends (uWS)');
  const inner = accepted({ rawHeaders: ['X-A', 'a\xc3\xa9b', 'Content-Length', '2'] });
  t.match(mismatch(forwarded({ rawHeaders: ['x-a', 'ab', ...OWN] }), inner), /client headers/, 'but never inside a value');
});

t.test('checkCase: a request the upstream got whose answer the client never saw', async (t) => {
  const oracle = { requests: [accepted()], error: null };
  const client = { statuses: [], fromUpstream: [], closed: true, text: '' };
  const found = checkCase({ oracle, uwsView: null, client, forwarded: [forwarded()] });
  t.same(found.map((v) => v.invariant), ['answered-from-upstream']);
  t.same(checkCase({ oracle, uwsView: null, client: { ...client, statuses: [200], fromUpstream: [7] }, forwarded: [forwarded()] }), []);
  const twice = checkCase({ oracle, uwsView: null, client: { ...client, fromUpstream: [7, 8] }, forwarded: [forwarded(), forwarded({ serial: 8 })] });
  t.same(twice.map((v) => v.invariant), ['forwarded-as-accepted'], 'one accepted request forwarded twice');
  const rejected = checkCase({ oracle: { requests: [], error: 'HPE' }, uwsView: null, client: { ...client, fromUpstream: [7] }, forwarded: [forwarded()] });
  t.same(rejected.map((v) => v.invariant), ['forwarded-as-accepted'], 'forwarded from an input the strict parser refused');
  t.same(checkCase({ oracle: { requests: [], error: 'HPE' }, uwsView: oracle, client: { ...client, fromUpstream: [7] }, forwarded: [forwarded()] }), [],
    'unless uWS\'s reading of the input accepts it');
});

t.test('uwsReading: only the documented uWS divergences, nothing else', async (t) => {
  t.equal(uwsReading(Buffer.from('POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhiGET /b HTTP/1.1\r\nHost: x\r\n\r\n')), null);
  const hidden = uwsReading(Buffer.from('GET /a HTTP/1.1\r\nHost: x\r\n: v\r\nContent-Length: 18\r\n\r\nGET /b HTTP/1.1\r\n\r\n'));
  t.equal(hidden?.toString(), 'GET /a HTTP/1.1\r\nHost: x\r\nx-uws-hidden-: v\r\nx-uws-hidden-Content-Length: 18\r\n\r\nGET /b HTTP/1.1\r\n\r\n');
  const tab = uwsReading(Buffer.from('POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\t\r\n\r\nhi', 'latin1'));
  t.equal(tab?.toString('latin1'), 'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi');
  const high = uwsReading(Buffer.from('POST /a HTTP/1.1\r\nContent-Length: \xc3\xa92\r\n\r\nhi', 'latin1'));
  t.equal(high?.toString('latin1'), 'POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi');
  t.equal(uwsReading(Buffer.from('GET /a HTTP/1.1\r\nX-A: b\t\xc3\xa9\r\n\r\n', 'latin1')), null, 'other values are compared trimmed, not rewritten');
});

t.test('the oracle reads streams as llhttp does', async (t) => {
  const o = new NodeOracle();
  await o.start();
  t.teardown(() => o.close());
  const two = await o.parse(Buffer.from('POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n\x00\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1'));
  t.same(two.requests.map((r) => [r.method, r.url, r.body.toString('latin1'), r.complete]), [['POST', '/a', '\x00\r\n', true], ['GET', '/b', '', true]]);
  t.equal(two.error, null);
  const dup = await o.parse(Buffer.from('POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi'));
  t.same(dup.requests, []);
  t.match(dup.error, /HPE_UNEXPECTED_CONTENT_LENGTH/);
  const close = await o.parse(Buffer.from('GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n'));
  t.same(close.requests.map((r) => r.url), ['/a']);
  t.match(close.error, /HPE_CLOSED_CONNECTION/);
  const cut = await o.parse(Buffer.from('POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nhi'));
  t.same(cut.requests.map((r) => [r.body.toString(), r.complete]), [['hi', false]], 'a body cut short is not complete');
});

function sendRaw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    s.on('data', (d: Buffer) => { text += d.toString('latin1'); });
    s.on('error', () => {});
    s.on('close', () => resolve(text));
    s.write(Buffer.from(bytes, 'latin1'));
    setTimeout(() => s.end(), 200);
  });
}

t.test('the capture upstream records requests byte-exact and flags bytes that are not a request', async (t) => {
  const up = new CaptureUpstream();
  await up.start();
  t.teardown(() => up.close());
  const answer = await sendRaw(up.port, 'PUT /x HTTP/1.1\r\nHost: u\r\nX-A: caf\xc3\xa9\r\nContent-Length: 2\r\n\r\n\xff\x00');
  t.same(up.requests.map((r) => [r.method, r.url, r.rawHeaders, r.body.toString('latin1'), r.complete]),
    [['PUT', '/x', ['Host', 'u', 'X-A', 'caf\xc3\xa9', 'Content-Length', '2'], '\xff\x00', true]]);
  t.same(readAnswers(answer).fromUpstream, [1], `the answer carries ${ANSWER_HEADER}`);
  t.same(up.errors, [], 'a well-formed request is no error');
  await sendRaw(up.port, 'GET /y HTTP/1.1\r\nHost: u\r\n\r\nGARBAGE\r\n\r\n');
  t.equal(up.requests.length, 2);
  t.equal(up.errors.length, 1, 'bytes after it that are not a request');
  t.match(up.errors[0]!.error, /^HPE_/);
  t.equal(up.errors[0]!.cutShort, false, 'a parse error, not an upload cut short');
  t.match(up.errors[0]!.raw.toString('latin1'), /GARBAGE/, 'with the bytes the connection carried');
  // Node's server keeps these from its 'request' event: they are recorded all the same.
  await sendRaw(up.port, 'CONNECT /z HTTP/1.1\r\nHost: u\r\n\r\ntunnel');
  await sendRaw(up.port, 'GET /e HTTP/1.1\r\nHost: u\r\nExpect: tea\r\n\r\n');
  t.same(up.requests.slice(2).map((r) => [r.method, r.url]), [['CONNECT', '/z'], ['GET', '/e']]);
});

t.test('readAnswers: final answers only, and which came from the upstream', async (t) => {
  const text = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nx-fuzz-answer: 12\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n';
  t.same(readAnswers(text), { statuses: [200, 404], fromUpstream: [12] });
});

t.test('cases are the same bytes for the same seed, and differ across seeds', async (t) => {
  t.same(generateCase(5, 17).bytes, generateCase(5, 17).bytes);
  t.notSame(generateCase(5, 17).bytes, generateCase(6, 17).bytes);
  t.match(generateCase(5, 17).bytes.toString('latin1'), /k17x0/, 'the key names the case');
});
