// Retries with real upstreams that fail on purpose: to another target, on the configured
// conditions only, never for a POST, never once the answer has begun, never with a streamed body,
// within the route's timeout, and never past the retry budget, shared by the workers.
import t, { type Test } from 'tap';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { startFailingUpstream, type FailingUpstream } from '../helpers/failing-upstream.js';
import { freshRequest } from '../helpers/fresh-request.js';
import { listenOnLoopback } from '../helpers/listen.js';
import net from 'node:net';

async function gateway(t: Test, targets: string[], retry: string, opts: { workers?: number; route?: string } = {}): Promise<GatewayProcess> {
  const gw = await startGateway(`
listen: { host: 127.0.0.1, port: 0 }
workers: ${opts.workers ?? 1}
admin: { host: 127.0.0.1, port: 0 }
log: { level: info, access: false }
upstreams:
  svc:
    targets: [${targets.join(', ')}]
    retry: ${retry}
routes:
  - { id: api, match: { path: /api/* }, upstream: svc${opts.route ?? ''} }
`);
  t.teardown(() => gw.stop());
  return gw;
}

async function upstreams(t: Test, ...names: string[]): Promise<FailingUpstream[]> {
  const ups = await Promise.all(names.map((n) => startFailingUpstream(n)));
  t.teardown(() => Promise.all(ups.map((u) => u.close())));
  return ups;
}

