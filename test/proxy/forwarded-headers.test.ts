// What the gateway writes upstream in place of the client's own claims: setting a header in
// headers.request.set replaces it (host included: nginx's proxy_set_header Host), one copy only;
// Forwarded / X-Real-IP / X-Forwarded-Port pass only from trustedProxies; a bare '?' is kept.
import t from 'tap';
import { oneUpstreamYaml, startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { rawExchange } from '../helpers/recording-upstream.js';
import { headerBytes, startHeadRecorder, type HeadRecorder } from '../helpers/head-recorder.js';

let up: HeadRecorder;
let gw: GatewayProcess;
let trusting: GatewayProcess;

const config = (extra: string): string => oneUpstreamYaml(up.url, { extra, routes: `  - id: set
    match: { path: /set }
    upstream: rec
    headers:
      request:
        set:
          host: backend.internal:8443
          x-forwarded-for: 203.0.113.7
          x-forwarded-proto: https
          x-forwarded-host: public.example
          x-request-id: fixed-id
          traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01
  - { id: any, match: { path: /api/* }, upstream: rec }` });

t.before(async () => {
  up = await startHeadRecorder();
  gw = await startGateway(config(''));
  trusting = await startGateway(config('trustedProxies: [127.0.0.1/32]'));
});
t.teardown(async () => {
  await gw.stop();
  await trusting.stop();
  await up.close();
});

async function lastHead(port: number, bytes: string): Promise<Buffer> {
  const before = up.heads().length;
  const { text } = await rawExchange(port, bytes, 2_000);
  if (!/^HTTP\/1\.1 200 /.test(text)) throw new Error('unexpected answer: ' + text.slice(0, 200));
  const heads = up.heads().slice(before);
  if (heads.length !== 1) throw new Error(`expected one upstream request, got ${heads.length}`);
  return heads[0]!;
}

const one = (head: Buffer, name: string): string[] => headerBytes(head, name).map((b) => b.toString('latin1'));

t.test('headers.request.set replaces the gateway\'s own headers, Host included: one copy of each', async (t) => {
  const head = await lastHead(gw.port, 'GET /set HTTP/1.1\r\nHost: client.example\r\nX-Request-Id: client-id\r\nConnection: close\r\n\r\n');
  t.same(one(head, 'host'), ['backend.internal:8443']);
  t.same(one(head, 'x-forwarded-for'), ['203.0.113.7']);
  t.same(one(head, 'x-forwarded-proto'), ['https']);
  t.same(one(head, 'x-forwarded-host'), ['public.example']);
  t.same(one(head, 'x-request-id'), ['fixed-id']);
  t.same(one(head, 'traceparent'), ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']);
});

const CLAIMS = 'Forwarded: for=10.9.9.9;proto=https\r\nX-Real-IP: 10.9.9.9\r\nX-Forwarded-Port: 443\r\n';

t.test('Forwarded, X-Real-IP and X-Forwarded-Port from an untrusted client are removed', async (t) => {
  const head = await lastHead(gw.port, `GET /api/a HTTP/1.1\r\nHost: x\r\n${CLAIMS}Connection: close\r\n\r\n`);
  t.same(one(head, 'forwarded'), []);
  t.same(one(head, 'x-real-ip'), []);
  t.same(one(head, 'x-forwarded-port'), []);
  t.same(one(head, 'x-forwarded-for'), ['127.0.0.1'], 'the gateway still says who the client is');
});

t.test('from a trusted proxy they pass as sent', async (t) => {
  const head = await lastHead(trusting.port, `GET /api/a HTTP/1.1\r\nHost: x\r\n${CLAIMS}Connection: close\r\n\r\n`);
  t.same(one(head, 'forwarded'), ['for=10.9.9.9;proto=https']);
  t.same(one(head, 'x-real-ip'), ['10.9.9.9']);
  t.same(one(head, 'x-forwarded-port'), ['443']);
});

t.test('a target ending in a bare "?" keeps it upstream; no "?" stays none', async (t) => {
  const bare = await lastHead(gw.port, 'GET /api/q? HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.equal(bare.subarray(0, bare.indexOf('\r\n')).toString('latin1'), 'GET /api/q? HTTP/1.1');
  const none = await lastHead(gw.port, 'GET /api/q HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.equal(none.subarray(0, none.indexOf('\r\n')).toString('latin1'), 'GET /api/q HTTP/1.1');
});
