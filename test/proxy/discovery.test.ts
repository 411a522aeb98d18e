// DNS service discovery end to end: a DNS server on loopback (node:dgram), targets on 127.0.0.2
// and 127.0.0.3 on one port. Changes apply without a reload, a removed target's requests finish,
// a failed lookup keeps the last good set, SRV records give their own ports.
import t from 'tap';
import { startGateway } from '../helpers/gateway-process.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { startOnOnePort } from '../helpers/failing-upstream.js';
import { freshRequest, waitUntil } from '../helpers/fresh-request.js';

const gatewayYaml = (discover: string) => `
listen: { host: 127.0.0.1, port: 0 }
workers: 2
admin: { host: 127.0.0.1, port: 0 }
log: { level: info, access: false }
upstreams:
  svc:
    discover: ${discover}
routes:
  - { id: api, match: { path: /api/* }, upstream: svc }
`;

async function whoAnswers(url: string, n: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = await freshRequest(url + '/api/x');
    seen.add(`${r.status} ${r.status === 200 ? r.text : ''}`.trim());
  }
  return seen;
}

t.test('A records: targets follow DNS without a reload; a failed lookup keeps the last good set', async (t) => {
  const [two, three] = await startOnOnePort(['127.0.0.2', '127.0.0.3']);
  const dns = await startDnsServer({ 'svc.test': { A: ['127.0.0.2'] } });
  const gw = await startGateway(gatewayYaml(`{ dns: svc.test, port: ${two!.port}, interval: 200ms, resolver: '${dns.address}' }`));
  t.teardown(async () => {
    await gw.stop();
    await Promise.all([two!.close(), three!.close(), dns.close()]);
  });
  t.same(await whoAnswers(gw.url, 6), new Set(['200 127.0.0.2']), 'the first lookup, before the first request');

  dns.records.set('svc.test', { A: ['127.0.0.2', '127.0.0.3'] });
  await gw.waitForLog((l) => l.msg === 'DNS discovery: targets changed' && (l.added as string[]).includes(three!.url), 5_000);
  await waitUntil(async () => (await whoAnswers(gw.url, 6)).size === 2, 3_000, 'both targets answer');

  // A request in flight to .2 when .2 leaves the set finishes: its pool drains, it is not cut.
  two!.behaviour = { kind: 'delay', ms: 1_500 };
  const sent: Promise<{ status: number; text: string; at: number }>[] = [];
  await waitUntil(async () => {
    sent.push(freshRequest(gw.url + '/api/x').then((r) => ({ ...r, at: Date.now() })));
    await new Promise((r) => setTimeout(r, 30));
    return two!.held() > 0;
  }, 3_000, 'a request held by .2');
  dns.records.set('svc.test', { A: ['127.0.0.3'] });
  const removed = await gw.waitForLog((l) => l.msg === 'DNS discovery: targets changed' && (l.removed as string[]).includes(two!.url), 5_000);
  const removedAt = Date.parse(removed.time as string);
  const replies = await Promise.all(sent);
  const held = replies.find((r) => r.text === '127.0.0.2');
  t.ok(held !== undefined && held.status === 200, 'the request held by .2 got its answer');
  t.ok(held !== undefined && held.at > removedAt, 'after .2 had left the set');
  t.same(await whoAnswers(gw.url, 6), new Set(['200 127.0.0.3']), 'only .3 once .2 is gone');
  t.equal(gw.logs.filter((l) => l.msg === 'request failed: exception in the gateway').length, 0);

  dns.mode = 'servfail';
  await gw.waitForLog((l) => l.msg === 'DNS discovery lookup failed; keeping the last good targets', 5_000);
  t.same(await whoAnswers(gw.url, 4), new Set(['200 127.0.0.3']), 'a failing DNS server changes nothing');
  dns.mode = 'answer';
  dns.records.set('svc.test', {});
  const failures = gw.logs.filter((l) => l.msg === 'DNS discovery lookup failed; keeping the last good targets').length;
  await waitUntil(() => gw.logs.filter((l) => l.msg === 'DNS discovery lookup failed; keeping the last good targets').length > failures, 5_000, 'an empty answer is logged');
  t.same(await whoAnswers(gw.url, 4), new Set(['200 127.0.0.3']), 'nor does an empty answer');
  const upstreams = JSON.parse((await freshRequest(gw.adminUrl + '/upstreams')).text) as { targets: { url: string }[]; discovery: { dns: string; failures: number; lastError: string } }[];
  t.same(upstreams[0]!.targets.map((x) => x.url), [three!.url]);
  t.match(upstreams[0]!.discovery, { dns: 'svc.test', lastError: 'ENODATA' });
  t.ok(upstreams[0]!.discovery.failures >= 2, 'failed lookups are counted');
  const ready = JSON.parse((await freshRequest(gw.adminUrl + '/ready')).text) as { generation: number };
  t.equal(ready.generation, 1, 'no reload happened: the workers took the changes as they came');
});

t.test('SRV records give targets with their ports; DNS down at start means 503 until a lookup succeeds', async (t) => {
  const [two, three] = await startOnOnePort(['127.0.0.2', '127.0.0.3']);
  const dns = await startDnsServer({
    '_http._tcp.svc.test': { SRV: [{ priority: 1, weight: 1, port: two!.port, target: 'a.svc.test' }, { priority: 1, weight: 1, port: three!.port, target: 'b.svc.test' }] },
    'a.svc.test': { A: ['127.0.0.2'] },
    'b.svc.test': { A: ['127.0.0.3'] },
  });
  dns.mode = 'servfail';
  const gw = await startGateway(gatewayYaml(`{ dns: _http._tcp.svc.test, interval: 200ms, resolver: '${dns.address}' }`));
  t.teardown(async () => {
    await gw.stop();
    await Promise.all([two!.close(), three!.close(), dns.close()]);
  });
  const r = await freshRequest(gw.url + '/api/x');
  t.equal(r.status, 503, 'no target found yet');
  t.match(JSON.parse(r.text), { detail: 'The upstream has no healthy target.' });
  dns.mode = 'answer';
  await gw.waitForLog((l) => l.msg === 'DNS discovery: targets changed', 5_000);
  await waitUntil(async () => (await whoAnswers(gw.url, 6)).size === 2, 3_000, 'both SRV targets answer');
  t.same(await whoAnswers(gw.url, 8), new Set(['200 127.0.0.2', '200 127.0.0.3']));
});