/** A port on loopback where nothing listens: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listenOnLoopback(server);
  await new Promise((r) => server.close(r));
  return port;
}

t.test('a refused connection is retried on the other target', async (t) => {
  const [b] = await upstreams(t, 'b');
  const gw = await gateway(t, [`http://127.0.0.1:${await closedPort()}`, b!.url], '{ attempts: 1, on: [connect], backoff: 1ms, budget: 100% }');
  const replies = await Promise.all(Array.from({ length: 10 }, () => freshRequest(gw.url + '/api/x')));
  t.same(replies.map((r) => `${r.status} ${r.text}`), Array(10).fill('200 b'), 'every request answered, half of them after a retry');
  t.equal(b!.requests(), 10);
});

t.test('a retryable status goes to another target; the last answer is relayed when retries run out', async (t) => {
  const [a, b] = await upstreams(t, 'a', 'b');
  a!.behaviour = { kind: 'status', status: 503 };
  const gw = await gateway(t, [a!.url, b!.url], '{ attempts: 2, on: [503], backoff: 1ms, budget: 100% }');
  for (let i = 0; i < 6; i++) t.equal((await freshRequest(gw.url + '/api/x')).text, 'b');
  t.equal(a!.requests(), 3, 'a got every other first try, each retried on b');
  b!.behaviour = { kind: 'status', status: 503 };
  const before = a!.requests() + b!.requests();
  const last = await freshRequest(gw.url + '/api/x');
  t.equal(last.status, 503);
  t.match(last.text, /says 503/, "the upstream's own answer, not the gateway's");
  t.equal(a!.requests() + b!.requests() - before, 3, 'one try and two retries, alternating targets');
  b!.behaviour = { kind: 'status', status: 500 };
  const before500 = a!.requests() + b!.requests();
  t.equal((await freshRequest(gw.url + '/api/x')).status, 500, "b's 500, whether it came first or as a's retry");
  t.ok(a!.requests() + b!.requests() - before500 <= 2, 'a status not listed (500) is not retried');
});

t.test('no retry for POST, once the answer has begun, or with a streamed body', async (t) => {
  const [a, b] = await upstreams(t, 'a', 'b');
  const gw = await gateway(t, [a!.url, b!.url], '{ attempts: 2, on: [reset, 503], backoff: 1ms, budget: 100% }');
  a!.behaviour = { kind: 'status', status: 503 };
  b!.behaviour = { kind: 'status', status: 503 };
  const post = await freshRequest(gw.url + '/api/x', { method: 'POST', body: 'hello', headers: { 'content-length': '5' } });
  t.equal(post.status, 503);
  t.equal(a!.requests() + b!.requests(), 1, 'POST is not idempotent: one try');
  const put = await freshRequest(gw.url + '/api/x', { method: 'PUT', body: 'hello', headers: { 'content-length': '5' } });
  t.equal(put.status, 503);
  t.equal(a!.requests() + b!.requests(), 4, 'PUT with a small body is replayed: three tries');

  a!.behaviour = { kind: 'partial', declared: 1_000, sent: 100 };
  b!.behaviour = { kind: 'partial', declared: 1_000, sent: 100 };
  let before = a!.requests() + b!.requests();
  const broken = await freshRequest(gw.url + '/api/x');
  t.equal(broken.status, 502, 'a small answer that breaks off is gathered, never sent: a clean 502');
  t.equal(a!.requests() + b!.requests() - before, 1, 'not retried: the upstream had begun to answer');

  a!.behaviour = { kind: 'partial', declared: 1_000_000, sent: 200_000 };
  b!.behaviour = { kind: 'partial', declared: 1_000_000, sent: 200_000 };
  before = a!.requests() + b!.requests();
  const cut = await freshRequest(gw.url + '/api/x').then((r) => `answered ${r.status} with ${r.text.length} bytes`, (err: Error & { code?: string }) => err.code ?? err.message);
  t.match(cut, /ECONNRESET|aborted/, 'a large answer streams: the client sees it cut');
  t.equal(a!.requests() + b!.requests() - before, 1, 'and nothing was retried once bytes were sent');

  a!.behaviour = { kind: 'status', status: 503 };
  b!.behaviour = { kind: 'status', status: 503 };
  const big = [Buffer.alloc(64 * 1024, 'x'), Buffer.alloc(36 * 1024, 'y')];
  before = a!.requests() + b!.requests();
  const streamed = await freshRequest(gw.url + '/api/x', { method: 'PUT', body: big, headers: { 'content-length': String(100 * 1024) } });
  t.equal(streamed.status, 503);
  t.equal(a!.requests() + b!.requests() - before, 1, 'a body over 64 KiB arriving in pieces streams upstream and cannot be sent again: one try');
});

t.test('a try that times out is retried on another target within the route timeout', async (t) => {
  const [a, b] = await upstreams(t, 'a', 'b');
  a!.behaviour = { kind: 'hang' };
  const gw = await gateway(t, [a!.url, b!.url], '{ attempts: 1, on: [timeout], tryTimeout: 200ms, backoff: 1ms, budget: 100% }', { route: ', timeout: 3s' });
  const replies = [];
  for (let i = 0; i < 4; i++) replies.push((await freshRequest(gw.url + '/api/x')).text);
  t.same(replies, ['b', 'b', 'b', 'b']);
  t.equal(a!.requests(), 2, 'every other first try went to a, hung, and was given up after 200 ms');
  b!.behaviour = { kind: 'hang' };
  const started = Date.now();
  const both = await freshRequest(gw.url + '/api/x');
  t.equal(both.status, 504, 'both tries time out: the gateway timeout answer');
  t.ok(Date.now() - started < 3_000, 'within the route timeout');
  a!.releaseHeld();
  b!.releaseHeld();
});

t.test('the retry budget holds under an always-failing upstream, across workers', async (t) => {
  const [a] = await upstreams(t, 'a');
  a!.behaviour = { kind: 'status', status: 503 };
  const gw = await gateway(t, [a!.url], '{ attempts: 3, on: [503], budget: 10%, minRetries: 2, backoff: 1ms }', { workers: 2 });
  const statuses: number[] = [];
  for (let round = 0; round < 10; round++) {
    const replies = await Promise.all(Array.from({ length: 10 }, () => freshRequest(gw.url + '/api/x')));
    statuses.push(...replies.map((r) => r.status));
  }
  t.same(new Set(statuses), new Set([503]));
  const retries = a!.requests() - 100;
  t.ok(retries >= 2, `some retries were made (${retries})`);
  t.ok(retries <= 10, `${retries} retries for 100 requests: within 10% (3 attempts each would have made 300)`);
  const upstreamsNow = JSON.parse((await freshRequest(gw.adminUrl + '/upstreams')).text) as { retries: { requests: number; retries: number } }[];
  t.same(upstreamsNow[0]!.retries, { requests: 100, retries }, 'admin /upstreams counts them over the window');
});
