// Route `aggregate` with real upstreams (node:http servers on loopback) and a real gateway.
import http from 'node:http';
import t from 'tap';
import { runCli, startGateway, writeConfig } from '../../helpers/gateway-process.js';
import { fetchText } from '../../helpers/http-reply.js';
import { listenOnLoopback } from '../../helpers/listen.js';
import { waitFor } from '../../helpers/scripted-upstream.js';

interface Seen { url: string; headers: http.IncomingHttpHeaders }

async function jsonUpstream(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ url: string; seen: Seen[]; closed: () => number; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  let closed = 0;
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url!, headers: req.headers });
    res.on('close', () => { if (!res.writableFinished) closed++; });
    handler(req, res);
  });
  const port = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}`, seen, closed: () => closed, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const send = (res: http.ServerResponse, status: number, body: string, type = 'application/json'): void => {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

for (const offload of [false, true]) {
t.test(`fan-out, shaping, partial answers, failures and cancellation (merged ${offload ? 'in the pool' : 'inline'})`, async (t) => {
  const users = await jsonUpstream((req, res) => {
    const id = /\/v2\/users\/([^/?]+)/.exec(req.url!)?.[1] ?? '?';
    send(res, 200, JSON.stringify({ id, name: `User ${id}`, email: 'x@example.com', address: { city: 'Paris', zip: '75001' }, tags: [{ k: 1, v: 'a' }, { k: 2, v: 'b' }] }));
  });
  const orders = await jsonUpstream((req, res) => {
    if (req.url!.startsWith('/broken')) return send(res, 500, '{"error":"db down"}');
    if (req.url!.startsWith('/html')) return send(res, 200, '<html>oops</html>', 'text/html');
    if (req.url!.startsWith('/slow')) return; // never answers
    send(res, 200, JSON.stringify({ url: req.url, items: [1, 2] }));
  });
  t.teardown(() => Promise.all([users.close(), orders.close()]));
  const gw = await startGateway(`
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
log: { level: error, access: false }
aggregate: { offloadAbove: ${offload ? 0 : '1gb'} }
auth: { apiKey: { header: x-api-key } }
consumers: { acme: { apiKeys: ["acme-key-0123456789abcdef"] } }
upstreams:
  users: { targets: ['${users.url}'] }
  orders: { targets: ['${orders.url}'] }
routes:
  - id: dash
    match: { path: /dash/:userId, methods: [GET, HEAD] }
    auth: [apiKey]
    aggregate:
      - { upstream: users, path: /v2/users/:userId, as: user, select: [name, address.city, tags.v], rename: { name: fullName }, forwardAuth: true }
      - { upstream: orders, path: "/orders?user=:userId", as: orders, optional: true, timeout: 500ms }
  - id: merged
    match: { path: /merged/:userId }
    aggregate:
      - { upstream: users, path: /v2/users/:userId, as: user, merge: true, select: [id, name] }
      - { upstream: orders, path: /orders, as: orders }
  - id: partial
    match: { path: /partial/:userId }
    aggregate:
      - { upstream: users, path: /v2/users/:userId, as: user, select: [id] }
      - { upstream: orders, path: /broken, as: broken, optional: true }
      - { upstream: orders, path: /html, as: html, optional: true }
  - id: required-5xx
    match: { path: /fail5xx }
    aggregate:
      - { upstream: orders, path: /slow/a, as: slow, timeout: 20s }
      - { upstream: orders, path: /broken, as: broken }
  - id: required-json
    match: { path: /failjson }
    aggregate:
      - { upstream: orders, path: /html, as: html }
  - id: required-timeout
    match: { path: /failtime }
    aggregate:
      - { upstream: users, path: /v2/users/1, as: user }
      - { upstream: orders, path: /slow/b, as: slow, timeout: 300ms }
`);
  t.teardown(() => gw.stop());
  const key = { 'x-api-key': 'acme-key-0123456789abcdef' };

  const dash = await fetchText(`${gw.url}/dash/a&b?lang=fr&x=1`, { headers: { ...key, authorization: 'Basic Zm9vOmJhcg==' } });
  t.equal(dash.status, 200);
  t.equal(dash.headers['content-type'], 'application/json');
  t.equal(dash.headers['x-tollgate-partial'], undefined, 'nothing left out');
  t.same(dash.json(), {
    user: { fullName: 'User a&b', address: { city: 'Paris' }, tags: [{ v: 'a' }, { v: 'b' }] },
    orders: { url: '/orders?user=a%26b&lang=fr&x=1', items: [1, 2] },
  }, 'keyed by as; select (dot paths, through lists) and rename; params in the query encoded; the client query appended');
  const userCall = users.seen.at(-1)!;
  t.equal(userCall.url, '/v2/users/a&b?lang=fr&x=1', 'the client query passes through');
  t.equal(userCall.headers['x-consumer-id'], 'acme', 'the consumer is forwarded');
  t.equal(userCall.headers.authorization, 'Basic Zm9vOmJhcg==', 'forwardAuth: true sends Authorization');
  t.equal(userCall.headers['x-request-id'], dash.headers['x-request-id']);
  t.equal(userCall.headers['x-api-key'], undefined, 'client headers are not copied wholesale');
  const orderCall = orders.seen.at(-1)!;
  t.equal(orderCall.headers.authorization, undefined, 'no Authorization without forwardAuth');
  t.equal(orderCall.headers['x-consumer-id'], 'acme');

  const head = await fetchText(`${gw.url}/dash/7`, { method: 'HEAD', headers: key });
  t.equal(head.status, 200);
  t.equal(head.text, '');
  t.equal((await fetchText(`${gw.url}/dash/7`)).status, 401, 'auth runs before the calls');

  const merged = await fetchText(`${gw.url}/merged/9`);
  t.same(merged.json(), { id: '9', name: 'User 9', orders: { url: '/orders', items: [1, 2] } }, 'merge: true puts the fields at the top level');

  const partial = await fetchText(`${gw.url}/partial/3`);
  t.equal(partial.status, 200);
  t.equal(partial.headers['x-tollgate-partial'], 'true');
  t.same(partial.json(), { user: { id: '3' } }, 'a 5xx and a non-JSON body leave optional calls out');

  const before = orders.closed();
  const failed = await fetchText(`${gw.url}/fail5xx`);
  t.equal(failed.status, 502);
  t.equal(failed.headers['content-type'], 'application/problem+json');
  t.notMatch(failed.text, /db down/, "the upstream's words do not leak");
  t.ok(await waitFor(() => orders.closed() > before, 2_000), 'the call still running was cancelled (its upstream connection closed)');

  const json = await fetchText(`${gw.url}/failjson`);
  t.equal(json.status, 502);
  t.match(json.json(), { status: 502, detail: /not JSON/ });

  const started = Date.now();
  const timedOut = await fetchText(`${gw.url}/failtime`);
  t.equal(timedOut.status, 504, "a required call's own timeout");
  t.ok(Date.now() - started < 5_000);
});
}

t.test('config checks at their position', async (t) => {
  const file = writeConfig(`
upstreams:
  users: { targets: ['http://127.0.0.1:1'] }
routes:
  - id: a
    match: { path: /a/:id }
    upstream: users
    aggregate:
      - { upstream: users, path: /u/:id, as: user }
      - { upstream: nope, path: /u/:other, as: user }
      - { upstream: users, path: /x, as: y, select: [a..b], rename: { __proto__.x: y } }
`);
  const out = await runCli(['validate', '-c', file]);
  const text = out.stdout + out.stderr;
  t.equal(out.code, 1);
  t.match(text, /gateway\.yaml:7:5 routes\.0\.upstream: an "aggregate" route has no "upstream"/);
  t.match(text, /gateway\.yaml:10:\d+ routes\.0\.aggregate\.1\.upstream: upstream "nope" is not defined/);
  t.match(text, /routes\.0\.aggregate\.1\.path: path uses ":other", which match\.path \/a\/:id does not define/);
  t.match(text, /routes\.0\.aggregate\.1\.as: duplicate "as": "user" \(first used by aggregate\.0\)/);
  t.match(text, /routes\.0\.aggregate\.2\.select\.0: invalid field path "a\.\.b"/);
  t.match(text, /routes\.0\.aggregate\.2\.rename/);
});

t.test('a call whose upstream has no healthy target fails without a connection: left out when optional, 503 when required', async (t) => {
  const users = await jsonUpstream((_req, res) => send(res, 200, '{"id":1}'));
  const sick = await jsonUpstream((req, res) => send(res, req.url === '/health' ? 500 : 200, '{"ok":true}'));
  t.teardown(() => Promise.all([users.close(), sick.close()]));
  const gw = await startGateway(`
listen: { host: 127.0.0.1, port: 0 }
workers: 1
admin: { host: 127.0.0.1, port: 0 }
log: { level: error, access: false }
upstreams:
  users: { targets: ['${users.url}'] }
  sick: { targets: ['${sick.url}'], healthCheck: { path: /health, interval: 1s, unhealthyAfter: 1 } }
routes:
  - id: optional
    match: { path: /optional }
    aggregate:
      - { upstream: users, path: /u, as: user }
      - { upstream: sick, path: /s, as: sick, optional: true }
  - id: required
    match: { path: /required }
    aggregate:
      - { upstream: users, path: /u, as: user }
      - { upstream: sick, path: /s, as: sick }
`);
  t.teardown(() => gw.stop());
  const healthOf = async (): Promise<string> => {
    const list = JSON.parse((await fetchText(`${gw.adminUrl}/upstreams`)).text) as { upstream: string; targets: { health: string }[] }[];
    return list.find((u) => u.upstream === 'sick')!.targets[0]!.health;
  };
  for (let i = 0; i < 100 && (await healthOf()) !== 'down'; i++) await new Promise((r) => setTimeout(r, 100));
  t.equal(await healthOf(), 'down', 'the health check took the target down');
  const callsBefore = sick.seen.filter((s) => s.url !== '/health').length;
  const optional = await fetchText(`${gw.url}/optional`);
  t.equal(optional.status, 200);
  t.same(JSON.parse(optional.text), { user: { id: 1 } }, 'the call to the down upstream is left out');
  t.equal(optional.headers['x-tollgate-partial'], 'true');
  const required = await fetchText(`${gw.url}/required`);
  t.equal(required.status, 503, 'a required call to a down upstream is 503');
  t.equal(sick.seen.filter((s) => s.url !== '/health').length, callsBefore, 'no request reached the down target');
});
